"""What the transcript shows, as data: :class:`Line` and the states of our own lines.

The presenter decides lines, the transcript widget draws them; neither
guesses what the other meant. No Tk here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Kind", "Line", "SendState", "state_text"]


class Kind(enum.Enum):
    """How a line is drawn."""

    MESSAGE = "message"  # sender: text
    ACTION = "action"  # * sender text
    PRIVATE = "private"  # sender (private): text, or → peer (private): text when own
    EVENT = "event"  # grey italics: joins, leaves, notices, connection changes
    ERROR = "error"  # red italics: refusals, failures
    MARKER = "marker"  # a divider such as "— missed while disconnected —"


class SendState(enum.Enum):
    """Where one of our own lines is (docs/PROTOCOL.md, "Acknowledgements")."""

    QUEUED = "queued"  # typed while not in the room: waits in the outbox
    PENDING = "pending"  # written to the room, no answer yet
    SENT = "sent"  # the room accepted it (or, in an older room, it went out whole)
    FAILED = "failed"  # the room refused it, or it never reached the room


@dataclass(frozen=True, slots=True)
class Line:
    """One transcript entry.

    ``time`` is when it happened (the room's clock for room events). ``peer``
    is the other side of a private line. ``cid`` ties our own line to its
    request, so its ``state`` can change later. ``mention`` is our name when
    the text mentions it (the transcript highlights it there).
    """

    kind: Kind
    text: str
    time: float
    sender: str = ""
    peer: str = ""
    own: bool = False
    cid: int | None = None
    state: SendState | None = None
    mention: str = ""


def state_text(state: SendState | None, reason: str = "") -> str:
    """The marker written after an own line in ``state`` ("" for none)."""
    match state:
        case SendState.QUEUED:
            return "(queued)"
        case SendState.PENDING:
            return "(sending…)"
        case SendState.FAILED:
            return f"(not sent: {reason})" if reason else "(not sent)"
    return ""
