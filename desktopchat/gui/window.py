"""The main window's widgets: transcript, user list, input row and status bar.

Thin on purpose: :class:`MainWindow` lays the widgets out and offers the few
operations the view needs (status text, reconnect countdown, text size). The
decisions are the presenter's (``presenter.py``), the wiring ``app.py``'s.
"""

from __future__ import annotations

import math
import time
import tkinter as tk
from collections.abc import Callable
from tkinter import font as tkfont
from tkinter import ttk

from desktopchat.gui import theme
from desktopchat.gui.inputbox import InputBox
from desktopchat.gui.securitybar import SecurityMark
from desktopchat.gui.transcript import Transcript
from desktopchat.gui.userlist import UserPanel

__all__ = ["MainWindow"]


class MainWindow:
    """The widgets of the chat window, packed into ``root``."""

    def __init__(
        self,
        root: tk.Tk,
        font_size: int,
        *,
        on_submit: Callable[[str], bool],
        on_pick: Callable[[str], None],
    ) -> None:
        self.root = root
        self._countdown_id: str | None = None
        self._countdown_until = 0.0
        base = tkfont.nametofont("TkTextFont").actual()
        self.text_font = tkfont.Font(root, family=base["family"], size=font_size)
        self.list_font = tkfont.Font(root, family=base["family"], size=font_size)
        # The status bar is packed first so it keeps its line when the window shrinks.
        status = ttk.Frame(root, relief="sunken", padding=(6, 2))
        status.pack(fill="x", side="bottom")
        self.status_label = ttk.Label(status, text="", anchor="w")
        self.status_label.pack(side="left", fill="x", expand=True)
        self.hosting_label = ttk.Label(status, text="", anchor="e")
        self.hosting_label.pack(side="right")
        label = self.hosting_label
        theme.subscribe(label, lambda p: label.configure(foreground=p.hosting))
        self.security_mark = SecurityMark(status)  # the lock or "unencrypted"
        self.security_mark.pack(side="right")

        outer = ttk.Frame(root, padding=(6, 6, 6, 0))
        outer.pack(fill="both", expand=True)

        self.panes = ttk.PanedWindow(outer, orient="horizontal")
        # One tab per conversation: the room's first, private ones beside it
        # (gui/tabs.py manages them; the room's tab is never closed).
        self.notebook = ttk.Notebook(self.panes)
        self.transcript = Transcript(self.notebook, text_font=self.text_font)
        self.notebook.add(self.transcript, text="Room")
        self.userlist = UserPanel(self.panes, on_pick=on_pick, list_font=self.list_font)
        self.panes.add(self.notebook, weight=5)
        self.panes.add(self.userlist, weight=0)  # extra width goes to the transcript

        entry_row = ttk.Frame(outer, padding=(0, 6, 0, 6))
        entry_row.pack(fill="x", side="bottom")
        self.panes.pack(fill="both", expand=True)
        self.input = InputBox(entry_row, on_submit=on_submit, text_font=self.text_font)
        self.input.pack(side="left", fill="x", expand=True)
        self.send_button = ttk.Button(entry_row, text="Send", width=6, command=self.input.submit)
        self.send_button.pack(side="left", padx=(6, 0), fill="y")

    @property
    def status(self) -> str:
        """The status bar's connection text."""
        return str(self.status_label.cget("text"))

    def set_status(self, text: str) -> None:
        """Show ``text`` in the status bar (stops a reconnect countdown)."""
        self.stop_countdown()
        self.status_label.configure(text=text)

    def countdown(self, delay: float) -> None:
        """Count down to the next reconnect attempt in the status bar."""
        self.stop_countdown()
        self._countdown_until = time.monotonic() + delay
        self._countdown_tick()

    def _countdown_tick(self) -> None:
        left = self._countdown_until - time.monotonic()
        if left <= 0.05:
            self.status_label.configure(text="reconnecting…")
            self._countdown_id = None
            return
        self.status_label.configure(text=f"reconnecting in {math.ceil(left)} s…")
        # Wake when the shown whole number of seconds changes.
        next_change = left - (math.ceil(left) - 1)
        self._countdown_id = self.root.after(max(1, int(next_change * 1000)), self._countdown_tick)

    def stop_countdown(self) -> None:
        """Cancel a running countdown."""
        if self._countdown_id is not None:
            self.root.after_cancel(self._countdown_id)
            self._countdown_id = None

    def set_font_size(self, size: int) -> None:
        """Resize the transcript, list and input text."""
        for f in (self.text_font, self.list_font):
            f.configure(size=size)
        self.transcript.sync_fonts()
        self.userlist.refit()

    def userlist_width(self) -> int:
        """The user list's width in pixels (0 before it is laid out), to remember."""
        width = self.userlist.winfo_width()
        return width if width > 1 else 0

    def restore_userlist_width(self, width: int) -> None:
        """Put the sash so the user list is ``width`` pixels wide, once the window has a size.

        0 keeps the list's natural width. The transcript keeps at least a third of
        the window, so a width saved on a larger screen cannot squeeze it away.
        """
        if width <= 0:
            return
        panes = self.panes
        placed = False  # once: later resizes keep the list's width (weight 0)

        def place(event: tk.Event[tk.Misc]) -> None:
            nonlocal placed
            if placed or event.widget is not panes or event.width <= 1:
                return
            placed = True
            position = max(event.width // 3, event.width - width)
            panes.sashpos(0, position)  # type: ignore[no-untyped-call]
            panes.after_idle(correct, position)

        def correct(position: int) -> None:
            # The sash's own thickness is the theme's: move by what is still off.
            off = self.userlist.winfo_width() - width
            if off and position - off >= panes.winfo_width() // 3:
                panes.sashpos(0, position + off)  # type: ignore[no-untyped-call]

        # Not unbound afterwards: unbind() would drop every <Configure> binding.
        panes.bind("<Configure>", place, add=True)
