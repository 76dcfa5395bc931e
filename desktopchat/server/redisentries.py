"""A Redis room's stream entries: room events to field lists and back, and the store.

An entry is a flat map of short fields (``k`` kind, ``t`` time, ``s`` the
sender or the name, ``x`` text, ``a`` author tag, ``c`` cid, ``to``/``tt``
a private message's recipient and its tag, ``old`` a rename's old name,
``e`` encrypted "1"/"0"/"", ``o`` the server that wrote it). Redis is the
room's own infrastructure, but an entry is still checked: one that makes no
sense is skipped with a warning, never a crash of the loop.

:class:`RedisStore` is the room's :class:`~desktopchat.server.store.HistoryStore`
in a Redis room: the stream is the saved history, so ``append`` has nothing
to do; ``saved`` is what the link read at start.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from desktopchat.protocol import events as ev
from desktopchat.protocol import wire
from desktopchat.server.history import Entry
from desktopchat.server.redislink import RedisLink, RoomState
from desktopchat.server.store import Saved

__all__ = ["Decoded", "RedisStore", "decode", "entry_of"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Decoded:
    """One stream entry as the room uses it."""

    event: ev.RoomEvent
    author: str
    cid: int | None
    to: str  # the recipient's tag (private messages)
    origin: str
    kind: str


def decode(id_: int, fields: dict[str, str], marks: bool) -> Decoded | None:
    """The room event of entry ``id_``, or None (logged) if it makes no sense."""
    try:
        kind, when = fields["k"], float(fields["t"])
        name = fields["s"]
        cid = int(fields["c"]) if fields.get("c") else None
        event: ev.RoomEvent
        if kind == "m":
            event = ev.Message(fields["x"], sender=name, id=id_, time=when)
        elif kind == "a":
            event = ev.Action(fields["x"], sender=name, id=id_, time=when)
        elif kind == "p":
            event = ev.Private(fields["x"], to=fields["to"], sender=name, id=id_, time=when)
        elif kind == "j":
            enc = {"1": True, "0": False}.get(fields.get("e", "")) if marks else None
            event = ev.Joined(name, enc, id=id_, time=when)
        elif kind == "l":
            event = ev.Left(name, id=id_, time=when)
        elif kind == "n":
            event = ev.NickChange(name, old=fields["old"], id=id_, time=when)
        else:
            raise ValueError(f"unknown kind {kind!r}")
    except (KeyError, ValueError, TypeError) as exc:
        log.warning("stream entry %d skipped: %s", id_, exc)
        return None
    return Decoded(event, fields.get("a", ""), cid, fields.get("tt", ""), fields.get("o", ""), kind)


def entry_of(decoded: Decoded) -> Entry:
    """The room's memory entry for ``decoded`` (both encodings, made once)."""
    event = decoded.event
    assert event.id is not None and event.time is not None
    return Entry(
        event.id,
        event.time,
        wire.encode_v1(event),
        wire.encode_v2(event),
        author=decoded.author,
        cid=decoded.cid,
        to=decoded.to,
        chat=decoded.kind in ("m", "a"),
    )


class RedisStore:
    """The room's HistoryStore in a Redis room (module docstring)."""

    def __init__(self, link: RedisLink, state: RoomState, marks: bool) -> None:
        self._link = link
        entries = []
        for id_, fields in state.entries:
            decoded = decode(id_, fields, marks)
            if decoded is not None:
                entries.append(entry_of(decoded))
        last = state.entries[-1][0] if state.entries else state.base
        gone = None
        if entries and entries[0].id > state.base + 1:  # trimmed, or older than we read
            gone = (entries[0].id - 1, entries[0].time)
        self._saved = Saved(state.epoch, max(last, state.base), state.base, gone, entries)

    @property
    def epoch(self) -> str:
        return self._saved.epoch

    @property
    def saved(self) -> Saved:
        return self._saved

    @property
    def max_age(self) -> float | None:
        return None

    def tag(self, token: str) -> str:
        return self._link.tag(token)

    def append(self, entry: Entry) -> None:
        """Nothing: the entry came from the stream, which is the saved history."""

    def close(self) -> None:
        """Nothing: the server closes the link."""
