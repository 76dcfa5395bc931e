"""The events of the ``files`` extension of protocol 2 (docs/PROTOCOL.md section 14).

Like :mod:`.events`, small frozen dataclasses used in both directions where
the wire form is the same. Two of them are room events (they have ids, are in
the history and resume replays): :class:`FileOffer` and :class:`FileWithdrawn`.
The rest belong to one stream of one file and are never stored:

* a receiver asks: :class:`FetchFile` (``get``), :class:`FetchCredit`
  (``more FILE N``), :class:`CancelFetch` (``cancel``);
* the room tells the receiver: :class:`FileData` (``data FILE OFFSET``),
  :class:`FileAbort` (``abort``);
* the room tells the sender: :class:`StreamStart` (``send``),
  :class:`StreamCredit` (``more S N``), :class:`StreamStop` (``stop``);
* the sender answers: :class:`StreamData` (``data S OFFSET``),
  :class:`StreamStop` (``stop``).

``data`` bodies are raw bytes (``bytes`` here), the one body that is not UTF-8.
The constants are the extension's numbers; :mod:`.filewire` is the wire form.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktopchat.protocol.events import Event, Request, RoomEvent

__all__ = [
    "ABORT_REASONS",
    "CHUNK",
    "FILES_WORD",
    "MAX_CREDIT",
    "MAX_FILE_NAME",
    "MAX_MIME",
    "MAX_MORE",
    "STOP_REASONS",
    "WINDOW",
    "CancelFetch",
    "FetchCredit",
    "FetchFile",
    "FileAbort",
    "FileData",
    "FileOffer",
    "FileWithdrawn",
    "StreamCredit",
    "StreamData",
    "StreamStart",
    "StreamStop",
]

#: The word of the extension: ``files=MAXBYTES`` in the room's offer, ``files``
#: at the end of the client's upgrade.
FILES_WORD = "files"

#: Largest ``data`` body: 60 KiB, so a data pair stays within the default
#: 64 KiB frame limit with room for its header frames.
CHUNK = 61_440

#: Chunks a new stream may send before any ``more``: its initial credit.
WINDOW = 8

#: Most chunks of credit a stream may have outstanding; more is clamped.
MAX_CREDIT = 16

#: Most chunks one ``more FILE N`` may grant (N is 1 to this).
MAX_MORE = 64

#: Longest file name, in bytes of UTF-8.
MAX_FILE_NAME = 255

#: Longest MIME type word.
MAX_MIME = 100

#: Why a sender ends a stream (``stop S REASON``, sender to room).
STOP_REASONS = frozenset({"unreadable", "changed", "cancelled"})

#: Why a receiver's stream ended (``abort FILE REASON``, room to receiver).
ABORT_REASONS = frozenset(
    {"withdrawn", "away", "gone", "cancelled", "unreadable", "changed", "limit"}
)


@dataclass(frozen=True, slots=True)
class FileOffer(RoomEvent):
    """A file on offer: the ``offer`` request and the ``file`` room event.

    Sent with ``sender=""`` and a ``cid``; received with the sender and the
    room's ``id``, which is the FILE id every later pair names (:attr:`file`).
    ``to`` is None for the room, else the one member it is offered to.
    ``mime`` is ``"-"`` when the sender does not know the type.
    """

    name: str
    size: int
    sha256: str
    mime: str = "-"
    to: str | None = None
    sender: str = ""
    cid: int | None = None

    @property
    def file(self) -> int:
        """The file's id (the offer's room id); -1 on the request, which has none yet."""
        return -1 if self.id is None else self.id


@dataclass(frozen=True, slots=True)
class FileWithdrawn(RoomEvent):
    """Offer ``file`` is gone: the ``unoffer`` request (with a cid) and room event.

    The room sends it when the sender withdrew the offer, and when the
    sender's connection stayed away longer than the grace (then ``sender`` is
    still the offer's sender: the room made the event on its behalf).
    """

    file: int
    sender: str = ""
    cid: int | None = None


@dataclass(frozen=True, slots=True)
class FetchFile(Request):
    """``get CID FILE OFFSET``: stream file ``file`` to me from byte ``offset``."""

    file: int
    offset: int = 0


@dataclass(frozen=True, slots=True)
class FetchCredit(Event):
    """``more FILE N``: ``chunks`` more chunks of credit for my fetch of ``file``."""

    file: int
    chunks: int


@dataclass(frozen=True, slots=True)
class CancelFetch(Event):
    """``cancel FILE``: stop my fetch of ``file`` (never answered)."""

    file: int


@dataclass(frozen=True, slots=True)
class FileData(Event):
    """``data FILE OFFSET`` to a receiver: ``data`` is the file's bytes at ``offset``."""

    file: int
    offset: int
    data: bytes


@dataclass(frozen=True, slots=True)
class FileAbort(Event):
    """``abort FILE REASON``: the receiver's stream of ``file`` ended early.

    ``reason`` is one of :data:`ABORT_REASONS` (a word, not a sentence).
    """

    file: int
    reason: str


@dataclass(frozen=True, slots=True)
class StreamStart(Event):
    """``send S FILE OFFSET`` to a sender: start stream ``stream`` of ``file`` at ``offset``.

    The stream has :data:`WINDOW` chunks of credit to begin with.
    """

    stream: int
    file: int
    offset: int


@dataclass(frozen=True, slots=True)
class StreamCredit(Event):
    """``more S N`` to a sender: stream ``stream`` may send ``chunks`` more chunks."""

    stream: int
    chunks: int


@dataclass(frozen=True, slots=True)
class StreamStop(Event):
    """``stop S REASON``, both ways: stream ``stream`` ends.

    From the sender: one of :data:`STOP_REASONS`. From the room: ``cancelled``
    (the receiver cancelled or fetched again), ``gone`` (the receiver left),
    ``limit``.
    """

    stream: int
    reason: str


@dataclass(frozen=True, slots=True)
class StreamData(Event):
    """``data S OFFSET`` from a sender: ``data`` is the file's bytes at ``offset``."""

    stream: int
    offset: int
    data: bytes
