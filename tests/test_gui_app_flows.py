"""Start-up flows of the window (what ``--join``/``--name``/``--host`` lead to), in process."""

from __future__ import annotations

import socket
import threading
import tkinter as tk
from collections.abc import Iterator
from pathlib import Path

import pytest
from waiting import wait_until

from desktopchat.gui import start_flow
from desktopchat.gui.app import ChatApp
from desktopchat.gui.host import HostDialog
from desktopchat.gui.login import LoginDialog
from desktopchat.server import RoomServer
from desktopchat.settings import Settings

pytestmark = pytest.mark.gui


@pytest.fixture
def app(tk_root: tk.Tk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ChatApp]:
    monkeypatch.setenv("DESKTOPCHAT_HOME", str(tmp_path))
    chat = ChatApp(tk_root, Settings(name="saved_name"), save=lambda _s: None)
    tk_root.update()
    yield chat
    chat.quit()
    assert chat.presenter.wait_stopped(3.0)  # Quit itself never waits for the threads
    assert not [t for t in threading.enumerate() if t.name == "desktopchat-client"]


def test_join_with_a_name_goes_straight_into_the_room(app: ChatApp, room: RoomServer) -> None:
    start_flow(app, room.address, "ann", None, None)
    wait_until(lambda: app.status.startswith("connected"), what="connected", root=app.root)
    assert app.dialog is None
    assert app.own_name == "ann"


def test_join_without_a_name_opens_the_dialog_prefilled(app: ChatApp, room: RoomServer) -> None:
    host, port = room.address
    start_flow(app, room.address, None, None, None)
    app.root.update()
    dialog = app.dialog
    assert isinstance(dialog, LoginDialog)
    assert dialog.address_entry.get() == f"{host}:{port}"
    assert dialog.name_entry.get() == "saved_name"
    assert app.client is None


def test_join_with_an_invalid_name_opens_the_dialog_with_the_reason(
    app: ChatApp, room: RoomServer
) -> None:
    start_flow(app, room.address, "*star", None, None)
    app.root.update()
    dialog = app.dialog
    assert isinstance(dialog, LoginDialog)
    assert "*" in dialog.error_text
    assert dialog.name_entry.get() == "*star"
    assert app.client is None


def test_cancelling_the_start_up_dialog_leaves_the_window_to_host_from(app: ChatApp) -> None:
    start_flow(app, None, None, None, None)
    app.root.update()
    dialog = app.dialog
    assert isinstance(dialog, LoginDialog)
    dialog.cancel()
    app.root.update()
    assert not app.closed and app.root.winfo_exists()
    assert app.status.startswith("not connected")
    app.host_room()
    app.root.update()
    assert isinstance(app.dialog, HostDialog)


def test_cancelling_join_room_from_the_menu_keeps_the_window(app: ChatApp) -> None:
    app.join_room()
    app.root.update()
    dialog = app.dialog
    assert isinstance(dialog, LoginDialog)
    dialog.cancel()
    app.root.update()
    assert not app.closed and app.root.winfo_exists()


def test_host_with_a_name_hosts_at_once(app: ChatApp) -> None:
    start_flow(app, None, "ann", 0, "sesame")
    wait_until(lambda: app.status.startswith("connected"), what="host joined", root=app.root)
    assert app.server is not None
    assert app.hosting_status.startswith("hosting on ")


def test_host_without_a_usable_name_opens_the_host_dialog(app: ChatApp) -> None:
    app.settings = Settings(name="")
    start_flow(app, None, None, 0, None)
    app.root.update()
    assert isinstance(app.dialog, HostDialog)
    assert app.server is None


def test_host_on_a_busy_port_says_so_and_opens_the_host_dialog(app: ChatApp) -> None:
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        start_flow(app, None, "ann", port, None)
        app.root.update()
        dialog = app.dialog
        assert isinstance(dialog, HostDialog)
        assert dialog.port_entry.get() == str(port)
        assert app.status.startswith("failed:") and "already in use" in app.status
        assert app.server is None


def test_a_start_up_dialog_replaced_by_another_does_not_close_the_app(app: ChatApp) -> None:
    start_flow(app, None, None, None, None)
    app.root.update()
    assert isinstance(app.dialog, LoginDialog)
    app.host_room()  # replaces the login dialog; that is not the user cancelling
    app.root.update()
    assert isinstance(app.dialog, HostDialog)
    assert not app.closed
