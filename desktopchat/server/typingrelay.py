"""Relaying "NAME is typing" to the room's other protocol-2 members (docs/PROTOCOL.md 9).

A ``typing`` request is a hint, not an event of the room: it gets no id, is
never stored in the history or a resume replay, never answered, and never
reaches protocol-1 members (the tutorial's client would print it as a line).
:class:`TypingRelay` keeps the one rule the room needs for it: at most one
relayed per member every :data:`TYPING_INTERVAL` seconds; the rest are
dropped without a word (the sender's client sends one every 3 s at most, so
only a misbehaving client hits this). The room charges each request to the
member's request rate first (``rates.py``); over that limit it is dropped
silently too, never answered "Slow down" (there is no cid to answer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktopchat.protocol import events as ev
from desktopchat.protocol import wire

if TYPE_CHECKING:
    from desktopchat.server.room import LocalFanout, Member

__all__ = ["TYPING_INTERVAL", "TypingRelay"]

#: Seconds between two relayed typing hints of one member.
TYPING_INTERVAL = 2.0


class TypingRelay:
    """Who may be relayed as typing when; what the others get."""

    def __init__(self, interval: float = TYPING_INTERVAL) -> None:
        self.interval = interval
        self._last: dict[Member, float] = {}  # member -> monotonic time of its last relay
        #: Hints dropped for coming too soon (tests and logs).
        self.dropped = 0

    def relay(self, fanout: LocalFanout, member: Member, now: float) -> bool:
        """Tell the other protocol-2 members that ``member`` is typing; False if dropped."""
        last = self._last.get(member)
        if last is not None and now - last < self.interval:
            self.dropped += 1
            return False
        self._last[member] = now
        data = wire.encode_v2(ev.Typing(member.name))
        for other in fanout.members.values():
            if other is not member and other.v2:
                fanout.send(other, data)
        return True

    def forget(self, member: Member) -> None:
        """``member`` left: its time is not needed any more (memory stays bounded)."""
        self._last.pop(member, None)
