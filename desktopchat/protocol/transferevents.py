"""File transfers as the client tells the window (desktopchat/transfer/ posts them).

The wire-level events of the files extension are in fileevents.py; these are
what :class:`~desktopchat.client.ChatClient` makes of them, posted to its queue
beside the room events of events.py. ``file`` is always the offer's room id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from desktopchat.protocol.events import Event

__all__ = [
    "FilesAllowed",
    "OfferMade",
    "TransferDone",
    "TransferFailed",
    "TransferProgress",
    "TransferWaiting",
]


@dataclass(frozen=True, slots=True)
class FilesAllowed(Event):
    """After each welcome: the room's largest file in bytes, None if it takes no files."""

    max_size: int | None


@dataclass(frozen=True, slots=True)
class OfferMade(Event):
    """Our offer ``cid`` is in the room as file ``file`` (right after its ``Accepted``).

    ``path`` is the offered file, None for bytes (a pasted picture); ``to``
    None for the room, else the one member it was offered to.
    """

    cid: int
    file: int
    name: str
    size: int
    path: Path | None
    to: str | None


@dataclass(frozen=True, slots=True)
class TransferProgress(Event):
    """``done`` of ``total`` bytes of ``file`` have moved (at most ~10 a second per transfer).

    ``incoming``: we receive it from ``peer``; else we send it to ``peer``
    (``""`` when the room does not say to whom).
    """

    file: int
    done: int
    total: int
    incoming: bool
    peer: str


@dataclass(frozen=True, slots=True)
class TransferDone(Event):
    """A transfer is complete. Incoming: its SHA-256 matched the offer's before this was posted.

    Incoming into a file: ``path`` is where it is (it may differ from the
    destination asked for if that name was taken meanwhile: "name (1).ext");
    into memory: ``data``. Outgoing: ``path`` is the offered file (None for
    bytes), ``data`` None.
    """

    file: int
    incoming: bool
    peer: str
    path: Path | None = None
    data: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class TransferFailed(Event):
    """A transfer ended without the file: ``reason`` is a sentence for people."""

    file: int
    incoming: bool
    peer: str
    reason: str


@dataclass(frozen=True, slots=True)
class TransferWaiting(Event):
    """A transfer is interrupted and will resume by itself (a reconnect, the sender away)."""

    file: int
    reason: str
    incoming: bool = True
    peer: str = ""
