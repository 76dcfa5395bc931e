""" "Rooms on this network": a live list of the rooms announced nearby.

``RoomFinder(master, on_join, *, browser_factory=Browser, poll_ms=500,
hint_after=4.0)`` is a ``ttk.Labelframe`` to embed in a dialog (the join
dialog puts it beside the address fields). It starts a
:class:`desktopchat.net.discovery.Browser` (zeroconf runs on the browser's
threads, never on the Tk thread) and reads its snapshot every ``poll_ms``
milliseconds with ``after()``. Double-click or Return on a room calls
``on_join(target)`` with a :class:`desktopchat.net.invite.JoinTarget` pinned
by the room's announced fingerprint. When nothing has been found after
``hint_after`` seconds, it says what commonly blocks discovery and to type the
address instead. Destroying the widget (or :meth:`RoomFinder.close`) stops
browsing.

The fingerprint column shows the short form, for comparing with the one the
host reads out from their window. A room on several servers is one row (the
browser merges their records): its Host column shows the first server and
"(+N)", N the other servers' addresses, which the join passes on as the
target's alternatives.
"""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import TYPE_CHECKING, Protocol

from desktopchat.net.discovery import NOTHING_FOUND_HINT, Browser, FoundRoom

if TYPE_CHECKING:
    from desktopchat.net.invite import JoinTarget

__all__ = ["BrowserLike", "RoomFinder"]

SEARCHING = "Looking for rooms on this network…"
FOUND = "Double-click a room to join it. Compare its fingerprint with the one the host sees."

#: (column, heading, the widest text it usually holds): widths follow the
#: theme's font, so an address or a short fingerprint is never cut.
_COLUMNS = (
    ("room", "Room", "Design team room"),
    ("host", "Host", "192.168.100.200:65535 (+2)"),
    ("people", "People", "People"),
    ("password", "Password", "Password"),
    ("fingerprint", "Fingerprint", "dddd dddd dddd dddd"),
)


class BrowserLike(Protocol):
    """What the finder needs of a browser (tests may pass a stand-in)."""

    error: str | None

    def rooms(self) -> list[FoundRoom]: ...

    def close(self, timeout: float = 0.0) -> bool: ...


class RoomFinder(ttk.Labelframe):
    """The live list of rooms; ``on_join(JoinTarget)`` on double-click or Return."""

    def __init__(
        self,
        master: tk.Misc,
        on_join: Callable[[JoinTarget], None],
        *,
        browser_factory: Callable[[], BrowserLike] = Browser,
        poll_ms: int = 500,
        hint_after: float = 4.0,
    ) -> None:
        super().__init__(master, text="Rooms on this network", padding=6)
        self._on_join = on_join
        self._poll_ms = poll_ms
        self._hint_after = hint_after
        self._rooms: dict[str, FoundRoom] = {}  # Treeview item id -> room
        self._after: str | None = None
        self._started = time.monotonic()

        self.tree = ttk.Treeview(
            self,
            columns=[c for c, _, _ in _COLUMNS],
            show="headings",
            height=5,
            selectmode="browse",
        )
        font = ttk.Style(self).lookup("Treeview", "font") or "TkDefaultFont"
        for column, title, sample in _COLUMNS:
            width = int(self.tk.call("font", "measure", font, sample)) + 20
            self.tree.heading(column, text=title, anchor="w")
            self.tree.column(column, width=width, minwidth=40, stretch=column == "room")
        scroll = ttk.Scrollbar(self, orient="vertical", command=self.tree.yview)
        self.tree.configure(yscrollcommand=scroll.set)
        self.status = ttk.Label(self, text=SEARCHING, wraplength=600, justify="left")
        self.tree.grid(row=0, column=0, sticky="nsew")
        scroll.grid(row=0, column=1, sticky="ns")
        self.status.grid(row=1, column=0, columnspan=2, sticky="we", pady=(6, 0))
        self.columnconfigure(0, weight=1)
        self.rowconfigure(0, weight=1)
        self.tree.bind("<Double-1>", self._on_double_click)
        self.tree.bind("<Return>", self._on_return)
        self.tree.bind("<KP_Enter>", self._on_return)
        self.tree.bind("<FocusIn>", self._on_focus)
        self.bind("<Destroy>", self._on_destroy, add="+")
        self.bind("<Configure>", self._on_resize, add="+")

        self._browser: BrowserLike | None = browser_factory()
        self._poll()

    # --- public -----------------------------------------------------------------

    def rooms(self) -> list[FoundRoom]:
        """The rooms listed now, top to bottom."""
        return [self._rooms[item] for item in self.tree.get_children()]

    def selected(self) -> FoundRoom | None:
        """The room selected in the list, if any."""
        chosen = self.tree.selection()
        return self._rooms.get(chosen[0]) if chosen else None

    def join(self, room: FoundRoom) -> None:
        """Join ``room``: ``on_join`` with its target, pinned by its fingerprint."""
        self._on_join(room.join_target())

    def close(self) -> None:
        """Stop polling and browsing (returns at once)."""
        if self._after is not None:
            self.after_cancel(self._after)
            self._after = None
        if self._browser is not None:
            self._browser.close(0.0)
            self._browser = None

    # --- polling ----------------------------------------------------------------

    def _poll(self) -> None:
        self._after = None
        browser = self._browser
        if browser is None:
            return
        self._show(browser.rooms())
        self._show_status(browser.error)
        self._after = self.after(self._poll_ms, self._poll)

    def _show(self, rooms: list[FoundRoom]) -> None:
        """Bring the list in line with ``rooms``, keeping the selection."""
        wanted = {self._item_id(room): room for room in rooms}
        for item in self.tree.get_children():
            if item not in wanted:
                self.tree.delete(item)
                self._rooms.pop(item, None)
        for index, (item, room) in enumerate(wanted.items()):
            values = _row(room)
            if item in self._rooms:
                if self._rooms[item] != room:
                    self.tree.item(item, values=values)
                if self.tree.index(item) != index:
                    self.tree.move(item, "", index)
            else:
                self.tree.insert("", index, iid=item, values=values)
            self._rooms[item] = room

    @staticmethod
    def _item_id(room: FoundRoom) -> str:
        return room.key or f"{room.name}|{room.host}|{room.port}"

    def _show_status(self, error: str | None) -> None:
        if error is not None:
            text = f"{error}. Type the room's address or paste its invitation instead."
        elif self._rooms:
            text = FOUND
        elif time.monotonic() - self._started >= self._hint_after:
            text = NOTHING_FOUND_HINT
        else:
            text = SEARCHING
        if self.status.cget("text") != text:
            self.status.configure(text=text)

    # --- events -----------------------------------------------------------------

    def _on_double_click(self, event: tk.Event[ttk.Treeview]) -> None:
        item = self.tree.identify_row(event.y)
        room = self._rooms.get(item)
        if room is not None:
            self.join(room)

    def _on_return(self, event: tk.Event[ttk.Treeview]) -> str | None:
        room = self.selected()
        if room is None:
            return None  # nothing chosen: Return is the dialog's (OK)
        self.join(room)
        return "break"  # joined: the dialog's own Return must not fire as well

    def _on_focus(self, event: tk.Event[ttk.Treeview]) -> None:
        # Tabbing into the list selects its first room, so the arrow keys and
        # Return work at once (ttk's arrows do nothing without a focus item).
        rows = self.tree.get_children()
        if rows and not self.tree.selection():
            self.tree.selection_set(rows[0])
            self.tree.focus(rows[0])

    def _on_resize(self, event: tk.Event[tk.Misc]) -> None:
        if event.widget is self and event.width > 100:
            self.status.configure(wraplength=event.width - 24)

    def _on_destroy(self, event: tk.Event[tk.Misc]) -> None:
        if event.widget is self:
            self.close()


def _row(room: FoundRoom) -> tuple[str, str, str, str, str]:
    people = "" if room.members is None else str(room.members)
    more = f" (+{len(room.others)})" if room.others else ""
    return (
        room.name,
        f"{room.host}:{room.port}{more}",
        people,
        "needed" if room.password_needed else "none",
        room.short_fingerprint,
    )
