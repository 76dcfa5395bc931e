"""Our offers and the streams the room asks of them (the sender's half of the engine).

An :class:`Offer` is made by ``offer_file``/``offer_bytes``: it is hashed on
a worker thread (``engine.py``), then its ``offer`` request goes out through
the client's outbox (resent after a reconnect with the same cid, like chat),
and the room's ``ok`` gives it its file id. The offer belongs to the
client's token, so it survives our reconnects: the room then simply asks
for new streams.

For each ``send S FILE OFFSET`` the room sends, a :class:`Stream` reads the
file from OFFSET and sends one ``data`` pair per chunk of credit it holds;
``more S N`` gives credit, ``stop S REASON`` ends it. The session takes
chunks only when no chat is waiting (:meth:`Sender.next_chunk`), so chat
never waits behind file data.

The file is opened and read on a reader thread (``io``, one per client:
a slow or hung disk, a network share, never holds up the network thread),
ahead of the credit: what is read and not yet sent is at most the stream's
credit (16 chunks). Results come back through ``call``, in order. No
sockets and no clock here.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from desktopchat.protocol import events as ev
from desktopchat.protocol import fileevents as fe
from desktopchat.protocol import transferevents as te
from desktopchat.transfer.outgoing import ChunkReader, FileChanged, Fingerprint
from desktopchat.transfer.progress import Throttle

__all__ = ["MAX_STREAMS", "Offer", "Sender", "Stream"]

log = logging.getLogger(__name__)

#: Streams we feed at once, whatever a room asks (ours lets a member feed 8):
#: each holds an open file.
MAX_STREAMS = 32

#: What the sender reads when the room stops one of its streams (``stop S REASON``).
_STOPPED = {
    "cancelled": "The receiver cancelled the transfer.",
    "gone": "The receiver left the room.",
    "limit": "The room stopped the transfer (its transfer limits).",
}


@dataclass(slots=True)
class Offer:
    """One file we offer: hashed (``fingerprint``), then accepted by the room (``file``)."""

    cid: int
    name: str
    mime: str
    to: str | None
    source: Path | bytes
    fingerprint: Fingerprint | None = None
    file: int | None = None
    withdrawn: bool = False

    @property
    def path(self) -> Path | None:
        return self.source if isinstance(self.source, Path) else None

    @property
    def peer(self) -> str:
        """Who our outgoing events name: the one member of a private offer, else ``""``
        (the room's ``send`` does not say which member a stream is for)."""
        return self.to or ""


@dataclass(slots=True)
class Stream:
    """One stream the room asked of an offer: the next offset and the credit left.

    ``reader`` belongs to the reader thread (opened by its first read there).
    """

    stream: int
    offer: Offer
    offset: int
    credit: int = fe.WINDOW
    #: Chunks read and not sent yet, in order.
    ready: deque[bytes] = field(default_factory=deque)
    #: Reads asked of the reader thread and not back yet.
    asked: int = 0
    #: Offset of the next read to ask for.
    next_read: int = 0
    reader: ChunkReader | None = None
    throttle: Throttle = field(default_factory=Throttle)


class Sender:
    """Our offers by cid and by file id, and their running streams.

    ``post`` puts an event on the client's queue; ``control`` queues a
    small pair (``stop``) for the session; ``unoffer`` withdraws an offer
    through the outbox (the engine gives it a cid); ``io`` runs a job on the
    reader thread, ``call`` runs work on the network thread (both default to
    at once, on this thread: unit tests).
    """

    def __init__(
        self,
        post: Callable[[ev.Event], None],
        control: Callable[[ev.Event], None],
        unoffer: Callable[[Offer], None],
        io: Callable[[Callable[[], None]], None] = lambda job: job(),
        call: Callable[[Callable[[float], None]], None] = lambda work: work(0.0),
    ) -> None:
        self._post = post
        self._control = control
        self._unoffer = unoffer
        self._io = io
        self._call = call
        self.by_cid: dict[int, Offer] = {}
        self.by_file: dict[int, Offer] = {}
        self.streams: dict[int, Stream] = {}

    # --- offers -----------------------------------------------------------------------

    def accepted(self, cid: int, file: int | None) -> bool:
        """The room's ``ok`` for an offer (True if ``cid`` was one of ours)."""
        offer = self.by_cid.get(cid)
        if offer is None or offer.file is not None:
            return offer is not None
        if file is None:  # an ok without an id cannot name a file
            log.warning("offer %d accepted without a file id", cid)
            return True
        offer.file = file
        self.by_file[file] = offer
        assert offer.fingerprint is not None
        self._post(
            te.OfferMade(cid, file, offer.name, offer.fingerprint.size, offer.path, offer.to)
        )
        if offer.withdrawn:  # withdrawn before the room said its id
            self._unoffer(offer)
            self._forget(offer)
        return True

    def rejected(self, cid: int) -> bool:
        """The room refused an offer (the session posts the Rejected): forget it."""
        return self.by_cid.pop(cid, None) is not None

    def withdraw(self, file: int) -> None:
        """Withdraw offer ``file``; end its streams."""
        offer = self.by_file.get(file)
        if offer is None or offer.withdrawn:
            return
        offer.withdrawn = True
        for stream in [s for s in self.streams.values() if s.offer is offer]:
            self._end(stream)
        if offer.file is not None:  # else when the room's ok says its id
            self._unoffer(offer)
            self._forget(offer)

    def _forget(self, offer: Offer) -> None:
        self.by_cid.pop(offer.cid, None)
        if offer.file is not None:
            self.by_file.pop(offer.file, None)

    # --- streams ----------------------------------------------------------------------

    def start(self, start: fe.StreamStart) -> None:
        """``send S FILE OFFSET``: start reading for the room."""
        offer = self.by_file.get(start.file)
        old = self.streams.pop(start.stream, None)
        if old is not None:
            self._close(old)
        if (
            offer is None
            or offer.withdrawn
            or offer.fingerprint is None
            or not 0 <= start.offset <= offer.fingerprint.size
            or len(self.streams) >= MAX_STREAMS  # a room asking for more than it may: no
        ):
            self._control(fe.StreamStop(start.stream, "cancelled"))
            return
        if start.offset == offer.fingerprint.size:  # nothing to send (an empty file)
            return
        stream = Stream(start.stream, offer, start.offset, next_read=start.offset)
        self.streams[start.stream] = stream
        log.debug("stream %d of file %d from %d", start.stream, start.file, start.offset)
        self._refill(stream)

    def credit(self, credit: fe.StreamCredit) -> None:
        stream = self.streams.get(credit.stream)
        if stream is not None:
            stream.credit = min(fe.MAX_CREDIT, stream.credit + credit.chunks)
            self._refill(stream)

    def stopped(self, stop: fe.StreamStop) -> None:
        """The room ended a stream (the receiver cancelled, left, a limit)."""
        stream = self.streams.pop(stop.stream, None)
        if stream is None:
            return
        self._close(stream)
        assert stream.offer.file is not None
        reason = _STOPPED.get(stop.reason, f"The room stopped the transfer ({stop.reason}).")
        self._post(te.TransferFailed(stream.offer.file, False, stream.offer.peer, reason))

    def next_chunk(self, now: float) -> fe.StreamData | None:
        """The next ``data`` pair of a stream with credit (streams take turns), or None."""
        for key in list(self.streams):
            stream = self.streams.pop(key)
            self.streams[key] = stream  # to the back: the next call starts with another
            if stream.credit > 0 and stream.ready:
                return self._send(stream, now)
        return None

    @property
    def sending(self) -> bool:
        """A stream has a chunk it may send now."""
        return any(s.credit > 0 and s.ready for s in self.streams.values())

    def _send(self, stream: Stream, now: float) -> fe.StreamData:
        offer = stream.offer
        assert offer.fingerprint is not None and offer.file is not None
        size = offer.fingerprint.size
        data = stream.ready.popleft()
        chunk = fe.StreamData(stream.stream, stream.offset, data)
        stream.offset += len(data)
        stream.credit -= 1
        if stream.offset >= size:  # the last one: the room expects nothing more
            self._end(stream)
            self._post(te.TransferDone(offer.file, False, offer.peer, offer.path, None))
        elif stream.throttle.due(now):
            self._post(te.TransferProgress(offer.file, stream.offset, size, False, offer.peer))
        return chunk

    # --- the reader thread --------------------------------------------------------------

    def _refill(self, stream: Stream) -> None:
        """Ask the reader thread for as many chunks as the credit may send (one job for all)."""
        assert stream.offer.fingerprint is not None
        size = stream.offer.fingerprint.size
        want = stream.credit - len(stream.ready) - stream.asked
        offsets = range(stream.next_read, size, fe.CHUNK)[: max(0, want)]
        if offsets:
            stream.next_read = offsets[-1] + fe.CHUNK
            stream.asked += len(offsets)
            self._io(lambda: self._read(stream, offsets))

    def _read(self, stream: Stream, offsets: range) -> None:
        """On the reader thread: open the file if need be, read the chunks; report back."""
        offer = stream.offer
        assert offer.fingerprint is not None
        chunks: list[bytes] = []
        failure: str | None = None
        try:
            if stream.reader is None:
                stream.reader = ChunkReader(offer.source, offer.fingerprint)
            for offset in offsets:
                chunks.append(stream.reader.read(offset, fe.CHUNK))
        except FileChanged:
            failure = "changed"
        except OSError as exc:
            log.info("file %s unreadable: %s", offer.file, exc)
            failure = "unreadable"
        self._call(lambda now: self._read_done(stream, len(offsets), chunks, failure))

    def _read_done(
        self, stream: Stream, asked: int, chunks: list[bytes], failure: str | None
    ) -> None:
        if self.streams.get(stream.stream) is not stream:
            return  # ended meanwhile
        stream.asked -= asked
        stream.ready.extend(chunks)
        if failure is not None:
            self._failed_offer(stream.offer, stream.stream, failure)

    def _close(self, stream: Stream) -> None:
        """Close the stream's file on the reader thread, after the reads asked before."""
        stream.ready.clear()

        def close() -> None:
            if stream.reader is not None:
                stream.reader.close()

        self._io(close)

    # --- endings ------------------------------------------------------------------------

    def _failed_offer(self, offer: Offer, stream: int, reason: str) -> None:
        """The file cannot be sent (any more): stop the stream, withdraw the offer, say why."""
        self._control(fe.StreamStop(stream, reason))
        old = self.streams.pop(stream, None)
        if old is not None:
            self._close(old)
        assert offer.file is not None
        if reason == "changed":
            text = f"{offer.name} changed after you offered it; offer it again to send the new one."
        else:
            text = f"{offer.name} can no longer be read; the offer is withdrawn."
        self._post(te.TransferFailed(offer.file, False, offer.peer, text))
        self.withdraw(offer.file)

    def _end(self, stream: Stream) -> None:
        self.streams.pop(stream.stream, None)
        self._close(stream)

    def forget_accepted(self) -> None:
        """The room restarted: our offers it had are gone (those still unanswered are resent)."""
        for offer in list(self.by_file.values()):
            self._forget(offer)

    def connection_lost(self) -> None:
        """Our connection dropped: the room forgot our streams (it asks again after the resume)."""
        for stream in list(self.streams.values()):
            self._end(stream)

    def close(self) -> None:
        self.connection_lost()
