"""The window side of switching rooms: the dialog's Cancel and the host's question keep all."""

from __future__ import annotations

from tkinter import messagebox

import pytest
from peer import Peer
from waiting import wait_until

from desktopchat.gui.app import ChatApp
from desktopchat.gui.login import LoginDialog
from desktopchat.server import RoomServer

pytestmark = pytest.mark.gui


def hosting(app: ChatApp) -> bool:
    return app.server is not None


def test_cancelling_join_room_while_in_a_room_keeps_the_room(
    app: ChatApp, room: RoomServer
) -> None:
    app.join(*room.address, "ann")
    wait_until(lambda: app.online, what="in the room", root=app.root)
    client = app.client
    app.join_room()
    dialog = app.dialog
    assert isinstance(dialog, LoginDialog)
    dialog.cancel()
    app.root.update()
    assert app.client is client and app.online
    assert app.status.startswith("connected")


def test_the_host_is_asked_before_leaving_others_and_cancel_keeps_the_room(
    app: ChatApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktopchat.gui.host import HostValues

    assert app.start_hosting(HostValues(name="ann", port=0, password="")) is None
    wait_until(lambda: app.online, what="hosting", root=app.root)
    server = app.server
    assert server is not None
    asked: list[str] = []

    def answer(_title: str, question: str, **_options: object) -> bool:
        asked.append(question)
        return False  # Cancel

    monkeypatch.setattr(messagebox, "askokcancel", answer)
    app.leave_room()  # alone: nothing to ask
    assert asked == [] and not hosting(app)
    assert app.start_hosting(HostValues(name="ann", port=0, password="")) is None
    wait_until(lambda: app.online, what="hosting again", root=app.root)
    server = app.server
    assert server is not None
    with (
        Peer.joined(("127.0.0.1", server.address[1]), "bob"),
        Peer.joined(("127.0.0.1", server.address[1]), "carol"),
    ):
        wait_until(lambda: app.presenter.roster.others("ann") == 2, what="2 others", root=app.root)
        app.leave_room()
        app.request_quit()
        assert asked == [
            "2 people are in the room you host. Leaving closes it for everyone.",
            "2 people are in the room you host. Quitting closes it for everyone.",
        ]
        assert app.server is server and app.online and not app.closed
