"""The one line under the transcript that says who is typing (the view side of gui/typing.py).

:class:`TypingBar` owns a label between the transcript and the message box,
always one line high (so the transcript does not jump when it appears), in
the theme's text colour and an italic font, and the timer the Tk-free
:class:`~.typing.TypingLine` asks for. It also reports the keys typed in the
message box (``<KeyPress>``, added to the box's own bindings).
"""

from __future__ import annotations

import contextlib
import tkinter as tk
from collections.abc import Callable
from tkinter import font as tkfont
from tkinter import ttk
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktopchat.gui.window import MainWindow

__all__ = ["TypingBar"]


class TypingBar:
    """The "… is typing" label and its expiry timer."""

    def __init__(
        self,
        window: MainWindow,
        *,
        on_key: Callable[[str], object],
        on_expire: Callable[[], None],
    ) -> None:
        self._root = window.root
        self._on_expire = on_expire
        self._after: str | None = None
        base = tkfont.nametofont("TkTextFont").actual()
        self.font = tkfont.Font(
            window.root, family=base["family"], size=base["size"], slant="italic"
        )
        self.label = ttk.Label(window.panes.master, text=" ", anchor="w", font=self.font)
        # Packed before the panes, at the bottom: just above the message box's row.
        self.label.pack(side="bottom", fill="x", before=window.panes)
        window.input.bind("<KeyPress>", lambda e: on_key(e.char), add=True)

    @property
    def text(self) -> str:
        """What the line says now ("" when nobody is typing)."""
        return str(self.label.cget("text")).strip()

    def show(self, text: str, expires_in: float | None) -> None:
        """Show ``text`` ("" = nobody); call ``on_expire`` after ``expires_in`` s."""
        self.label.configure(text=text or " ")  # " ": the line keeps its height
        self.cancel()
        if expires_in is not None:
            self._after = self._root.after(max(1, int(expires_in * 1000) + 1), self._expired)

    def _expired(self) -> None:
        self._after = None
        self._on_expire()

    def cancel(self) -> None:
        """Stop the timer (the window is closing)."""
        if self._after is not None:
            with contextlib.suppress(tk.TclError):
                self._root.after_cancel(self._after)
            self._after = None
