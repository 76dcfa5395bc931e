"""A room hosted from the window keeps its history in the user data folder, per port."""

from __future__ import annotations

import socket

import pytest
from guitools import transcript
from peer import Peer
from waiting import wait_until

from desktopchat import paths
from desktopchat.gui.app import ChatApp
from desktopchat.gui.host import HostDialog, HostValues
from desktopchat.protocol import events as ev
from desktopchat.server.sqlitestore import DB_NAME

pytestmark = pytest.mark.gui


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))
        return int(probe.getsockname()[1])


def host(app: ChatApp, port: int) -> None:
    assert app.start_hosting(HostValues(name="ann", port=port, password="")) is None
    wait_until(lambda: app.status.startswith("connected"), what="host joined", root=app.root)


def test_hosting_again_on_the_same_port_shows_the_saved_history(
    app: ChatApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tkinter.messagebox.askokcancel", lambda *_a, **_k: True)
    port = free_port()
    host(app, port)
    with Peer.joined(("127.0.0.1", port), "bob") as bob:
        bob.send("saved for later")
        wait_until(lambda: "saved for later" in transcript(app), what="bob's line", root=app.root)
    app.leave_room()
    wait_until(lambda: app.server is None, what="room closed", root=app.root)
    assert (paths.data_dir() / "rooms" / f"port-{port}" / DB_NAME).is_file()

    host(app, port)  # the closed room's database is free again (or within a second)
    with Peer(("127.0.0.1", port)) as carol:
        carol.enter("carol")
        assert carol.expect(ev.HISTORY) == "1"
        carol.expect("bob", "saved for later")


def test_a_data_folder_that_cannot_hold_the_history_is_said_in_the_host_dialog(
    app: ChatApp,
) -> None:
    port = free_port()
    rooms = paths.data_dir() / "rooms"
    rooms.mkdir(parents=True)
    (rooms / f"port-{port}").write_text("in the way")
    app.host_room(HostValues(name="ann", port=port, password=""))
    app.root.update()
    dialog = app.dialog
    assert isinstance(dialog, HostDialog)
    dialog.ok()
    app.root.update()
    assert dialog.winfo_exists()
    assert dialog.error_text.startswith("Cannot make the folder "), dialog.error_text
    assert dialog.error_text.endswith("or 0 for a room without saved history.")
    assert app.server is None and app.client is None
    dialog.cancel()


def test_a_damaged_history_is_set_aside_and_said_in_the_transcript(app: ChatApp) -> None:
    port = free_port()
    folder = paths.data_dir() / "rooms" / f"port-{port}"
    folder.mkdir(parents=True)
    (folder / DB_NAME).write_bytes(b"this is no database " * 100)
    host(app, port)
    assert "The room's saved history was damaged: it was set aside as" in transcript(app)
    assert [p.name for p in folder.iterdir() if ".damaged-" in p.name]
