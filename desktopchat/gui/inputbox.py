"""The message input: Enter sends, Shift+Enter adds a line, Up/Down recall history.

Role: a small Text the user types into. On Enter it calls ``on_submit(text)``;
the text is cleared (and remembered in the history) only when ``on_submit``
returns True, so a message that could not be sent is never lost.

Decisions:

* Shift+Enter (and the keypad's Enter with Shift) inserts a newline, so a
  message can span lines; Enter on whitespace-only input does nothing.
* Up on the first line recalls the previous sent message, Down on the last
  line the next one; elsewhere they move the cursor as usual. What was being
  typed before browsing is kept as the newest entry, as shells do.
* History holds the last :data:`HISTORY_SIZE` sent messages, consecutive
  duplicates once.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import font as tkfont

from desktopchat.gui import theme
from desktopchat.gui.palette import Palette

__all__ = ["HISTORY_SIZE", "InputBox"]

#: Sent messages kept for Up/Down recall.
HISTORY_SIZE = 200

# Tk modifier bit for Shift in event.state.
_SHIFT = 0x0001


class InputBox(tk.Text):
    """A few lines of editable text with chat-style key bindings."""

    def __init__(
        self,
        master: tk.Misc,
        *,
        on_submit: Callable[[str], bool],
        text_font: tkfont.Font,
        height: int = 3,
    ) -> None:
        super().__init__(
            master,
            width=20,  # the layout stretches it; a small request keeps narrow windows tidy
            height=height,
            wrap="word",
            undo=True,
            font=text_font,
            relief="solid",
            borderwidth=1,
            padx=4,
            pady=3,
        )
        self._on_submit = on_submit
        self.history: list[str] = []
        self._browse: int | None = None  # index into history while recalling
        self._draft = ""
        self.bind("<Return>", self._return)
        self.bind("<KP_Enter>", self._return)
        self.bind("<Shift-Return>", self._newline)
        self.bind("<Shift-KP_Enter>", self._newline)
        self.bind("<Up>", self._up)
        self.bind("<Down>", self._down)
        theme.subscribe(self, self.apply_palette)

    def apply_palette(self, p: Palette) -> None:
        """Draw with the colours of ``p``."""
        self.configure(
            background=p.background,
            foreground=p.foreground,
            insertbackground=p.cursor,
            selectbackground=p.selection_background,
            selectforeground=p.selection_foreground,
            inactiveselectbackground=p.selection_background,
            highlightcolor=p.focus,
            highlightbackground=p.background,
        )

    # --- content ------------------------------------------------------------

    def get_text(self) -> str:
        """The text typed so far (without Tk's trailing newline)."""
        return self.get("1.0", "end-1c")

    def set_text(self, text: str) -> None:
        """Replace the content and put the cursor at its end."""
        self.delete("1.0", "end")
        self.insert("1.0", text)
        self.mark_set("insert", "end-1c")
        self.see("insert")

    def remember(self, text: str) -> None:
        """Add ``text`` to the history (the app calls this after a successful send)."""
        if not self.history or self.history[-1] != text:
            self.history.append(text)
            del self.history[:-HISTORY_SIZE]
        self._browse = None

    # --- keys ---------------------------------------------------------------

    def _return(self, event: tk.Event[tk.Text]) -> str:
        if int(event.state) & _SHIFT:
            return self._newline(event)
        self.submit()
        return "break"

    def submit(self) -> bool:
        """Offer the text to ``on_submit``; clear it if accepted. Returns accepted."""
        text = self.get_text()
        if not text.strip():
            return False
        if not self._on_submit(text):
            return False
        self.remember(text)
        self.delete("1.0", "end")
        self.edit_reset()
        return True

    def _newline(self, _event: tk.Event[tk.Text]) -> str:
        self.insert("insert", "\n")
        self.see("insert")
        return "break"

    def _on_first_line(self) -> bool:
        return self.compare("insert linestart", "==", "1.0")

    def _on_last_line(self) -> bool:
        return self.compare("insert lineend", "==", "end-1c")

    def _up(self, _event: tk.Event[tk.Text]) -> str | None:
        if not self.history or not self._on_first_line():
            return None
        if self._browse is None:
            self._draft = self.get_text()
            self._browse = len(self.history)
        if self._browse == 0:
            return "break"
        self._browse -= 1
        self.set_text(self.history[self._browse])
        self.mark_set("insert", "1.0 lineend")
        return "break"

    def _down(self, _event: tk.Event[tk.Text]) -> str | None:
        if self._browse is None or not self._on_last_line():
            return None
        self._browse += 1
        if self._browse >= len(self.history):
            self._browse = None
            self.set_text(self._draft)
        else:
            self.set_text(self.history[self._browse])
        return "break"
