"""The status bar's encryption mark: a lock and the short fingerprint, or "unencrypted".

:class:`SecurityMark` is a ``ttk.Label`` packed into the status bar. It shows
nothing while not connected; a closed lock, "encrypted" and the room's short
fingerprint while the connection is encrypted; an open lock and
"unencrypted: others on the network can read this room" for as long as we are
in a room without encryption (a plaintext tutorial server), so that warning
never scrolls away. Clicking it opens Room ▸ Room info….

The lock is drawn pixel by pixel into a ``PhotoImage`` (the installed fonts
have no lock glyph): in the theme's text colour, and the open one in its
error colour like the "unencrypted" words (redrawn when the theme changes).
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from desktopchat.gui import theme
from desktopchat.gui.palette import Palette
from desktopchat.gui.security import security_status

__all__ = ["SecurityMark", "lock_image"]

#: The closed lock, 12 x 14 pixels ("#" = ink).
_CLOSED = (
    "....####....",
    "...##..##...",
    "..##....##..",
    "..#......#..",
    "..#......#..",
    "..#......#..",
    "############",
    "############",
    "#####..#####",
    "#####..#####",
    "######.#####",
    "######.#####",
    "############",
    "############",
)

#: The open lock: the shackle lifted off to the right.
_OPEN = (
    "......####..",
    ".....##..##.",
    "....##....##",
    "....#......#",
    "....#.......",
    "....#.......",
    "############",
    "############",
    "#####..#####",
    "#####..#####",
    "######.#####",
    "######.#####",
    "############",
    "############",
)


def lock_image(master: tk.Misc, colour: str, *, closed: bool = True) -> tk.PhotoImage:
    """A 12 x 14 lock in ``colour`` on a transparent background."""
    rows = _CLOSED if closed else _OPEN
    image = tk.PhotoImage(master=master, width=len(rows[0]), height=len(rows))
    for y, row in enumerate(rows):
        for x, cell in enumerate(row):
            if cell == "#":
                image.put(colour, (x, y))
    return image


class SecurityMark(ttk.Label):
    """The lock / "unencrypted" mark of the status bar (see the module docstring)."""

    def __init__(self, master: tk.Misc, on_click: Callable[[], object] | None = None) -> None:
        super().__init__(master, text="", compound="left", padding=(8, 0), cursor="hand2")
        self.encrypted: bool | None = None
        self._fingerprint: str | None = None
        self._warning = "#b00020"
        self._closed = self._open = tk.PhotoImage(master=self)
        if on_click is not None:
            self.bind("<Button-1>", lambda _e: on_click())
        theme.subscribe(self, self._recolour)

    def _recolour(self, palette: Palette) -> None:
        self._warning = palette.form_error
        self._closed = lock_image(self, palette.foreground, closed=True)
        self._open = lock_image(self, palette.form_error, closed=False)
        self.set(self.encrypted, self._fingerprint)

    @property
    def text(self) -> str:
        """What the mark says now ("" when not connected)."""
        return str(self.cget("text"))

    def set(self, encrypted: bool | None, fingerprint: str | None) -> None:
        """Show the state of the current connection (None: not connected)."""
        self.encrypted, self._fingerprint = encrypted, fingerprint
        text = security_status(encrypted, fingerprint)
        if encrypted is None:
            self.configure(text="", image="")
        elif encrypted:
            self.configure(text=text, image=self._closed, foreground="")
        else:
            self.configure(text=text, image=self._open, foreground=self._warning)
