"""What the room remembers: numbered events for newcomers and for resuming members.

Every room event gets an :class:`Entry` with both encodings (made once). The
:class:`RoomLog` keeps the newest entries within a count and a byte budget,
for replay "after id N" (docs/PROTOCOL.md, "Resuming"), and separately the
newest chat and ``/me`` entries a newcomer is shown. It remembers the id and
time of the newest entry it dropped, so a resume from before it can say
exactly what is gone.

With a store (``store.py``: ``--data DIR``), the log starts from what the
store saved and hands it every new entry; events older than the store's
``max_age`` (``--history-days``) are forgotten here too.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktopchat.server.store import HistoryStore

__all__ = ["HISTORY_MAX_BYTES", "RESUME_EVENTS", "Entry", "RoomLog"]

#: Most bytes of encoded entries kept in each of the two memories. 1 MiB holds
#: hundreds of typical messages and bounds what a join or a resume sends.
HISTORY_MAX_BYTES = 1024 * 1024

#: Events kept for resuming members (at least the newcomer history; also with
#: ``--history 0``): a few minutes of a busy room, so a network blip loses nothing.
RESUME_EVENTS = 1000


@dataclass(slots=True, eq=False)
class Entry:
    """One room event as it went out.

    ``author`` is the token of the member whose request made it ("" for
    events the room makes itself), ``cid`` that request's id; ``to`` is the
    token of a private message's recipient ("" for public events).
    """

    id: int
    time: float
    v1: bytes
    v2: bytes
    author: str = ""
    cid: int | None = None
    to: str = ""
    chat: bool = False  # chat or /me: shown to newcomers
    size: int = 0  # bytes held (set by __post_init__)

    def __post_init__(self) -> None:
        self.size = len(self.v1) + len(self.v2)


class RoomLog:
    """Bounded memory of room events, oldest first. See the module docstring."""

    __slots__ = (
        "_all",
        "_all_bytes",
        "_chat",
        "_chat_bytes",
        "_max_age",
        "_max_chat",
        "_max_events",
        "_sink",
        "base",
        "gone",
    )

    def __init__(self, history: int, store: HistoryStore | None = None) -> None:
        self._max_chat = history
        # Resuming members are served even when newcomers get no history.
        self._max_events = max(history, RESUME_EVENTS)
        self._all: deque[Entry] = deque()
        self._chat: deque[Entry] = deque()
        self._all_bytes = 0
        self._chat_bytes = 0
        #: (id, time) of the newest entry forgotten, or None.
        self.gone: tuple[int, float] | None = None
        #: The newest id of an earlier epoch: a resume from another epoch gets what follows.
        self.base = 0
        self._max_age: float | None = None
        self._sink: Callable[[Entry], None] | None = None
        if store is not None:
            saved = store.saved
            self.gone, self.base = saved.gone, saved.base
            for entry in saved.events:
                self.add(entry)
            self._max_age = store.max_age
            self._sink = store.append

    def add(self, entry: Entry) -> None:
        """Remember ``entry`` (ids increase), forgetting the oldest beyond the budgets."""
        if self._sink is not None:
            self._sink(entry)
        entries = self._all
        entries.append(entry)
        self._all_bytes += entry.size
        if len(entries) > self._max_events or self._all_bytes > HISTORY_MAX_BYTES:
            while len(entries) > self._max_events or self._all_bytes > HISTORY_MAX_BYTES:
                old = entries.popleft()
                self._all_bytes -= old.size
                self.gone = (old.id, old.time)
        if entry.chat and self._max_chat:
            chat = self._chat
            chat.append(entry)
            self._chat_bytes += entry.size
            while len(chat) > self._max_chat or self._chat_bytes > HISTORY_MAX_BYTES:
                self._chat_bytes -= chat.popleft().size

    def chat(self) -> list[Entry]:
        """The chat and ``/me`` entries a newcomer is shown, oldest first."""
        if self._max_age is not None:
            self._expire(time.time() - self._max_age)
        return list(self._chat)

    def after(self, last: int) -> Iterator[Entry]:
        """Entries newer than id ``last``, oldest first."""
        entries = self._all
        # Entries are in id order: skip from the left only as far as needed.
        start = len(entries)
        while start and entries[start - 1].id > last:
            start -= 1
        for i in range(start, len(entries)):
            yield entries[i]

    def missing_after(self, last: int) -> tuple[int, int, float] | None:
        """(first, last, time of last) of forgotten ids newer than ``last``, or None."""
        if self._max_age is not None:
            self._expire(time.time() - self._max_age)
        if self.gone is None or self.gone[0] <= last:
            return None
        return last + 1, self.gone[0], self.gone[1]

    def _expire(self, before: float) -> None:
        """Forget the entries older than ``before`` (``--history-days``)."""
        entries, chat = self._all, self._chat
        while entries and entries[0].time < before:
            old = entries.popleft()
            self._all_bytes -= old.size
            self.gone = (old.id, old.time)
        while chat and chat[0].time < before:
            self._chat_bytes -= chat.popleft().size
