"""Keep a transcript at its newest line, and the "Jump to latest" button.

Role: :class:`FollowBottom` watches one transcript's view. While the newest
line is in view, it stays in view through everything that lays the text out
again: a window resize, a text-size change (the transcript calls
:meth:`FollowBottom.keep` first). Someone who scrolled up to read is never
moved; a "Jump to latest ↓" button (ttk) then sits over the bottom right of
the transcript and brings them back. At the bottom the button is hidden.

How "at the bottom" is known: Tk reports every change of the view through
``yscrollcommand``; the last report before a resize or zoom says where the
user was. The report that the new layout itself produces comes later (at
idle), so it cannot mistake "the resize moved the end out of view" for "the
user scrolled up". Reports while the transcript is not mapped (before the
window shows, a hidden tab) are layout only and ignored.
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk

__all__ = ["JUMP_TEXT", "FollowBottom"]

JUMP_TEXT = "Jump to latest ↓"
#: Gap between the button and the transcript's bottom right corner (pixels).
_MARGIN = 10


class FollowBottom:
    """The stay-at-the-bottom rule and the jump button of one transcript."""

    def __init__(self, frame: ttk.Frame, text: tk.Text, scrollbar: ttk.Scrollbar) -> None:
        self.text = text
        self.scrollbar = scrollbar
        #: The newest line was in view at the last report of the view.
        self.at_end = True
        self._stick_id: str | None = None
        self.button = ttk.Button(frame, text=JUMP_TEXT, command=self.jump, takefocus=False)
        self._shown = False
        text.configure(yscrollcommand=self._on_view)
        text.bind("<Configure>", lambda _e: self.keep(), add=True)

    @property
    def button_shown(self) -> bool:
        """True while "Jump to latest" is shown."""
        return self._shown

    def _on_view(self, first: float, last: float) -> None:  # Tk passes strings
        self.scrollbar.set(first, last)
        if not self.text.winfo_ismapped():
            return  # laid out at 1x1 before the window shows: says nothing about the user
        self.at_end = float(last) >= 1.0
        if self._stick_id is None:  # a pending re-stick decides the button itself
            self._show_button(not self.at_end)

    def keep(self) -> None:
        """Call before anything re-lays out the text: the view stays at the end if it was."""
        if self.at_end and self._stick_id is None:
            self._stick_id = self.text.after_idle(self._stick)

    def _stick(self) -> None:
        self._stick_id = None
        self.text.yview_moveto(1.0)
        self.at_end = True
        self._show_button(False)

    def jump(self) -> None:
        """Show the newest line (the button's command)."""
        self.text.yview_moveto(1.0)
        self.at_end = True
        self._show_button(False)

    def _show_button(self, show: bool) -> None:
        if show == self._shown:
            return
        self._shown = show
        if show:
            x = -(self.scrollbar.winfo_width() + _MARGIN)
            self.button.place(relx=1.0, rely=1.0, x=x, y=-_MARGIN, anchor="se")
            self.button.lift()
        else:
            self.button.place_forget()
