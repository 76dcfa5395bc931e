"""Right-click menus and Ctrl+A for the transcript and the message box.

Role: :class:`TranscriptMenu` (Copy, Copy link over a link, Open link,
Select all, Quote) and :class:`InputMenu` (Cut, Copy, Paste, Select all).
Each opens on the right mouse button, on Shift+F10 and on the Menu key (at
the cursor or selection then), and binds Ctrl+A to select all of its own
widget (Tk's default moves to the line start).

Decisions:

* Quote quotes the selection when the click is inside it, else the row under
  the pointer; each line becomes "> line" without its "[HH:MM] " stamp or
  gutter mark (:func:`quote_text`), appended to what is being typed.
* Copy link copies what a click opens (``www.x`` as ``http://www.x``).
* Items that would do nothing are disabled, not hidden (Copy with nothing
  selected); Copy link and Open link appear only over a link.
"""

from __future__ import annotations

import contextlib
import re
import tkinter as tk
from collections.abc import Callable
from typing import Literal

from desktopchat.gui.linkclick import TextHooks, link_at
from desktopchat.gui.links import target
from desktopchat.gui.render import GUTTER

__all__ = ["InputMenu", "TranscriptMenu", "quote_text", "select_all"]

_STAMP = re.compile(r"^\[\d\d:\d\d\] ")
_MENU_KEYS = ("<Button-3>", "<Shift-F10>", "<KeyPress-Menu>", "<KeyPress-App>")


def quote_text(text: str) -> str:
    """``text`` as quoted lines ("> line\\n" each), stamps and gutter marks dropped."""
    out: list[str] = []
    for row in text.splitlines():
        row = _STAMP.sub("", row, count=1)
        row = row.removeprefix(GUTTER).rstrip()
        if row:
            out.append(f"> {row}\n")
    return "".join(out)


def select_all(text: tk.Text) -> str:
    """Select everything in ``text`` (Ctrl+A); "break" for Tk."""
    text.tag_add("sel", "1.0", "end-1c")
    text.mark_set("insert", "end-1c")
    return "break"


def _bind_menu_keys(widget: tk.Text, opener: Callable[[tk.Event[tk.Text]], str]) -> None:
    for sequence in _MENU_KEYS:
        # "App" is a Windows keysym, unknown on X11 (and vice versa).
        with contextlib.suppress(tk.TclError):
            widget.bind(sequence, opener)
    for sequence in ("<Control-a>", "<Control-A>"):
        widget.bind(sequence, lambda _e: select_all(widget))


def _where(widget: tk.Text, event: tk.Event[tk.Text]) -> tuple[str, int, int]:
    """(text index, x_root, y_root) of a mouse click, or of the cursor/selection for a key."""
    if event.num == 3:
        return str(widget.index(f"@{event.x},{event.y}")), event.x_root, event.y_root
    at = "sel.first" if widget.tag_ranges("sel") else "insert"
    widget.see(at)
    box = widget.bbox(at) or (0, 0, 0, 0)
    x, y = box[0], box[1] + box[3]
    return str(widget.index(at)), widget.winfo_rootx() + x, widget.winfo_rooty() + y


def _state(enabled: bool) -> Literal["normal", "disabled"]:
    return "normal" if enabled else "disabled"


def _has_selection(widget: tk.Text) -> bool:
    return bool(widget.tag_ranges("sel"))


class TranscriptMenu:
    """The transcript's context menu."""

    def __init__(self, text: tk.Text, hooks: TextHooks) -> None:
        self.text = text
        self.hooks = hooks
        self.menu = tk.Menu(text, tearoff=False)
        _bind_menu_keys(text, self._open)

    def _open(self, event: tk.Event[tk.Text]) -> str:
        index, x, y = _where(self.text, event)
        self.fill(index)
        self.menu.tk_popup(x, y)
        return "break"

    def fill(self, index: str) -> tk.Menu:
        """Rebuild the menu for a click at ``index``; return it."""
        t, menu = self.text, self.menu
        menu.delete(0, "end")
        menu.add_command(label="Copy", command=self.copy, state=_state(_has_selection(t)))
        link = link_at(t, index)
        if link is not None:
            menu.add_command(label="Copy link", command=lambda: self.copy_link(link))
            menu.add_command(label="Open link", command=lambda: self.hooks.activate(link))
        menu.add_command(label="Select all", command=self.select_all)
        if self.hooks.quote is not None:
            menu.add_separator()
            menu.add_command(label="Quote", command=lambda: self.quote(index))
        return menu

    def copy(self) -> None:
        """Copy the selection."""
        if _has_selection(self.text):
            self.text.clipboard_clear()
            self.text.clipboard_append(self.text.get("sel.first", "sel.last"))

    def copy_link(self, link: str) -> None:
        """Put ``link`` (as a click would open it) on the clipboard."""
        self.text.clipboard_clear()
        self.text.clipboard_append(target(link))

    def select_all(self) -> None:
        """Select the whole transcript (and take the focus, so Ctrl+C copies it)."""
        self.text.focus_set()
        select_all(self.text)

    def quote(self, index: str) -> None:
        """Quote the selection if ``index`` is inside it, else the row at ``index``."""
        t = self.text
        if (
            _has_selection(t)
            and t.compare("sel.first", "<=", index)
            and t.compare(index, "<", "sel.last")
        ):
            chosen = t.get("sel.first", "sel.last")
        else:
            chosen = t.get(f"{index} linestart", f"{index} lineend")
        quoted = quote_text(chosen)
        if quoted and self.hooks.quote is not None:
            self.hooks.quote(quoted)


class InputMenu:
    """The message box's context menu."""

    def __init__(self, text: tk.Text) -> None:
        self.text = text
        self.menu = tk.Menu(text, tearoff=False)
        #: True when Paste would paste something that is not text (clipimage.py: a picture).
        self.can_paste_other: Callable[[], bool] = lambda: False
        _bind_menu_keys(text, self._open)

    def _open(self, event: tk.Event[tk.Text]) -> str:
        _, x, y = _where(self.text, event)
        self.text.focus_set()
        self.fill()
        self.menu.tk_popup(x, y)
        return "break"

    def _clipboard_has_text(self) -> bool:
        try:
            return bool(self.text.clipboard_get())
        except tk.TclError:  # empty, or not text
            return False

    def fill(self) -> tk.Menu:
        """Rebuild the menu for the current selection and clipboard; return it."""
        menu, t = self.menu, self.text
        menu.delete(0, "end")
        selected = _state(_has_selection(t))
        paste = _state(self._clipboard_has_text() or self.can_paste_other())
        menu.add_command(label="Cut", command=lambda: t.event_generate("<<Cut>>"), state=selected)
        menu.add_command(label="Copy", command=lambda: t.event_generate("<<Copy>>"), state=selected)
        menu.add_command(label="Paste", command=lambda: t.event_generate("<<Paste>>"), state=paste)
        menu.add_separator()
        menu.add_command(label="Select all", command=lambda: select_all(t))
        return menu
