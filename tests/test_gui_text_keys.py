"""Keys, focus, completion, emoji and the view in a real window (issue 9's text handling).

Typing in the transcript or user list lands in the message box, Tab
completes names and shortcodes, Ctrl+Tab/Shift+Tab move the focus, the
emoji picker inserts, the view stays at the newest line through resizes and
text-size changes (else "Jump to latest"), Ctrl+0 resets the text size.
"""

from __future__ import annotations

import time
import tkinter as tk

from guitools import command_labels, send_key

from desktopchat.gui.app import ChatApp
from desktopchat.gui.emoji import EmojiPicker
from desktopchat.gui.follow import JUMP_TEXT
from desktopchat.gui.keyfocus import focus_order
from desktopchat.gui.lines import Kind, Line
from desktopchat.gui.shortcodes import PICKER
from desktopchat.settings import Settings


def type_keys(widget: tk.Misc, keysyms: list[str]) -> None:
    widget.focus_force()
    widget.update()
    for keysym in keysyms:
        widget.focus_get().event_generate(f"<KeyPress-{keysym}>", when="now")  # type: ignore[union-attr]
    widget.update()


def fill(app: ChatApp, count: int = 200) -> None:
    for i in range(count):
        app.show(Line(Kind.MESSAGE, f"line {i}", time.time(), "bob"))
    app.transcript.flush()
    app.root.update()


def test_typing_in_the_transcript_or_user_list_lands_in_the_message_box(app: ChatApp) -> None:
    fill(app, 3)
    app.input.set_text("")
    type_keys(app.transcript.text, ["h", "i"])
    assert app.input.get_text() == "hi"
    assert app.root.focus_get() is app.input
    type_keys(app.userlist.listbox, ["space", "x"])
    assert app.input.get_text() == "hi x"
    # Shortcuts keep their meaning: Ctrl+C in the transcript copies, types nothing.
    t = app.transcript.text
    t.tag_add("sel", "1.0", "1.4")
    send_key(t, "<Control-c>")
    assert app.input.get_text() == "hi x"
    assert app.root.focus_get() is t


def test_tab_completes_names_cycles_and_never_inserts_a_tab(app: ChatApp) -> None:
    app.users_reset(["ann", "Alice", "alan", "bob"], "ann")
    box = app.input
    box.set_text("al")
    send_key(box, "<Tab>")
    assert box.get_text() == "alan: "
    send_key(box, "<Tab>")
    assert box.get_text() == "Alice: "
    send_key(box, "<Tab>")
    assert box.get_text() == "alan: "
    type_keys(box, ["h", "i", "space", "b"])
    send_key(box, "<Tab>")
    assert box.get_text() == "alan: hi bob "
    box.set_text("zzz")
    send_key(box, "<Tab>")
    assert box.get_text() == "zzz" and "\t" not in box.get_text()


def test_shortcodes_complete_on_tab_and_on_the_closing_colon(app: ChatApp) -> None:
    box = app.input
    box.set_text("nice :thumbsu")
    send_key(box, "<Tab>")
    assert box.get_text() == "nice 👍"
    type_keys(box, ["space", "colon", "s", "m", "i", "l", "e", "colon"])
    assert box.get_text() == "nice 👍 😄"
    type_keys(box, ["space", "1", "0", "colon", "3", "0", "colon"])
    assert box.get_text() == "nice 👍 😄 10:30:"


def test_ctrl_tab_and_shift_tab_move_the_focus_and_every_stop_has_a_ring(app: ChatApp) -> None:
    order = focus_order(app.root)
    t, lb, box = app.transcript.text, app.userlist.listbox, app.input
    assert {t, lb, box} <= set(order)
    for widget in (t, lb, box):
        assert int(widget.cget("highlightthickness")) >= 1, f"{widget} has no focus ring"
    send_key(box, "<Control-Tab>")
    after_box = app.root.focus_get()
    assert after_box is not box and after_box is order[(order.index(box) + 1) % len(order)]
    send_key(box, "<Shift-Tab>")
    assert app.root.focus_get() is order[order.index(box) - 1]
    send_key(lb, "<Control-Tab>")
    assert app.root.focus_get() is order[(order.index(lb) + 1) % len(order)]


def test_tab_in_the_transcript_moves_on_and_ctrl_f_leaves_the_cursor(app: ChatApp) -> None:
    fill(app, 3)
    t, box = app.transcript.text, app.input
    order = focus_order(app.root)
    send_key(t, "<Tab>")
    assert app.root.focus_get() is order[(order.index(t) + 1) % len(order)]
    send_key(t, "<Shift-Tab>")
    assert app.root.focus_get() is order[order.index(t) - 1]
    box.set_text("hello")
    box.mark_set("insert", "1.2")
    send_key(box, "<Control-f>")
    assert app.text_tools.find_bar.winfo_manager()
    assert box.index("insert") == "1.2", "Ctrl+F also moved the cursor"


def test_the_emoji_picker_inserts_at_the_cursor_and_escape_closes(app: ChatApp) -> None:
    box = app.input
    box.set_text("ab")
    box.mark_set("insert", "1.1")
    app.text_tools.emoji_button.invoke()
    app.root.update()
    picker = app.text_tools.emoji_button.picker
    assert isinstance(picker, EmojiPicker) and len(picker.buttons) == len(PICKER) == 40
    picker.buttons[PICKER.index("👍")].invoke()
    app.root.update()
    assert box.get_text() == "a👍b"
    assert not picker.winfo_exists()
    assert app.root.focus_get() is box
    app.text_tools.emoji_button.invoke()
    app.root.update()
    picker = app.text_tools.emoji_button.picker
    assert picker is not None
    send_key(picker.buttons[0], "<Escape>")
    assert not picker.winfo_exists()
    assert box.get_text() == "a👍b"


def test_resize_and_text_size_keep_the_newest_line_in_view(app: ChatApp) -> None:
    fill(app)
    t = app.transcript
    assert t.at_bottom()
    app.root.geometry("640x360")
    app.root.update()
    assert t.at_bottom(), "a smaller window scrolled the newest line away"
    app.root.geometry("900x600")
    app.root.update()
    assert t.at_bottom()
    app.larger_text()
    app.larger_text()
    app.root.update()
    assert t.at_bottom(), "larger text scrolled the newest line away"
    app.smaller_text()
    app.root.update()
    assert t.at_bottom()
    assert not t.follow.button_shown


def test_scrolled_up_shows_jump_to_latest_and_a_resize_keeps_the_place(app: ChatApp) -> None:
    fill(app)
    t = app.transcript
    t.text.yview_moveto(0.2)  # the user scrolls up to read
    app.root.update()
    assert t.follow.button_shown
    assert t.follow.button.cget("text") == JUMP_TEXT
    assert t.follow.button.winfo_ismapped()
    top = t.text.index("@0,0")
    app.root.geometry("700x400")
    app.root.update()
    assert not t.at_bottom()
    assert t.text.index("@0,0") == top, "the resize moved a reader"
    t.follow.button.invoke()
    app.root.update()
    assert t.at_bottom()
    assert not t.follow.button.winfo_ismapped()


def test_ctrl_0_resets_the_text_size_and_ctrl_plus_minus_change_it(app: ChatApp) -> None:
    default = Settings().font_size
    send_key(app.input, "<Control-equal>")
    assert app.settings.font_size == default + 1
    send_key(app.input, "<Control-minus>")
    send_key(app.input, "<Control-minus>")
    assert app.settings.font_size == default - 1
    app.set_font_size(20)
    send_key(app.input, "<Control-0>")
    assert app.settings.font_size == default
    assert app.text_font.cget("size") == default
    view = app.menus["View"]
    labels = command_labels(view)
    assert "Reset text size" in labels and "Find…" in labels
    index = labels.index("Reset text size")
    assert view.entrycget("Reset text size", "accelerator") == "Ctrl+0"
    assert index > labels.index("Smaller text")
