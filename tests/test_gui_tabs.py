"""Private tabs and attention in a real window (gui/tabs.py, gui/attention.py), real room."""

from __future__ import annotations

import os
import socket
import subprocess
import tkinter as tk
from collections.abc import Callable, Iterator

import pytest
from desktopkit import need
from guitools import press_return, transcript, type_text
from peer import Peer
from waiting import wait_until

from desktopchat.gui import x11
from desktopchat.gui.app import ChatApp
from desktopchat.gui.attention import DIVIDER_TEXT
from desktopchat.gui.conversations import ROOM, Conversation
from desktopchat.gui.mentions import MENTION_TAG
from desktopchat.gui.tabs import PrivateTab
from desktopchat.server import RoomServer
from desktopchat.settings import Settings

pytestmark = pytest.mark.gui


def join(chat: ChatApp, server: RoomServer, name: str = "ann") -> None:
    chat.join(*server.address, name)
    wait_until(lambda: "Welcome" in transcript(chat), what="the welcome", root=chat.root)


@pytest.fixture
def bob(app: ChatApp, room: RoomServer) -> Iterator[Peer]:
    join(app, room)
    with Peer.joined(room.address, "bob") as peer:
        wait_until(lambda: "bob" in app.userlist.names(), what="bob listed", root=app.root)
        yield peer


def tab_of(app: ChatApp, name: str) -> tuple[Conversation, PrivateTab]:
    conv = app.presenter.conversations.find(name)
    assert conv is not None
    return conv, app._tabs[conv.tid]


def label(app: ChatApp, page: tk.Misc) -> str:
    return str(app.window.notebook.tab(page, "text"))  # type: ignore[no-untyped-call]


def tab_point(app: ChatApp, page: tk.Misc) -> tuple[int, int]:
    """A point on ``page``'s tab (ttk.Notebook tells which tab is under a point)."""
    nb = app.window.notebook
    want = nb.index(page)  # type: ignore[no-untyped-call]
    for x in range(0, nb.winfo_width(), 4):
        for y in range(2, 40, 4):
            try:
                if nb.index(f"@{x},{y}") == want:  # type: ignore[no-untyped-call]
                    return x, y
            except tk.TclError:
                continue
    raise AssertionError("the tab is not on screen")


def shown(app: ChatApp) -> str:
    return str(app.window.notebook.select())  # type: ignore[no-untyped-call]


def urgent(app: ChatApp) -> bool:
    return app.urgent


def visible_tabs(app: ChatApp) -> list[str]:
    nb = app.window.notebook
    return [
        str(nb.tab(t, "text"))  # type: ignore[no-untyped-call]
        for t in nb.tabs()  # type: ignore[no-untyped-call]
        if nb.tab(t, "state") != "hidden"  # type: ignore[no-untyped-call]
    ]


def test_an_incoming_private_message_opens_a_tab_with_a_badge_cleared_when_shown(
    app: ChatApp, bob: Peer
) -> None:
    bob.send("/msg ann psst")
    bob.send("/msg ann are you there?")
    wait_until(lambda: len(visible_tabs(app)) == 2, what="bob's tab", root=app.root)
    conv, page = tab_of(app, "bob")
    wait_until(lambda: label(app, page) == "bob (2)", what="the badge", root=app.root)
    assert shown(app) == str(app.transcript)  # still in the room's tab
    assert "psst" not in transcript(app)  # not mixed into the room
    assert "bob (private): psst" in page.transcript.get_text()
    app.window.notebook.select(page)  # type: ignore[no-untyped-call]
    app.root.update()
    assert label(app, page) == "bob" and app.presenter.conversations.active == conv.tid


def test_typing_in_a_private_tab_sends_only_to_that_person(app: ChatApp, bob: Peer) -> None:
    app.start_private("bob")
    app.root.update()
    type_text(app.input, "lunch at one?")
    press_return(app.input)
    assert bob.read_until("@ann") == "lunch at one?"  # a v1 peer reads the private text
    _, page = tab_of(app, "bob")
    wait_until(
        lambda: "→ bob (private): lunch at one?" in page.transcript.get_text(),
        what="the line in bob's tab",
        root=app.root,
    )
    assert "lunch at one?" not in transcript(app)


def test_msg_in_the_room_tab_shows_in_the_persons_tab(app: ChatApp, bob: Peer) -> None:
    type_text(app.input, "/msg bob see you")
    press_return(app.input)
    assert bob.read_until("@ann") == "see you"
    _, page = tab_of(app, "bob")
    assert "see you" in page.transcript.get_text() and "see you" not in transcript(app)


def test_close_keeps_the_history_and_ctrl_w_and_middle_click_close_too(
    app: ChatApp, bob: Peer
) -> None:
    bob.send("/msg ann one")
    wait_until(lambda: len(visible_tabs(app)) == 2, what="bob's tab", root=app.root)
    _, page = tab_of(app, "bob")
    page.close_button.invoke()
    app.root.update()
    assert visible_tabs(app) == ["Room"] and app.presenter.conversations.active == ROOM
    app.start_private("bob")  # reopening shows what was said
    app.root.update()
    assert "one" in page.transcript.get_text() and shown(app) == str(page)
    app.root.event_generate("<Control-w>")
    app.root.update()
    assert visible_tabs(app) == ["Room"]
    app.start_private("bob")
    app.root.update()
    x, y = tab_point(app, page)
    app.window.notebook.event_generate("<ButtonPress-2>", x=x, y=y)
    app.window.notebook.event_generate("<ButtonRelease-2>", x=x, y=y)
    app.root.update()
    assert visible_tabs(app) == ["Room"]
    assert app.root.focus_get() is app.input


def test_a_person_who_left_cannot_be_written_to_until_back(
    app: ChatApp, room: RoomServer, bob: Peer
) -> None:
    app.start_private("bob")
    app.root.update()
    _, page = tab_of(app, "bob")
    bob.close()
    wait_until(
        lambda: "bob left the room" in page.transcript.get_text(), what="the leave", root=app.root
    )
    type_text(app.input, "hello?")
    press_return(app.input)
    assert app.input.get_text() == "hello?"  # typed text is never dropped
    assert "bob is not in the room" in page.transcript.get_text()
    with Peer.joined(room.address, "bob") as again:
        wait_until(
            lambda: "bob is back" in page.transcript.get_text(), what="the return", root=app.root
        )
        press_return(app.input)
        assert again.read_until("@ann") == "hello?"


def test_a_mention_is_highlighted_and_unfocused_lines_get_one_divider(
    app: ChatApp, bob: Peer, monkeypatch: pytest.MonkeyPatch
) -> None:
    bob.send("before you left")
    wait_until(lambda: "before you left" in transcript(app), what="line 1", root=app.root)
    monkeypatch.setattr(app, "has_focus", lambda: False)
    monkeypatch.setattr(app.chime, "play", lambda: "silent")
    bob.send("hey Ann, look")
    wait_until(lambda: "hey Ann" in transcript(app), what="the mention", root=app.root)
    text = app.transcript.text
    tagged = text.tag_ranges(MENTION_TAG)
    assert [text.get(a, b) for a, b in zip(tagged[::2], tagged[1::2], strict=True)] == ["Ann"]
    rows = transcript(app).splitlines()
    assert rows[rows.index(DIVIDER_TEXT) + 1].endswith("bob: hey Ann, look")
    assert urgent(app) and app.alerts[-1].sender == "bob"
    monkeypatch.setattr(app, "has_focus", lambda: True)
    app.presenter.focus_gained()
    assert not urgent(app)
    monkeypatch.setattr(app, "has_focus", lambda: False)  # away again: the divider moves
    bob.send("second absence")
    wait_until(lambda: "second absence" in transcript(app), what="line 3", root=app.root)
    rows = transcript(app).splitlines()
    assert rows.count(DIVIDER_TEXT) == 1
    assert rows[rows.index(DIVIDER_TEXT) + 1].endswith("bob: second absence")


def test_view_notifications_items_change_the_rules_and_are_saved(
    app: ChatApp, saved: list[Settings]
) -> None:
    menu = app.notifications_menu
    labels = [menu.entrycget(i, "label") for i in range(menu.index("end") + 1)]  # type: ignore[operator]
    assert labels == [
        "Notify on mentions",
        "Notify on private messages",
        "Notify on every message",
        "Play sounds",
    ]
    prefs = app.presenter.attention.prefs
    assert (prefs.mentions, prefs.private, prefs.every_message, prefs.sounds) == (
        True,
        True,
        False,
        True,
    )
    menu.invoke(2)  # every message: on
    menu.invoke(3)  # sounds: off
    assert prefs.every_message and not prefs.sounds
    app.quit()
    assert saved[-1].notify_all and not saved[-1].play_sounds


def test_every_window_we_map_carries_net_wm_pid_and_the_machine(app: ChatApp) -> None:
    need("xprop")
    dialog = tk.Toplevel(app.root)
    dialog.title("a dialog")
    dialog.update()
    for widget in (app.root, dialog):
        window = x11.client_window(widget.winfo_id())
        wait_until(has_our_pid(window), what="_NET_WM_PID", root=app.root)
        machine = subprocess.run(
            ["xprop", "-id", hex(window), "WM_CLIENT_MACHINE"], capture_output=True, text=True
        ).stdout
        assert socket.gethostname() in machine
    dialog.destroy()


def has_our_pid(window: int) -> Callable[[], bool]:
    return lambda: pid_of(window) == os.getpid()


def pid_of(window: int) -> int | None:
    out = subprocess.run(
        ["xprop", "-id", hex(window), "_NET_WM_PID"], capture_output=True, text=True
    ).stdout
    return int(out.rsplit("=", 1)[1]) if "=" in out else None


def test_ctrl_page_down_and_up_walk_the_open_tabs(app: ChatApp, bob: Peer) -> None:
    app.start_private("bob")
    app.root.update()
    _, page = tab_of(app, "bob")
    app.root.event_generate("<Control-Next>")  # from bob's tab: wraps to the room's
    app.root.update()
    assert shown(app) == str(app.transcript) and app.presenter.conversations.active == ROOM
    app.root.event_generate("<Control-Prior>")
    app.root.update()
    assert shown(app) == str(page)
