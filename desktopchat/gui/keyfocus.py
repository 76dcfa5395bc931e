"""Keys and focus inside the main window: typing lands in the message box, Ctrl+Tab moves.

Role: :func:`install` gives a window's widgets the focus rules of a chat
program (HexChat, Slack):

* A printable key typed while the focus is on something that does not take
  text (a transcript, the user list, a conversation tab) goes to the message
  box: the focus moves there and the character is inserted, so nothing typed
  is lost. Keys with Ctrl or Alt keep their meaning (Ctrl+C still copies).
* Ctrl+Tab / Ctrl+Shift+Tab move the focus to the next / previous widget
  (Tk's traversal order; the transcript is in it), everywhere; Shift+Tab
  does it in the message box, where Tab completes names.
* Every widget that can take the focus shows a ring when it has it: ttk
  widgets draw their own; Tk Text and Listbox widgets get a :data:`RING`
  pixel highlight border (:func:`ring`; its colour is the theme's
  ``Palette.focus``, set by each widget's ``apply_palette``).

Focus after dialogs and on window activation is :mod:`.focus`'s job.
"""

from __future__ import annotations

import tkinter as tk

__all__ = ["REDIRECTED_CLASSES", "RING", "focus_order", "install", "ring", "typed_char"]

#: Width of the focus ring around Text and Listbox widgets (pixels).
RING = 2
#: Widget classes whose printable keys go to the message box (and a Text
#: while it is read-only, as the transcripts are).
REDIRECTED_CLASSES = frozenset({"Listbox", "Treeview", "TNotebook"})

_CONTROL, _ALT = 0x0004, 0x0008


def typed_char(event: tk.Event[tk.Misc]) -> str:
    """The character a key press types ("" for a shortcut or a non-printing key)."""
    char = event.char
    if len(char) != 1 or not char.isprintable():
        return ""
    if int(event.state) & (_CONTROL | _ALT):
        return ""
    return char


def ring(widget: tk.Text | tk.Listbox) -> None:
    """Give a Tk Text or Listbox a visible focus ring (and keyboard traversal).

    A read-only Text (a transcript) also gets Tab / Shift+Tab to the next /
    previous widget: Tk's Text class would insert a tab (nothing, read-only)
    and swallow Shift+Tab.
    """
    widget.configure(highlightthickness=RING, takefocus=True)
    if isinstance(widget, tk.Text) and str(widget.cget("state")) == "disabled":
        widget.bind("<<NextWindow>>", lambda _e: _move(widget, forward=True))
        widget.bind("<<PrevWindow>>", lambda _e: _move(widget, forward=False))


def _move(widget: tk.Misc, *, forward: bool) -> str:
    nxt = widget.tk_focusNext() if forward else widget.tk_focusPrev()
    if nxt is not None:
        nxt.focus_set()
    return "break"


def _takes_no_text(widget: tk.Misc) -> bool:
    cls = widget.winfo_class()
    if cls == "Text":
        return str(widget.cget("state")) == "disabled"
    return cls in REDIRECTED_CLASSES


def install(root: tk.Tk, message_box: tk.Text) -> None:
    """Apply the rules above to every widget in ``root`` (not to dialogs)."""

    def redirect(event: tk.Event[tk.Misc]) -> str | None:
        widget = event.widget
        if not isinstance(widget, tk.Misc) or widget is message_box:
            return None
        char = typed_char(event)
        if not char or not _takes_no_text(widget):
            return None
        message_box.focus_set()
        message_box.insert("insert", char)
        message_box.see("insert")
        return "break"

    def move(event: tk.Event[tk.Misc], forward: bool) -> str:
        if isinstance(event.widget, tk.Misc):
            _move(event.widget, forward=forward)
        return "break"

    root.bind("<KeyPress>", redirect, add=True)
    root.bind("<Control-Tab>", lambda e: move(e, True), add=True)
    for sequence in ("<Control-Shift-Tab>", "<Control-ISO_Left_Tab>"):
        root.bind(sequence, lambda e: move(e, False), add=True)
    message_box.bind("<<PrevWindow>>", lambda e: move(e, False))
    message_box.bind("<Control-Tab>", lambda e: move(e, True))
    for sequence in ("<Control-Shift-Tab>", "<Control-ISO_Left_Tab>"):
        message_box.bind(sequence, lambda e: move(e, False))


def focus_order(root: tk.Misc) -> list[tk.Misc]:
    """The widgets Ctrl+Tab visits, in order, starting after ``root`` (for tests)."""
    seen: list[tk.Misc] = []
    widget = root.tk_focusNext()
    while widget is not None and widget not in seen:
        seen.append(widget)
        widget = widget.tk_focusNext()
    return seen
