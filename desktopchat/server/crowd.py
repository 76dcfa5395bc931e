"""Presence in a big room: coalesced joins and leaves, the member list in pages.

Above ``quiet_above`` members (``--quiet-above``, default 100; 0: never) the
room stops announcing each join and leave as it happens: :class:`Crowd` notes
which names changed and, at most once a second (:attr:`Crowd.due`), tells
every member in the form it reads (docs/PROTOCOL.md, "Big rooms"):

* protocol 1: ``*info`` lines, ``12 joined: ann, bob, … and 7 more``;
* protocol 2 without ``crowd`` (a window from before, or one let in while the
  room was small): the individual ``leave`` and ``join`` events, numbered and
  kept as always, all in one write, so its member list stays exact;
* protocol 2 with ``crowd``: ``leaves`` (every name) and ``joins`` (how many,
  the room's total, the first page of names), each shared by all of them.

Invariants:

* Everyone was told the room as it stood at the last announcement. A flush
  compares each name touched since then: leaving and coming back announces
  nothing, coming and going within the second nothing, a name back in another
  spelling a leave and a join. Leaves go first.
* A rename waits for everything pending (the room flushes first), so nobody
  hears of a name it has not heard join.
* ``joins``/``leaves`` are not numbered (they carry the id of the newest
  numbered event) and not kept: a member (re)joining gets the member list, or
  its first page, instead of them.
* A newcomer with ``crowd`` gets one page of names and the count, not the
  whole list: its join costs the same in a room of 10 and of 10,000. Others
  get the whole list as always (what fits one frame).
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from desktopchat.protocol import events as ev
from desktopchat.protocol import wire
from desktopchat.protocol.crowd import SHOWN_NAMES
from desktopchat.protocol.framing import DEFAULT_MAX_PAYLOAD
from desktopchat.server.outqueue import BUFFER_COST

if TYPE_CHECKING:
    from desktopchat.server.room import LocalFanout, Member

__all__ = ["ANNOUNCE_EVERY", "QUIET_ABOVE", "Crowd", "full_list"]

log = logging.getLogger(__name__)

#: Members a room announces joins and leaves one by one for (``--quiet-above``).
QUIET_ABOVE = 100
#: Seconds between two announcements of coalesced joins and leaves.
ANNOUNCE_EVERY = 1.0
#: Largest text the server itself generates (``users``, ``leaves``): the
#: default frame limit, which every client's decoder accepts.
MAX_SERVER_TEXT = DEFAULT_MAX_PAYLOAD

#: Records a room event (numbered, kept) by its author; its protocol-2 bytes.
Record = Callable[[ev.RoomEvent, str], bytes]


class Crowd:
    """Pending presence changes and their announcement. Runs on the loop's thread."""

    __slots__ = ("_before", "_clock", "_last", "_members", "due", "interval", "marks", "page")

    def __init__(
        self,
        members: dict[str, Member],
        quiet_above: int = QUIET_ABOVE,
        *,
        marks: bool = False,
        clock: Callable[[], float] = time.monotonic,
        interval: float = ANNOUNCE_EVERY,
    ) -> None:
        if quiet_above < 0:
            raise ValueError("quiet_above must not be negative")
        self._members = members  # the room's name_key -> member dict, in join order
        #: Names per page of the member list: the threshold (a page is a small room).
        self.page = quiet_above
        self.marks = marks  # the room says who is unencrypted
        self._clock = clock
        self.interval = interval
        # name_key -> (its name as last announced, its member's token), or None
        # when it was not in the room, for every key touched since then.
        self._before: dict[str, tuple[str, str] | None] = {}
        self._last = float("-inf")  # monotonic time of the last announcement
        #: When the pending changes are to be announced (monotonic); None: none.
        self.due: float | None = None

    def big(self, size: int) -> bool:
        """A room of ``size`` members coalesces its presence."""
        return 0 < self.page < size

    def offered(self) -> bool:
        """Offer ``crowd`` to a newcomer now (the room is big with it)."""
        return self.big(len(self._members) + 1)

    def coalesce(self, size: int) -> bool:
        """Hold this join or leave for the next announcement (``size``: the room with it)."""
        return bool(self._before) or self.big(size)

    def touch(self, key: str, leaving: Member | None = None) -> None:
        """``key`` is about to join, or ``leaving`` (holding ``key``) to leave."""
        if key not in self._before:
            self._before[key] = None if leaving is None else (leaving.name, leaving.token)
        if self.due is None:
            self.due = max(self._clock(), self._last + self.interval)

    def clear(self) -> None:
        """Forget what is pending (the room is closing)."""
        self._before.clear()
        self.due = None

    # --- the announcement -------------------------------------------------------------

    def flush(
        self, fanout: LocalFanout, record: Record, last_id: Callable[[], int], when: float
    ) -> None:
        """Announce what changed since the last announcement, to everyone (``when``:
        the room's time for the events)."""
        before, self._before = self._before, {}
        self.due, self._last = None, self._clock()
        members = self._members
        left: list[tuple[str, str]] = []  # (name, its member's token)
        joined: list[Member] = []
        for key, old in before.items():
            member = members.get(key)
            if old is not None and (member is None or member.name != old[0]):
                left.append(old)
            if member is not None and (old is None or member.name != old[0]):
                joined.append(member)
        if not left and not joined:
            return
        v1: list[Member] = []
        legacy: list[Member] = []
        crowd: list[Member] = []
        for member in members.values():
            if not member.v2:
                v1.append(member)
            elif member.session.crowd:
                crowd.append(member)
            else:
                legacy.append(member)
        if legacy:  # numbered and kept, as in a small room
            data = b"".join(record(ev.Left(name), by) for name, by in left)
            data += b"".join(
                record(ev.Joined(m.name, m.encrypted if self.marks else None), m.token)
                for m in joined
            )
            _deliver(fanout, legacy, data)
        gone = [name for name, _ in left]
        names = [m.name for m in joined]
        total = len(members)
        log.info("%d joined, %d left (%d in the room)", len(names), len(gone), total)
        if v1:
            data = b"".join(wire.encode_v1(e) for e in self._lines(gone, names, total))
            _deliver(fanout, v1, data)
        if crowd:
            events = self._events(gone, names, total, last_id(), when)
            _deliver(fanout, crowd, b"".join(wire.encode_v2(e) for e in events))

    def _lines(self, gone: list[str], names: list[str], total: int) -> list[ev.RoomEvent]:
        """The protocol-1 form: one ``*info`` line per kind (see wire.encode_v1)."""
        lines: list[ev.RoomEvent] = []
        if gone:
            lines.append(ev.Leaves(tuple(gone), total - len(names)))
        if names:
            lines.append(ev.Joins(len(names), total, tuple(names[:SHOWN_NAMES])))
        return lines

    def _events(
        self, gone: list[str], names: list[str], total: int, id_: int, now: float
    ) -> list[ev.RoomEvent]:
        """The ``crowd`` form: leaves with every name (in frames that fit), then joins."""
        events: list[ev.RoomEvent] = []
        remaining = total - len(names) + len(gone)
        for chunk in _fitting(gone):
            remaining -= len(chunk)
            events.append(ev.Leaves(chunk, remaining, id=id_, time=now))
        if names:
            shown = tuple(names[: max(self.page, 1)])
            events.append(ev.Joins(len(names), total, shown, id=id_, time=now))
        return events

    # --- the member list --------------------------------------------------------------

    def who(self, start: int | None) -> list[ev.Event]:
        """The answer to ``who``: the whole list, or the page from ``start``."""
        if start is None:
            return full_list(self._members.values(), self.marks)
        return [self.page_from(start)]

    def welcome_list(self, member: Member) -> list[ev.Event]:
        """The member list a newcomer gets: a page in a big room if it took up
        ``crowd``; else the whole list (what fits a frame), as always."""
        if member.session.crowd and self.big(len(self._members)):
            return [self.page_from(0)]
        return full_list(self._members.values(), self.marks)

    def page_from(self, start: int) -> ev.UserList:
        """A page of names from position ``start`` (join order) with the room's count."""
        members = self._members
        size = max(self.page, 1)
        page = list(itertools.islice(members.values(), start, start + size))
        names = tuple(m.name for m in page)
        plain = frozenset(m.name for m in page if not m.encrypted) if self.marks else frozenset()
        total = len(members)
        return ev.UserList(names, plain, total, min(start, total))


def full_list(members: Iterable[Member], marks: bool) -> list[ev.Event]:
    """The member list, with as many names as fit, plus an Info if some did not."""
    members = list(members)
    names = [m.name for m in members]
    plain = frozenset(m.name for m in members if not m.encrypted) if marks else frozenset()
    data = " ".join(names).encode("utf-8")
    listed = len(names)
    if len(data) > MAX_SERVER_TEXT:
        cut = data.rfind(b" ", 0, MAX_SERVER_TEXT + 1)
        listed = data[:cut].count(b" ") + 1
    # The positions of the unencrypted names (protocol 2) fit one frame too.
    while len(wire.users_meta(tuple(names[:listed]), plain)) > MAX_SERVER_TEXT:
        listed = listed * 3 // 4
    users = ev.UserList(tuple(names[:listed]), plain & set(names[:listed]))
    if listed == len(names):
        return [users]
    return [users, ev.Info(f"{len(names) - listed} more users are in the room but not listed.")]


def _fitting(names: list[str]) -> Iterable[tuple[str, ...]]:
    """``names`` in runs whose spaced text fits one frame."""
    run: list[str] = []
    size = 0
    for name in names:
        length = len(name.encode("utf-8")) + 1
        if run and size + length > MAX_SERVER_TEXT:
            yield tuple(run)
            run, size = [], 0
        run.append(name)
        size += length
    if run:
        yield tuple(run)


def _deliver(fanout: LocalFanout, group: list[Member], data: bytes) -> None:
    """Queue one shared buffer for every member of ``group`` (as LocalFanout.broadcast)."""
    if not group or not data:
        return
    chunk = (data, fanout.position)
    fanout.position += len(data) + BUFFER_COST
    size = len(data)
    for member in group:
        out = member.out
        out.append(chunk)
        out.queued += size
    fanout.refs += len(group)
    fanout.touched.update(group)
