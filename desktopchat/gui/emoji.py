"""The emoji button beside the message box and its picker.

Role: :class:`EmojiButton` opens an :class:`EmojiPicker`: a small borderless
window above the button with a grid of the 40 emoji of
``shortcodes.PICKER``. Clicking one (or Return/space on it) inserts it at
the message box's cursor and closes the picker; Escape, a click elsewhere or
the button again close it too. The focus goes back to the message box.

The shortcode of the emoji under the pointer or focus shows under the grid
(":thumbsup:"), so the picker teaches the ``:shortcode:`` completion, and
says what a cell is when the desktop's fonts draw emoji as boxes (only
DejaVu, as on a minimal Linux install: Tk then shows a box per emoji,
never fails).
"""

from __future__ import annotations

import tkinter as tk
from functools import partial
from tkinter import ttk

from desktopchat.gui.shortcodes import PICKER, name_of

__all__ = ["BUTTON_TEXT", "COLUMNS", "EmojiButton", "EmojiPicker"]

#: The button's face: a smiley every font has (U+263A), not a colour emoji.
BUTTON_TEXT = "☺"
COLUMNS = 8


class EmojiPicker(tk.Toplevel):
    """The grid of emoji; inserts into ``target`` and closes."""

    def __init__(self, anchor: tk.Widget, target: tk.Text) -> None:
        super().__init__(anchor)
        self.withdraw()
        self.overrideredirect(True)
        self.transient(anchor.winfo_toplevel())
        self.target = target
        frame = ttk.Frame(self, padding=6, relief="solid", borderwidth=1)
        frame.pack(fill="both", expand=True)
        self.buttons: list[ttk.Button] = []
        for number, emoji in enumerate(PICKER):
            button = ttk.Button(frame, text=emoji, width=3, command=partial(self.choose, emoji))
            button.grid(row=number // COLUMNS, column=number % COLUMNS, padx=1, pady=1)
            describe = partial(self._describe, emoji)
            for sequence in ("<Enter>", "<FocusIn>"):
                button.bind(sequence, describe)
            button.bind("<Return>", partial(self._chosen_by_key, emoji))
            self.buttons.append(button)
        self.label = ttk.Label(frame, text="", anchor="w")
        self.label.grid(row=len(PICKER) // COLUMNS + 1, column=0, columnspan=COLUMNS, sticky="ew")
        self.bind("<Escape>", lambda _e: self.close())
        self.bind("<FocusOut>", self._focus_out)
        self._place(anchor)
        self.deiconify()
        self.lift()
        self.buttons[0].focus_force()

    def _place(self, anchor: tk.Widget) -> None:
        self.update_idletasks()
        width, height = self.winfo_reqwidth(), self.winfo_reqheight()
        x = anchor.winfo_rootx() + anchor.winfo_width() - width
        y = anchor.winfo_rooty() - height - 4
        x = max(0, min(x, anchor.winfo_screenwidth() - width))
        self.geometry(f"+{x}+{max(0, y)}")

    def _describe(self, emoji: str, _event: tk.Event[tk.Misc] | None = None) -> None:
        self.label.configure(text=f":{name_of(emoji)}:")

    def _chosen_by_key(self, emoji: str, _event: tk.Event[tk.Misc]) -> str:
        self.choose(emoji)
        return "break"

    def _focus_out(self, _event: tk.Event[tk.Misc]) -> None:
        # FocusOut also fires when the focus moves between our own buttons.
        self.after_idle(self._close_if_elsewhere)

    def _close_if_elsewhere(self) -> None:
        if not self.winfo_exists():
            return
        focus = self.focus_get()
        if focus is None or focus.winfo_toplevel() is not self:
            self.destroy()

    def choose(self, emoji: str) -> None:
        """Insert ``emoji`` at the message box's cursor and close."""
        self.target.insert("insert", emoji)
        self.target.see("insert")
        self.close()

    def close(self) -> None:
        """Close and give the focus back to the message box.

        The picker took the keyboard with ``focus_force`` (it has no window
        manager frame to be given it), so it hands it back the same way: left
        to the X server, the focus would revert to the screen's root window and
        follow the pointer, wherever that is.
        """
        had_focus = self.winfo_exists() and self.focus_get() is not None
        if self.winfo_exists():
            self.destroy()
        if had_focus:
            self.target.focus_force()
        else:
            self.target.focus_set()


class EmojiButton(ttk.Button):
    """The ☺ button: opens (or closes) the picker for ``target``."""

    def __init__(self, master: tk.Misc, target: tk.Text) -> None:
        super().__init__(master, text=BUTTON_TEXT, width=3, command=self.toggle)
        self.target = target
        self.picker: EmojiPicker | None = None

    def toggle(self) -> None:
        """Open the picker, or close it if it is open."""
        if self.picker is not None and self.picker.winfo_exists():
            self.picker.close()
            self.picker = None
            return
        self.picker = EmojiPicker(self, self.target)
