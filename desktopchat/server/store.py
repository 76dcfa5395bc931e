"""Saved history: the interface between the room and where its events are kept.

The room (``room.py``) and its memory (``history.py``) see a store only
through :class:`HistoryStore`: what it held when it was opened
(:class:`Saved`), a tag for a client token, and ``append`` for each new room
event. The embedded implementation is SQLite (``sqlitestore.py``, with the
``--data DIR`` option and for rooms hosted from the window); one backed by
Redis can replace it without touching the room. docs/ARCHITECTURE.md, "Saved
history", has the picture.

Invariants every store keeps:

* ``append`` is called on the loop's thread and never waits for a disk or a
  network: it queues, and the store writes on a thread of its own.
* ``epoch`` stays the same across restarts as long as every event the room
  numbered was kept; if some may be lost (no data, a damaged database, a run
  that did not close cleanly, a write that failed) the store starts a new one.
* Ids only increase: :attr:`Saved.last_id` is at least every id it ever handed out
  and saved.
* Client tokens are never stored: only :meth:`HistoryStore.tag` of them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from desktopchat import paths
from desktopchat.server.history import Entry

__all__ = ["Answers", "HistoryStore", "Saved", "StoreError", "hosted_room_dir"]

#: The room's remembered answers: token tag -> cid -> (id, time) (room.py's ``_done``).
Answers = OrderedDict[str, OrderedDict[int, tuple[int | None, float | None]]]


class StoreError(Exception):
    """The history cannot be kept where asked: the text is one sentence for the user."""


@dataclass(frozen=True, slots=True)
class Saved:
    """What a store held when it was opened.

    ``events`` are the newest saved room events, oldest first (enough for
    the room's memory: see ``history.RoomLog``); ``gone`` the (id, time) of
    the newest event the store has forgotten (pruned), or None; ``base`` the
    newest id of an earlier epoch (a resume from another epoch gets what
    came after it); ``last_id`` the newest id handed out so far.
    """

    epoch: str
    last_id: int = 0
    base: int = 0
    gone: tuple[int, float] | None = None
    events: Sequence[Entry] = field(default_factory=tuple)

    def answers(self, per_token: int, tokens: int) -> tuple[Answers, int]:
        """The accepted requests among ``events``, as the room remembers them.

        At most ``per_token`` cids for each of the ``tokens`` most recent
        tokens; returns the map and how many cids it holds. Requests that made
        no event (``who``, ``help``) are not saved: resent after a restart, they
        are carried out again, which changes nothing in the room.
        """
        done: Answers = OrderedDict()
        for entry in self.events:
            if entry.cid is None or not entry.author:
                continue
            cids = done.get(entry.author)
            if cids is None:
                cids = done[entry.author] = OrderedDict()
            else:
                done.move_to_end(entry.author)
            cids[entry.cid] = (entry.id, entry.time)
            if len(cids) > per_token:
                cids.popitem(last=False)
        while len(done) > tokens:
            done.popitem(last=False)
        return done, sum(len(cids) for cids in done.values())


class HistoryStore(Protocol):
    """Where a room's events outlive the process. See the module docstring."""

    @property
    def epoch(self) -> str:
        """The room's epoch (kept across restarts while no event was lost)."""
        ...

    @property
    def saved(self) -> Saved:
        """What the store held when it was opened."""
        ...

    @property
    def max_age(self) -> float | None:
        """Seconds an event is kept (``--history-days``), or None: no age limit."""
        ...

    def tag(self, token: str) -> str:
        """What stands for a client token in the room and on disk (a keyed hash)."""
        ...

    def append(self, entry: Entry) -> None:
        """Save ``entry`` soon. Called on the loop's thread; never blocks."""
        ...

    def close(self) -> None:
        """Write what is queued and release the store (idempotent)."""
        ...


def hosted_room_dir(port: int) -> Path | None:
    """Where a room hosted from the window on ``port`` keeps its history.

    One folder per port (``rooms/port-1234`` in the user data directory): the
    host dialog remembers its port, so hosting again continues the same room.
    Port 0 (any free port) is a new room each time: no saved history.
    """
    if port == 0:
        return None
    return paths.data_dir() / "rooms" / f"port-{port}"
