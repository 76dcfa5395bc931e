"""The window's menus, quitting, saving and the transcript's long-run behaviour: one menu
table with working accelerators, Ctrl+Q saving settings, Save transcript, the help window,
colours, the pump stopped on quit, older lines through a full scrollback, multi-line
indentation, "//", and Quit asking before unsent messages are dropped.
"""

from __future__ import annotations

import threading
import tkinter as tk
from pathlib import Path

import pytest
from guitools import transcript
from peer import Peer
from test_gui_app import EMOJI, bob_line, join, send_with_enter
from waiting import wait_until

from desktopchat.gui.app import ChatApp
from desktopchat.server import RoomServer
from desktopchat.settings import Settings

pytestmark = pytest.mark.gui


def test_menus_come_from_one_table_and_accelerators_work(app: ChatApp) -> None:
    room_menu = app.menus["Room"]
    last = room_menu.index("end")
    assert last is not None
    labels = [
        room_menu.entrycget(i, "label") for i in range(last + 1) if room_menu.type(i) == "command"
    ]
    assert labels == [
        "Host room…",
        "Join room…",
        "Leave room",
        "Room info…",
        "Invite people…",
        "Send file…",
        "Save transcript…",
        "Quit",
    ]
    quit_index = room_menu.index("Quit")
    assert quit_index is not None
    assert room_menu.entrycget(quit_index, "accelerator") == "Ctrl+Q"
    view = app.menus["View"]
    assert view.entrycget(0, "accelerator") == "Ctrl+="
    assert view.entrycget(1, "accelerator") == "Ctrl+-"
    help_menu = app.menus["Help"]
    assert [help_menu.entrycget(i, "label") for i in (0, 1, 2, 4)] == [
        "Getting started",
        "Commands and shortcuts",
        "For developers (protocol)",
        "About",
    ]
    size = app.text_font.cget("size")
    app.input.focus_force()
    app.root.update()
    app.input.event_generate("<Control-equal>", when="now")
    app.root.update()
    assert app.text_font.cget("size") == size + 1
    app.input.event_generate("<Control-minus>", when="now")
    app.input.event_generate("<Control-minus>", when="now")
    app.root.update()
    assert app.text_font.cget("size") == size - 1 == app.settings.font_size
    assert app.input.get_text() == "", "the shortcut typed into the input"


def test_ctrl_q_quits_and_saves_the_settings(
    app: ChatApp, room: RoomServer, saved: list[Settings]
) -> None:
    join(app, room, "zoë")
    app.larger_text()
    app.input.focus_force()
    app.root.update()
    app.input.event_generate("<Control-q>", when="now")
    assert app.closed
    assert len(saved) == 1
    settings = saved[0]
    assert settings.name == "zoë" and settings.font_size == Settings().font_size + 1
    assert settings.geometry.startswith("800x500")
    with pytest.raises(tk.TclError):
        app.root.winfo_exists()
    assert app.presenter.wait_stopped(3.0)  # Quit itself never waits for the threads
    assert not [t for t in threading.enumerate() if t.name == "desktopchat-client"]


def test_save_transcript_writes_utf8(app: ChatApp, tmp_path: Path) -> None:
    bob_line(app, EMOJI)
    out = tmp_path / "log.txt"
    assert app.write_transcript(out)
    assert f"bob: {EMOJI}" in out.read_text(encoding="utf-8")


def test_help_protocol_opens_a_text_window(app: ChatApp) -> None:
    before = set(app.root.winfo_children())
    app.show_protocol()
    app.root.update()
    new = [w for w in app.root.winfo_children() if w not in before and isinstance(w, tk.Toplevel)]
    assert len(new) == 1 and "protocol" in new[0].title()
    new[0].destroy()


def test_colours_are_stable_and_case_insensitive() -> None:
    from desktopchat.gui.render import NAME_SLOTS, name_slot

    assert name_slot("Bob") == name_slot("bob") in range(NAME_SLOTS)
    assert len({name_slot(n) for n in ("ann", "bob", "carol", "dave", "eve", "zoë")}) > 2


def test_pump_is_cancelled_on_quit(app: ChatApp) -> None:
    running_before = app.pump.running
    app.quit()
    assert running_before and not app.pump.running
    assert app.pump._after_id is None, "a pump tick is still scheduled"


def test_reading_older_lines_survives_a_full_scrollback(app: ChatApp) -> None:
    t = app.transcript
    assert t.max_entries == 5000
    for i in range(5000):
        bob_line(app, f"old {i}")
    t.flush()
    app.root.update()
    t.text.yview_scroll(-1, "units")  # one line up from the bottom of 5,000 lines
    app.root.update()
    assert not t.at_bottom()
    t.text.yview("100.0")  # reading "old 99"
    app.root.update()
    reading = t.text.get("@0,0 linestart", "@0,0 lineend")
    for i in range(50):  # trims 50 lines from the top
        bob_line(app, f"new {i}")
    t.flush()
    app.root.update()
    assert t.line_count() == 5000
    assert t.text.get("@0,0 linestart", "@0,0 lineend") == reading


def test_later_lines_of_a_multi_line_message_are_indented_under_the_text(app: ChatApp) -> None:
    t = app.transcript
    bob_line(app, "first\nsecond")
    t.flush()
    second = t.text.search("second", "1.0")
    assert "cont" in t.text.tag_names(second)
    assert "cont" not in t.text.tag_names(t.text.search("first", "1.0"))
    assert int(t.text.tag_cget("cont", "lmargin1")) == t._font.measure("[00:00] ") > 0


def test_double_slash_sends_a_message_starting_with_a_slash(app: ChatApp, room: RoomServer) -> None:
    with Peer.joined(room.address, "bob") as bob:
        join(app, room)
        send_with_enter(app, "//shrug")
        assert bob.read_until("ann") == "/shrug"
    assert "ann: /shrug" in transcript(app)


def test_quit_asks_before_dropping_messages_that_were_not_sent(
    app: ChatApp, room: RoomServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    join(app, room)
    room.stop()
    wait_until(lambda: not app.online, what="disconnected", root=app.root)
    send_with_enter(app, "typed during the outage")
    asked: list[str] = []
    answer = False

    def askokcancel(title: str, message: str, **options: object) -> bool:
        asked.append(message)
        return answer

    monkeypatch.setattr("desktopchat.gui.app.messagebox.askokcancel", askokcancel)
    app.request_quit()  # the user says Cancel: nothing is lost
    assert asked and "1 message you typed has not been sent" in asked[0]
    assert app.client is not None and app.client.pending == 1
    assert (app.closed, len(asked)) == (False, 1)
    answer = True
    app.request_quit()
    assert (app.closed, len(asked)) == (True, 2)


def test_quit_without_unsent_messages_does_not_ask(
    app: ChatApp, room: RoomServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    join(app, room)

    def askokcancel(*args: object, **options: object) -> bool:
        raise AssertionError("asked although nothing was waiting")

    monkeypatch.setattr("desktopchat.gui.app.messagebox.askokcancel", askokcancel)
    app.request_quit()
    assert app.closed
