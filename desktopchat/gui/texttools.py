"""Wiring of the text-handling features into the main window (issue 9's "text handling").

Role: :func:`install` adds to a :class:`~.window.MainWindow`, without the
window module knowing the details:

* the find bar (:mod:`.findbar`) under the conversation tabs, on the
  transcript of the selected tab;
* the ☺ emoji button before Send (:mod:`.emoji`);
* the message box's context menu and Ctrl+A (:mod:`.textmenu`), Tab and
  ``:shortcode:`` completion (:mod:`.tabcomplete`);
* the focus rules (:mod:`.keyfocus`): typing elsewhere lands in the message
  box, Ctrl+Tab, focus rings;
* the window's :class:`~.linkclick.TextHooks` (shared by every transcript
  of the window): Quote puts "> text" into the message box.

Each transcript adds its own links, menu and "Jump to latest" (transcript.py).
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Sequence
from tkinter import ttk
from typing import TYPE_CHECKING, Protocol

from desktopchat.gui import keyfocus, tabcomplete
from desktopchat.gui.emoji import EmojiButton
from desktopchat.gui.findbar import FindBar
from desktopchat.gui.linkclick import TextHooks, hooks_for
from desktopchat.gui.textmenu import InputMenu

if TYPE_CHECKING:
    from desktopchat.gui.window import MainWindow

__all__ = ["TextTools", "install", "join_in_dialog"]


class TextTools:
    """What :func:`install` made, for the app and the tests."""

    def __init__(self, window: MainWindow, names: Callable[[], Sequence[str]]) -> None:
        self.window = window
        root, box = window.root, window.input
        self.hooks: TextHooks = hooks_for(root)
        self.hooks.quote = self.quote
        self.find_bar = FindBar(
            self._area().master, target=self.current_text, on_close=box.focus_set
        )
        self.emoji_button = EmojiButton(window.send_button.master, box)
        self.emoji_button.pack(side="left", padx=(6, 0), fill="y", before=window.send_button)
        self.input_menu = InputMenu(box)
        self.completer = tabcomplete.attach(box, names)
        keyfocus.ring(box)
        keyfocus.ring(window.userlist.listbox)
        keyfocus.install(root, box)
        for sequence in ("<Control-f>", "<Control-F>"):  # not also Tk's "cursor right"
            box.bind(sequence, lambda _e: self._open_find_key())
        for sequence in ("<F3>", "<KP_F3>"):
            root.bind(sequence, lambda _e: self.find_next(), add=True)
        root.bind("<Shift-F3>", lambda _e: self.find_previous(), add=True)

    def _area(self) -> tk.Widget:
        """The widget holding the conversations (the find bar goes below it)."""
        return self.window.panes

    def current_text(self) -> tk.Text:
        """The Text of the transcript shown now (the selected tab's)."""
        notebook = getattr(self.window, "notebook", None)
        if notebook is not None and notebook.select():
            shown = notebook.nametowidget(notebook.select())
            # The room's tab is a Transcript; a private tab holds one (tabs.py).
            for page in (shown, getattr(shown, "transcript", None)):
                text = getattr(page, "text", None)
                if isinstance(text, tk.Text):
                    return text
        return self.window.transcript.text

    def open_find(self) -> None:
        """Ctrl+F: show the find bar (or focus it again)."""
        self.find_bar.open(self._area())

    def _open_find_key(self) -> str:
        self.open_find()
        return "break"

    def find_next(self) -> str:
        """F3: the next older match (opens the bar if closed)."""
        if self.find_bar.is_open:
            self.find_bar.next()
        else:
            self.open_find()
        return "break"

    def find_previous(self) -> str:
        """Shift+F3: the next newer match."""
        if self.find_bar.is_open:
            self.find_bar.previous()
        else:
            self.open_find()
        return "break"

    def quote(self, quoted: str) -> None:
        """Append ``quoted`` ("> line\\n" lines) to the message box and focus it."""
        box = self.window.input
        current = box.get("1.0", "end-1c")
        if current and not current.endswith("\n"):
            box.insert("end-1c", "\n")
        box.insert("end-1c", quoted)
        box.mark_set("insert", "end-1c")
        box.see("insert")
        box.focus_set()


class _JoinDialogs(Protocol):
    dialog: tk.Toplevel | None

    def join_room(self) -> None: ...


def join_in_dialog(app: _JoinDialogs) -> Callable[[str], None]:
    """The default ``on_link_join``: open Room ▸ Join room… with the link as the address.

    The user still presses Connect: a link in a message is someone else's
    text, and joining a room is the user's decision.
    """

    def open_link(link: str) -> None:
        app.join_room()
        entry = getattr(app.dialog, "address_entry", None)
        if isinstance(entry, tk.Entry | ttk.Entry):
            entry.delete(0, "end")
            entry.insert(0, link)

    return open_link


def install(window: MainWindow, names: Callable[[], Sequence[str]]) -> TextTools:
    """Add the text-handling features to ``window``; ``names()`` = who Tab completes."""
    return TextTools(window, names)
