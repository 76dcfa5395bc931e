"""Host room from the window, in process: the embedded server, its address, leaving.

A raw-socket participant joins the room the app hosts and chats with the host;
leaving the room (or quitting) must stop the server, so the port refuses
connections afterwards, and leave no thread behind.
"""

from __future__ import annotations

import socket
import threading
import tkinter as tk
from collections.abc import Iterator
from pathlib import Path
from tkinter import messagebox

import pytest
from guitools import press_return, transcript, type_text
from peer import Peer
from waiting import wait_until

from desktopchat.gui.app import ChatApp
from desktopchat.gui.host import HostDialog, HostValues
from desktopchat.protocol import events as ev
from desktopchat.settings import Settings

pytestmark = pytest.mark.gui


@pytest.fixture
def app(tk_root: tk.Tk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ChatApp]:
    monkeypatch.setenv("DESKTOPCHAT_HOME", str(tmp_path))
    chat = ChatApp(tk_root, Settings(), save=lambda _s: None)
    tk_root.update()
    yield chat
    chat.quit()
    assert chat.presenter.wait_stopped(3.0)  # Quit itself never waits for the threads
    assert not [t for t in threading.enumerate() if t.name.startswith("desktopchat-")]


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def hosted_port(chat: ChatApp) -> int:
    assert chat.server is not None
    return int(chat.server.address[1])


def test_host_room_a_raw_client_joins_and_chats_and_leave_closes_the_port(
    app: ChatApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []  # the host's Leave with others in the room asks first: OK

    def answer(_title: str, question: str, **_options: object) -> bool:
        asked.append(question)
        return True

    monkeypatch.setattr(messagebox, "askokcancel", answer)
    assert app.start_hosting(HostValues(name="ann", port=0, password="")) is None
    port = hosted_port(app)
    wait_until(lambda: app.status.startswith("connected"), what="host joined", root=app.root)
    assert app.status == f"connected to 127.0.0.1:{port} as ann"
    assert app.hosting_status.startswith("hosting on ")
    assert f":{port}" in app.hosting_status
    assert "python -m" not in transcript(app)  # the invitation never assumes Python
    assert app.presenter.hosted is not None
    assert f":{port}?fp=" in app.presenter.hosted.invitation.link()

    with Peer.joined(("127.0.0.1", port), "bob") as bob:
        wait_until(lambda: "bob" in app.userlist.names(), what="bob joined", root=app.root)
        bob.send("hi host 👋")
        wait_until(lambda: "bob: hi host 👋" in transcript(app), what="bob's line", root=app.root)
        type_text(app.input, "welcome bob")
        press_return(app.input)
        assert bob.read_until("ann") == "welcome bob"
        app.leave_room()
        assert asked == ["1 person is in the room you host. Leaving closes it for everyone."]
        assert bob.read_until(ev.INFO) == ev.ROOM_CLOSED
    assert app.server is None and app.client is None
    assert app.hosting_status == ""
    assert refused(port)


def test_host_room_dialog_starts_hosting(app: ChatApp) -> None:
    app.host_room(HostValues(name="ann", port=0, password="sesame"))
    app.root.update()
    dialog = app.dialog
    assert isinstance(dialog, HostDialog)
    press_return(dialog.port_entry)
    assert app.dialog is None, dialog.error_text if dialog.winfo_exists() else ""
    port = hosted_port(app)
    wait_until(lambda: app.status.startswith("connected"), what="host joined", root=app.root)
    # The room has the password: a raw client without it is refused.
    with Peer(("127.0.0.1", port), "mallory") as mallory:
        assert mallory.answer() == (ev.AUTH, "password required")


def test_port_in_use_is_reported_in_the_dialog(app: ChatApp) -> None:
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        app.host_room(HostValues(name="ann", port=port, password=""))
        app.root.update()
        dialog = app.dialog
        assert isinstance(dialog, HostDialog)
        dialog.ok()
        app.root.update()
        assert dialog.winfo_exists()
        assert "already in use" in dialog.error_text
        assert app.server is None and app.client is None
        dialog.cancel()


def test_quit_while_hosting_stops_the_server_and_every_thread(app: ChatApp) -> None:
    assert app.start_hosting(HostValues(name="ann", port=0, password="")) is None
    port = hosted_port(app)
    wait_until(lambda: app.status.startswith("connected"), what="host joined", root=app.root)
    with Peer.joined(("127.0.0.1", port), "bob") as bob:
        app.quit()
        assert bob.read_until(ev.INFO) == ev.ROOM_CLOSED
    assert refused(port)
    assert app.presenter.wait_stopped(3.0)  # Quit itself never waits for the threads
    assert not [t for t in threading.enumerate() if t.name.startswith("desktopchat-")]


def test_joining_another_room_while_hosting_closes_the_hosted_one(app: ChatApp) -> None:
    assert app.start_hosting(HostValues(name="ann", port=0, password="")) is None
    first = hosted_port(app)
    assert app.start_hosting(HostValues(name="ann", port=0, password="")) is None
    second = hosted_port(app)
    assert first != second
    # The first room closes on its own thread (hosting again does not wait for it).
    wait_until(lambda: refused(first), what="the first room closed", root=app.root)
    wait_until(lambda: app.status.startswith("connected"), what="joined again", root=app.root)
    assert app.presenter.address == ("127.0.0.1", second)
    assert app.status == f"connected to 127.0.0.1:{second} as ann"
