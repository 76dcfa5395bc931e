"""Greys out the controls that would do nothing now (the view side of enablement.py).

Role: :class:`Enabler` applies :func:`.enablement.possible` to the Room menu's
items (by label), the Send button and the paperclip (Send file…). It
remembers what it applied last, so calling :meth:`Enabler.refresh` after
every batch of events costs nothing when nothing changed.
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import TYPE_CHECKING

from desktopchat.gui.enablement import Possible, possible

if TYPE_CHECKING:
    from desktopchat.gui.presenter import Presenter
    from desktopchat.gui.transcript import Transcript

__all__ = ["ROOM_ITEMS", "Enabler"]

#: Room menu labels and the Possible field that enables each.
ROOM_ITEMS = {
    "Leave room": "leave",
    "Room info…": "room_info",
    "Invite people…": "invite",
    "Save transcript…": "save_transcript",
    "Send file…": "send_file",
}


class Enabler:
    """Keeps the Room menu items and the Send button in step with what is possible."""

    def __init__(self, room_menu: tk.Menu, send_button: ttk.Button) -> None:
        self.room_menu = room_menu
        self.send_button = send_button
        self.applied: Possible | None = None
        self.attach_button: ttk.Button | None = None  # the paperclip, once made

    def refresh(self, presenter: Presenter, transcript: Transcript) -> None:
        """Look again at the presenter and the transcript; grey out what does nothing."""
        now = possible(
            connection=presenter.client is not None,
            hosting=presenter.server is not None,
            transcript_empty=transcript.entry_count() == 0 and transcript.pending == 0,
            files=presenter.transfers.max_size is not None,
        )
        if now != self.applied:
            self.apply(now)

    def apply(self, now: Possible) -> None:
        """Set every control's state from ``now``."""
        self.applied = now
        menu = self.room_menu
        last = menu.index("end")
        for index in range(0 if last is None else last + 1):
            if menu.type(index) != "command":
                continue
            field = ROOM_ITEMS.get(str(menu.entrycget(index, "label")))
            if field is not None:
                enabled = bool(getattr(now, field))
                menu.entryconfigure(index, state="normal" if enabled else "disabled")
        self.send_button.state(["!disabled"] if now.send else ["disabled"])
        if self.attach_button is not None:
            self.attach_button.state(["!disabled"] if now.send_file else ["disabled"])
