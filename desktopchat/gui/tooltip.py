"""A tooltip: a small borderless window near the pointer after it rests on a widget.

Role: :class:`Tooltip` asks ``text_at(x, y)`` what to show for the pointer's
place in the widget (None = nothing there, e.g. a name that is shown whole),
waits :data:`DELAY_MS` of rest, then shows it under the pointer; moving to a
place with other text moves it, leaving the widget, a click or a key hides
it. Colours follow the theme (a light box in the light theme, dark in dark).
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable

from desktopchat.gui import theme
from desktopchat.gui.palette import Palette

__all__ = ["DELAY_MS", "Tooltip"]

#: How long the pointer rests before the tip shows (ms).
DELAY_MS = 500


class Tooltip:
    """Shows ``text_at(x, y)`` for the pointer's place in ``widget``."""

    def __init__(self, widget: tk.Misc, text_at: Callable[[int, int], str | None]) -> None:
        self.widget = widget
        self.text_at = text_at
        self.window: tk.Toplevel | None = None
        self.label: tk.Label | None = None
        self.shown: str | None = None
        self._after: str | None = None
        self._where = (0, 0, 0, 0)  # x, y in the widget; x, y on the screen
        widget.bind("<Motion>", self._moved, add=True)
        widget.bind("<Leave>", self.hide, add=True)
        widget.bind("<ButtonPress>", self.hide, add=True)
        widget.bind("<KeyPress>", self.hide, add=True)
        widget.bind("<Destroy>", self._destroyed, add=True)

    def _moved(self, event: tk.Event[tk.Misc]) -> None:
        self._where = (event.x, event.y, event.x_root, event.y_root)
        if self.shown is not None:
            if self.text_at(event.x, event.y) != self.shown:
                self.hide()
            else:
                return
        self._cancel()
        self._after = self.widget.after(DELAY_MS, self.show_now)

    def show_now(self) -> None:
        """Show the tip for the pointer's last place (the delay is over)."""
        self._after = None
        x, y, x_root, y_root = self._where
        text = self.text_at(x, y)
        if text is None:
            self.hide()
            return
        if self.window is None:
            self.window = tk.Toplevel(self.widget)
            self.window.withdraw()
            self.window.overrideredirect(True)
            self.label = tk.Label(self.window, justify="left", padx=6, pady=3, borderwidth=1)
            self.label.pack()
            label = self.label
            theme.subscribe(label, lambda p: self._recolour(label, p))
        assert self.label is not None
        self.label.configure(text=text)
        self.window.geometry(f"+{x_root + 12}+{y_root + 18}")
        self.window.deiconify()
        self.window.lift()
        self.shown = text

    @staticmethod
    def _recolour(label: tk.Label, p: Palette) -> None:
        label.configure(background=p.list_background, foreground=p.foreground, relief="solid")

    def hide(self, _event: object = None) -> None:
        """Hide the tip (and forget a pending one)."""
        self._cancel()
        self.shown = None
        if self.window is not None:
            self.window.withdraw()

    def _cancel(self) -> None:
        if self._after is not None:
            self.widget.after_cancel(self._after)
            self._after = None

    def _destroyed(self, event: tk.Event[tk.Misc]) -> None:
        if event.widget is self.widget:
            self._cancel()
