"""What a browser knows about the rooms it heard: bounded, thread-safe, no I/O.

:class:`RoomTable` is the bookkeeping of :class:`desktopchat.net.discovery.Browser`
(zeroconf's thread notes names, the browser's thread resolves them); tests
drive it directly. Its :meth:`RoomTable.rooms` lists one entry per room (a
room's several servers merged by :func:`desktopchat.net.roommerge.merge_rooms`).
"""

from __future__ import annotations

import threading
import time

from desktopchat.net.roommerge import merge_rooms
from desktopchat.net.roomrecord import FoundRoom

__all__ = ["MAX_ROOMS", "RECHECK_AFTER", "REFRESH_EVERY", "RoomTable"]

#: Rooms a browser keeps: a hostile announcer registering thousands of names
#: cannot grow our memory or the list past this (a LAN has a handful).
MAX_ROOMS = 200

#: A changed room is read again this long after the change (seconds): for
#: about a second after a record changes, zeroconf's cache may still hand out
#: the old one (RFC 6762 flushes it one second later), and no event follows.
RECHECK_AFTER = 1.5

#: Every listed room is read again this often (seconds), from zeroconf's cache
#: (no packet goes out while its records are fresh): a record that changes
#: back to what it was before (a count 1 -> 2 -> 1, a server gone and back)
#: raises no event in zeroconf, whose cache still holds the earlier copy.
REFRESH_EVERY = 5.0


class RoomTable:
    """What a browser knows, bounded and thread-safe (no I/O: tests drive it directly).

    zeroconf's thread calls :meth:`heard` and :meth:`gone`; the resolving
    thread takes names with :meth:`next_name` and hands back what each turned
    into with :meth:`settle`. At most ``limit`` names are tracked (waiting or
    listed); a name that resolves to nothing usable gives its slot back. A
    resolve that finishes after a newer event for its name is discarded: the
    newer event decides (a room gone meanwhile never comes back). A name
    heard again while listed (its record changed) is resolved at once and
    once more ``recheck`` seconds later, and every listed name is resolved
    again every ``refresh`` seconds; such a re-read that finds nothing keeps
    the room listed (only an event or a usable answer changes it).
    """

    def __init__(
        self,
        limit: int = MAX_ROOMS,
        *,
        recheck: float = RECHECK_AFTER,
        refresh: float = REFRESH_EVERY,
    ) -> None:
        self._limit = limit
        self._recheck = recheck
        self._refresh = refresh
        self._later: dict[str, float] = {}  # listed names to read again -> when
        self._rereads: set[str] = set()  # names waiting for a re-read, not an event
        self._lock = threading.Condition()
        self._rooms: dict[str, FoundRoom] = {}
        self._known: dict[str, int] = {}  # name -> generation of its last event
        self._waiting: dict[str, None] = {}  # names to resolve, an ordered set
        self._generation = 0
        self._closed = False

    def heard(self, name: str) -> bool:
        """A room was added or changed; False if it is ignored (over the limit)."""
        with self._lock:
            if name not in self._known and len(self._known) >= self._limit:
                return False
            self._generation += 1
            self._known[name] = self._generation
            self._waiting[name] = None
            self._rereads.discard(name)
            if name in self._rooms:
                self._later[name] = time.monotonic() + self._recheck
            self._lock.notify()
            return True

    def gone(self, name: str) -> None:
        """A room said goodbye (or its records expired)."""
        with self._lock:
            self._known.pop(name, None)
            self._waiting.pop(name, None)
            self._rooms.pop(name, None)
            self._later.pop(name, None)
            self._rereads.discard(name)

    def next_name(self) -> tuple[str, int] | None:
        """Wait for a name to resolve: (name, generation); None once closed."""
        with self._lock:
            while not self._waiting and not self._closed:
                now = time.monotonic()
                for due in [n for n, when in self._later.items() if when <= now]:
                    del self._later[due]
                    if due in self._known:
                        self._waiting[due] = None
                        self._rereads.add(due)
                if not self._waiting:
                    soonest = min(self._later.values(), default=None)
                    self._lock.wait(None if soonest is None else max(0.0, soonest - now))
            if self._closed:
                return None
            name = next(iter(self._waiting))
            del self._waiting[name]
            return name, self._known[name]

    def settle(self, name: str, generation: int, room: FoundRoom | None) -> None:
        """What ``name`` resolved to (None: nothing usable); stale answers are dropped."""
        with self._lock:
            if self._known.get(name) != generation:
                return
            reread = name in self._rereads
            self._rereads.discard(name)
            if room is None and not reread:
                self._known.pop(name, None)
                self._rooms.pop(name, None)
                self._later.pop(name, None)
                return
            if room is not None:
                self._rooms[name] = room
            again = time.monotonic() + self._refresh
            self._later[name] = min(self._later.get(name, again), again)

    def rooms(self) -> list[FoundRoom]:
        """The rooms listed, by name; a room's several servers are one entry."""
        with self._lock:
            found = list(self._rooms.values())
        return merge_rooms(found)

    def busy(self) -> bool:
        """True while names wait to be resolved."""
        with self._lock:
            return bool(self._waiting)

    def close(self) -> None:
        """Wake the resolving thread for good."""
        with self._lock:
            self._closed = True
            self._lock.notify_all()
