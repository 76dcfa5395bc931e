"""Text handling in a real window: links, context menus, Ctrl+A, Ctrl+F (issue 9).

Keys are real key events (``focus_force`` + ``update`` first); menu items are
run by invoking the menu's own entries, as a click on them would.
"""

from __future__ import annotations

import threading
import time
import tkinter as tk
import webbrowser

import pytest
from guitools import command_labels, send_key
from waiting import wait_until

from desktopchat.gui.app import ChatApp
from desktopchat.gui.findbar import CURRENT_TAG, FIND_TAG, MAX_MATCHES, find_ranges
from desktopchat.gui.lines import Kind, Line
from desktopchat.gui.links import LINK_TAG


def say(app: ChatApp, text: str, sender: str = "bob") -> None:
    app.show(Line(Kind.MESSAGE, text, time.time(), sender))
    app.transcript.flush()
    app.root.update()


def link_index(app: ChatApp, number: int = -1) -> str:
    ranges = app.transcript.text.tag_ranges(LINK_TAG)
    return str(ranges[::2][number])


def mouse(text: tk.Text, index: str, *events: str) -> None:
    """Point at ``index`` (Tk moves its "current" mark on motion) and send ``events``.

    Generated events all carry time 0: two clicks at the same spot make a
    double click (which selects a word), so tests click different characters.
    """
    text.see(index)
    text.update()
    box = text.bbox(index)
    assert box is not None
    x, y = box[0] + 2, box[1] + 2
    rx, ry = text.winfo_rootx() + x, text.winfo_rooty() + y
    text.event_generate("<Enter>", x=x, y=y, rootx=rx, rooty=ry, when="now")
    text.event_generate("<Motion>", x=x, y=y, rootx=rx, rooty=ry, when="now")
    for event in events:
        text.event_generate(event, x=x, y=y, rootx=rx, rooty=ry, when="now")
    text.update()


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """URLs handed to the browser (webbrowser.open, patched; called on a thread)."""
    urls: list[str] = []

    def fake_open(url: str, new: int = 0, autoraise: bool = True) -> bool:
        assert threading.current_thread() is not threading.main_thread(), "opened on Tk's thread"
        urls.append(url)
        return True

    monkeypatch.setattr(webbrowser, "open", fake_open)
    return urls


def test_a_link_is_underlined_with_a_hand_cursor_and_a_click_opens_it(
    app: ChatApp, opened: list[str]
) -> None:
    say(app, "docs at www.python.org/doc, see!")
    t = app.transcript.text
    index = link_index(app)
    assert t.get(index, f"{index} + 18c") == "www.python.org/doc"
    assert t.tag_cget(LINK_TAG, "underline") in ("1", 1, True)
    mouse(t, index)
    assert str(t.cget("cursor")) == "hand2"
    mouse(t, index, "<ButtonPress-1>", "<ButtonRelease-1>")
    wait_until(lambda: opened, root=app.root)
    assert opened == ["http://www.python.org/doc"]


def test_dragging_a_selection_across_a_link_opens_nothing(app: ChatApp, opened: list[str]) -> None:
    say(app, "https://example.org/x")
    t = app.transcript.text
    index = link_index(app)
    mouse(t, index, "<ButtonPress-1>")
    t.tag_add("sel", index, f"{index} + 5c")  # what the drag selected
    mouse(t, index, "<ButtonRelease-1>")
    time.sleep(0.05)
    assert opened == []


def test_an_invitation_link_goes_to_the_join_dialog_not_the_browser(
    app: ChatApp, opened: list[str]
) -> None:
    say(app, "come: desktopchat://10.1.2.3:1234?fp=ab12")
    mouse(app.transcript.text, link_index(app), "<ButtonPress-1>", "<ButtonRelease-1>")
    dialog = app.dialog
    assert dialog is not None, "the Join dialog did not open"
    entry = dialog.address_entry  # type: ignore[attr-defined]
    assert entry.get() == "desktopchat://10.1.2.3:1234?fp=ab12"
    assert opened == []
    dialog.destroy()  # Cancel
    joins: list[str] = []
    app.text_tools.hooks.on_link_join = joins.append  # the hook the app may set instead
    later = f"{link_index(app)} + 12c"  # not a double click on the same spot
    mouse(app.transcript.text, later, "<ButtonPress-1>", "<ButtonRelease-1>")
    assert joins == ["desktopchat://10.1.2.3:1234?fp=ab12"]


def test_many_links_in_one_message_stay_cheap(app: ChatApp) -> None:
    started = time.perf_counter()
    say(app, " ".join(f"https://h{i}.example" for i in range(5000)))
    assert time.perf_counter() - started < 2.0
    assert len(app.transcript.text.tag_ranges(LINK_TAG)) // 2 <= 200


def test_transcript_menu_copy_link_copy_select_all_and_quote(app: ChatApp) -> None:
    say(app, "first line")
    say(app, "read https://example.org/a then", sender="carol")
    t = app.transcript.text
    index = link_index(app)
    mouse(t, index, "<Button-3>")  # the real right click posts the menu
    menu = app.transcript.menu.menu
    try:
        labels = command_labels(menu)
        assert labels == ["Copy", "Copy link", "Open link", "Select all", "Quote"]
        assert menu.entrycget(0, "state") == "disabled"  # nothing selected
        menu.invoke("Copy link")
    finally:
        menu.unpost()
    assert app.root.clipboard_get() == "https://example.org/a"

    menu = app.transcript.menu.fill(index)
    menu.invoke("Quote")
    assert app.input.get_text() == "> carol: read https://example.org/a then\n"
    assert app.root.focus_get() is app.input

    menu = app.transcript.menu.fill("1.0")
    menu.invoke("Select all")
    assert t.get("sel.first", "sel.last") == t.get("1.0", "end-1c")
    menu = app.transcript.menu.fill("1.0")
    assert menu.entrycget("Copy", "state") == "normal"
    menu.invoke("Copy")
    assert "first line" in app.root.clipboard_get()


def test_quote_of_a_selection_quotes_each_line(app: ChatApp) -> None:
    say(app, "one\ntwo")
    t = app.transcript.text
    t.tag_add("sel", "1.0", "end-1c")
    app.input.set_text("about this:")
    app.transcript.menu.quote("1.3")
    assert app.input.get_text().endswith("about this:\n> bob: one\n> two\n")


def test_shift_f10_opens_the_menu_at_the_cursor(app: ChatApp) -> None:
    say(app, "hello")
    t = app.transcript.text
    send_key(t, "<Shift-F10>")
    menu = app.transcript.menu.menu
    try:
        assert menu.winfo_ismapped()
    finally:
        menu.unpost()


def test_message_box_menu_cut_copy_paste_select_all(app: ChatApp) -> None:
    box = app.input
    box.set_text("hello world")
    send_key(box, "<Control-a>")  # Ctrl+A selects all, not the line start
    assert box.get("sel.first", "sel.last") == "hello world"
    menu = app.text_tools.input_menu.fill()
    assert [menu.entrycget(i, "label") for i in (0, 1, 2, 4)] == [
        "Cut",
        "Copy",
        "Paste",
        "Select all",
    ]
    menu.invoke("Copy")
    assert app.root.clipboard_get() == "hello world"
    box.tag_remove("sel", "1.0", "end")
    box.tag_add("sel", "1.0", "1.6")
    menu = app.text_tools.input_menu.fill()
    menu.invoke("Cut")
    assert box.get_text() == "world"
    box.mark_set("insert", "end-1c")
    menu = app.text_tools.input_menu.fill()
    menu.invoke("Paste")
    assert box.get_text() == "worldhello "
    box.tag_remove("sel", "1.0", "end")
    menu = app.text_tools.input_menu.fill()
    assert menu.entrycget("Copy", "state") == "disabled"
    menu.invoke("Select all")
    assert box.get("sel.first", "sel.last") == "worldhello "


def test_ctrl_a_in_the_transcript_selects_all_of_it(app: ChatApp) -> None:
    say(app, "one")
    say(app, "two")
    t = app.transcript.text
    send_key(t, "<Control-a>")
    assert t.get("sel.first", "sel.last") == t.get("1.0", "end-1c")


def find_count(app: ChatApp) -> str:
    return app.text_tools.find_bar.current_text()


def test_ctrl_f_finds_next_previous_with_a_count_and_escape_closes(app: ChatApp) -> None:
    for i in range(12):
        say(app, f"line {i} has the Word" if i % 4 == 0 else f"line {i}")
    send_key(app.input, "<Control-f>")
    bar = app.text_tools.find_bar
    assert bar.is_open and app.root.focus_get() is bar.entry
    for char in "word":
        bar.entry.event_generate(f"<KeyPress-{char}>", when="now")
    app.root.update()
    assert bar.query.get() == "word"
    t = app.transcript.text
    assert len(t.tag_ranges(FIND_TAG)) == 6  # three matches, all highlighted
    assert find_count(app) == "1 of 3"
    current = t.tag_ranges(CURRENT_TAG)
    assert t.get(current[0], current[1]) == "Word"
    assert "line 8" in t.get(f"{current[0]} linestart", current[0])  # the newest first
    send_key(bar.entry, "<Return>")
    assert find_count(app) == "2 of 3"
    send_key(bar.entry, "<Return>")
    send_key(bar.entry, "<Return>")
    assert find_count(app) == "1 of 3"  # wrapped around
    send_key(bar.entry, "<Shift-Return>")
    assert find_count(app) == "3 of 3"
    send_key(bar.entry, "<F3>")
    assert find_count(app) == "1 of 3"
    send_key(bar.entry, "<Shift-F3>")
    assert find_count(app) == "3 of 3"
    current = t.tag_ranges(CURRENT_TAG)
    assert "line 0" in t.get(f"{current[0]} linestart", current[0])
    send_key(bar.entry, "<Escape>")
    assert not bar.winfo_manager(), "the bar is still shown"
    assert app.root.focus_get() is app.input
    assert not t.tag_ranges(FIND_TAG) and not t.tag_ranges(CURRENT_TAG)


def test_find_counts_new_lines_and_says_when_nothing_matches(app: ChatApp) -> None:
    say(app, "alpha")
    app.text_tools.open_find()
    bar = app.text_tools.find_bar
    bar.query.set("alpha")
    assert find_count(app) == "1 of 1"
    say(app, "alpha again")
    bar.next()  # new lines are searched at the next Enter
    assert find_count(app).endswith("of 2")
    bar.query.set("zebra")
    assert find_count(app) == "No matches"


def test_find_after_emoji_highlights_exactly_the_match(app: ChatApp) -> None:
    # Tk 8.6 crashes on a backwards case-insensitive Text.search in such a line,
    # and counts an emoji as two characters: the bar must do neither wrong.
    say(app, "😄😄 PyThon 🎉 python")
    app.text_tools.open_find()
    app.text_tools.find_bar.query.set("python")
    t = app.transcript.text
    ranges = t.tag_ranges(FIND_TAG)
    found = [t.get(a, b) for a, b in zip(ranges[::2], ranges[1::2], strict=True)]
    assert found == ["PyThon", "python"]


def test_find_caps_the_matches() -> None:
    content = "\n".join("a a" for _ in range(MAX_MATCHES))
    ranges = find_ranges(content, "A")
    assert len(ranges) == 2 * (MAX_MATCHES + 1)
    assert ranges[:2] == [f"{MAX_MATCHES}.2", f"{MAX_MATCHES}.3"]  # newest first


def test_find_searches_the_tab_shown_and_a_private_tab_has_links_and_menus(
    app: ChatApp, opened: list[str]
) -> None:
    say(app, "room line about cats")
    app.start_private("bob")
    app.root.update()
    tid = app.presenter.conversations.active
    private = app.transcript_of(tid)
    assert private is not app.transcript
    app.tab_line(tid, Line(Kind.PRIVATE, "psst cats https://cats.example", time.time(), "bob"))
    app.root.update()
    app.text_tools.open_find()
    app.text_tools.find_bar.query.set("cats")
    assert find_count(app) == "1 of 2"  # the private tab's line and its link
    assert not app.transcript.text.tag_ranges(FIND_TAG)
    index = str(private.text.tag_ranges(LINK_TAG)[0])
    mouse(private.text, index, "<ButtonPress-1>", "<ButtonRelease-1>")
    wait_until(lambda: opened, root=app.root)
    assert opened == ["https://cats.example"]
    assert "Copy link" in command_labels(private.menu.fill(index))
