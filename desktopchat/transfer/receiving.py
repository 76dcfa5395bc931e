"""Our fetches: asking for a file, taking its chunks, granting credit, resuming (receiver's half).

A :class:`Fetch` writes into a :mod:`.incoming` sink. Its life:

* PREPARING: a ``.part`` found on disk has its prefix hashed (a worker
  thread, ``engine.py``);
* QUEUED: waiting for a turn (at most :data:`MAX_FETCHES` run at once, the
  room's budget per member) or for the connection;
* REQUESTED: ``get CID FILE OFFSET`` sent, OFFSET = the bytes already
  written; data arriving before its ``ok`` belongs to an older stream and
  is dropped;
* STREAMING: chunks come in order; every :data:`GRANT` chunks written we
  grant ``more FILE GRANT``;
* RETRY: the sender is away (``abort FILE away`` or a ``no`` saying so) or
  the room is busy: ``get`` again after 1, 2, 4 ... :data:`MAX_RETRY_DELAY`
  s, until data flows, the offer is withdrawn, or :data:`GIVE_UP_AFTER` s.

A dropped connection puts running fetches back to QUEUED: after the
reconnect (and its replay, which may say the offer was withdrawn) they ask
again from the bytes already received. The end: the SHA-256 is checked, the
``.part`` renamed, then ``TransferDone``; anything else posts
``TransferFailed`` with a sentence and removes the ``.part``.

Every operation on a sink is a job for the writer thread (``writer.py``,
``io``), in order; its outcome comes back through ``call`` (run on the
network thread). Credit is granted for chunks *written*, so a slow disk
slows the sender, never the chat on the network thread.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from desktopchat.protocol import events as ev
from desktopchat.protocol import fileevents as fe
from desktopchat.protocol import transferevents as te
from desktopchat.transfer.incoming import ChecksumMismatch, PartFile, Sink
from desktopchat.transfer.progress import Throttle

__all__ = ["GIVE_UP_AFTER", "GRANT", "MAX_FETCHES", "MAX_RETRY_DELAY", "Fetch", "Receiver", "State"]

log = logging.getLogger(__name__)

#: Fetches running at once (the room's budget for one member is 4).
MAX_FETCHES = 4
#: Chunks written between two ``more`` grants.
GRANT = 4
#: Credit granted on top of the initial WINDOW right after the ``ok``: the
#: room keeps at most MAX_CREDIT outstanding, and the more is in flight, the
#: less a round trip costs.
TOP_UP = fe.MAX_CREDIT - fe.WINDOW
#: First and largest delay before asking an away sender again, in seconds.
FIRST_RETRY_DELAY = 1.0
MAX_RETRY_DELAY = 10.0
#: Seconds a fetch keeps retrying without data before it fails.
GIVE_UP_AFTER = 90.0

#: What the receiver reads when the room ends its stream (``abort FILE REASON``).
_ABORTED = {
    "withdrawn": "{sender} withdrew the file.",
    "gone": "{sender} left the room; the file is no longer offered.",
    "cancelled": "{sender} cancelled the transfer.",
    "unreadable": "{sender}'s computer could not read the file any more.",
    "changed": "The file changed on {sender}'s side after it was offered; ask for it again.",
    "limit": "The room stopped the transfer: it is over the room's transfer limits.",
}
_AWAY = "{sender}'s connection dropped; waiting for them to come back."
_GAVE_UP = "{sender} did not come back; the transfer is given up."
_RECONNECT = "The connection to the room dropped; the transfer resumes after the reconnect."


class State(enum.Enum):
    PREPARING = "preparing"
    QUEUED = "queued"
    REQUESTED = "requested"
    STREAMING = "streaming"
    RETRY = "retry"


@dataclass(slots=True)
class Fetch:
    """One file we are receiving."""

    offer: fe.FileOffer
    sink: Sink
    state: State = State.QUEUED
    cid: int | None = None
    #: Bytes taken from the room (in order); the writer may still be writing some.
    received: int = 0
    #: Bytes the writer has written and hashed.
    written: int = 0
    #: Chunks the room may still send on the current stream, as we count them.
    credit: int = 0
    #: Chunks written since the last grant.
    unthanked: int = 0
    retry_at: float | None = None
    delay: float = FIRST_RETRY_DELAY
    #: When the current run of retries began (None while data flows).
    waiting_since: float | None = None
    #: The OFFSET of every ``get`` sent, oldest first (tests read it).
    offsets: list[int] = field(default_factory=list)
    throttle: Throttle = field(default_factory=Throttle)

    @property
    def file(self) -> int:
        return self.offer.file

    @property
    def sender(self) -> str:
        return self.offer.sender


class Receiver:
    """Every fetch of this client, by file id. Driven by the engine on the network thread.

    ``post`` puts an event on the client's queue; ``control`` queues a pair
    for the session (``get``, ``more``, ``cancel``); ``next_cid`` numbers a
    ``get``; ``io`` runs a job on the writer thread, ``call`` runs work on the
    network thread (both default to at once, on this thread: unit tests).
    """

    def __init__(
        self,
        post: Callable[[ev.Event], None],
        control: Callable[[ev.Event], None],
        next_cid: Callable[[], int],
        io: Callable[[Callable[[], None]], None] = lambda job: job(),
        call: Callable[[Callable[[float], None]], None] = lambda work: work(0.0),
    ) -> None:
        self._post = post
        self._control = control
        self._next_cid = next_cid
        self._io = io
        self._call = call
        self.fetches: dict[int, Fetch] = {}
        self._by_cid: dict[int, Fetch] = {}
        #: The room has let us in and its replay is in: gets may go out.
        self.online = False

    # --- the API's requests -------------------------------------------------------------

    def fetch(self, offer: fe.FileOffer, sink: Sink) -> Fetch:
        """Start receiving ``offer`` into ``sink`` (a fetch already running is replaced).

        A ``.part`` with a prefix has it hashed by the writer first (PREPARING).
        """
        old = self.fetches.get(offer.file)
        if old is not None:  # replaced: ended without a word
            if old.state in (State.REQUESTED, State.STREAMING) and self.online:
                self._control(fe.CancelFetch(offer.file))
            self._end(old)
            prior = old.sink
            if (
                isinstance(prior, PartFile)
                and isinstance(sink, PartFile)
                and prior.part == sink.part
            ):
                self._io(prior.close)  # the new fetch goes on in this very .part
            else:
                self._io(prior.discard)
        fetch = self.fetches[offer.file] = Fetch(offer, sink)
        fetch.received = fetch.written = sink.written
        if isinstance(sink, PartFile) and sink.needs_hashing:
            fetch.state = State.PREPARING

            def hash_prefix() -> None:
                error: OSError | None = None
                try:
                    sink.hash_prefix()
                except OSError as exc:
                    error = exc
                self._call(lambda now: self._prefix_hashed(fetch, error, now))

            self._io(hash_prefix)
        return fetch

    def _prefix_hashed(self, fetch: Fetch, error: OSError | None, now: float) -> None:
        if self.fetches.get(fetch.file) is not fetch or fetch.state is not State.PREPARING:
            return
        if error is not None:
            self._fail(fetch, f"Could not read the partly received file: {error.strerror or error}")
            return
        fetch.state = State.QUEUED
        self.pump(now)

    def cancel(self, file: int) -> None:
        """Stop receiving ``file``; its ``.part`` is removed."""
        fetch = self.fetches.get(file)
        if fetch is None:
            return
        if fetch.state in (State.REQUESTED, State.STREAMING) and self.online:
            self._control(fe.CancelFetch(file))
        self._end(fetch)
        self._discard(fetch, "You cancelled the transfer.")

    # --- the connection -----------------------------------------------------------------

    def ready(self, now: float) -> None:
        self.online = True
        self.pump(now)

    def connection_lost(self) -> None:
        self.online = False
        self._by_cid.clear()
        for fetch in self.fetches.values():
            if fetch.received >= fetch.offer.size:
                continue  # all in: the writer finishes it
            if fetch.state in (State.REQUESTED, State.STREAMING):
                fetch.state = State.QUEUED
                self._post(te.TransferWaiting(fetch.file, _RECONNECT, True, fetch.sender))

    def pump(self, now: float) -> None:
        """Send the ``get`` of every fetch whose turn it is."""
        if not self.online:
            return
        running = sum(f.state in (State.REQUESTED, State.STREAMING) for f in self.fetches.values())
        for fetch in list(self.fetches.values()):
            if fetch.state is State.RETRY and fetch.retry_at is not None and now >= fetch.retry_at:
                if fetch.waiting_since is not None and now - fetch.waiting_since >= GIVE_UP_AFTER:
                    self._fail(fetch, _GAVE_UP.format(sender=fetch.sender))
                    continue
                fetch.state = State.QUEUED
            if fetch.state is State.QUEUED and running < MAX_FETCHES:
                self._get(fetch)
                running += 1

    def next_deadline(self) -> float | None:
        times = [f.retry_at for f in self.fetches.values() if f.state is State.RETRY]
        return min((t for t in times if t is not None), default=None)

    def _get(self, fetch: Fetch) -> None:
        if fetch.received >= fetch.offer.size:  # an empty file, or all in the .part already
            fetch.state = State.STREAMING
            self._io(lambda: self._write(fetch, b""))  # the writer finishes it
            return
        cid = self._next_cid()
        fetch.cid = cid
        fetch.state = State.REQUESTED
        fetch.offsets.append(fetch.received)
        self._by_cid[cid] = fetch
        self._control(fe.FetchFile(fetch.file, fetch.received, cid=cid))
        log.debug("get %d: file %d from %d", cid, fetch.file, fetch.received)

    # --- what the room says ---------------------------------------------------------------

    def answered(self, cid: int, accepted: bool, reason: str, now: float) -> bool:
        """The ``ok``/``no`` of a ``get`` (True if ``cid`` was one)."""
        fetch = self._by_cid.pop(cid, None)
        if fetch is None:
            return False
        if fetch.cid != cid or fetch.state is not State.REQUESTED:
            return True  # an answer to a get this fetch no longer waits for
        if accepted:
            fetch.state = State.STREAMING
            fetch.credit = fe.WINDOW
            fetch.unthanked = 0
            self._grant(fetch, TOP_UP)
        elif _retryable(reason):
            self._retry(fetch, reason, now)
        else:
            self._fail(fetch, reason if reason.endswith(".") else reason + ".")
        return True

    def data(self, data: fe.FileData, now: float) -> None:
        fetch = self.fetches.get(data.file)
        if fetch is None or fetch.state is not State.STREAMING:
            return  # a cancelled fetch, or an older stream's chunk before the new ok
        at, size = fetch.received, fetch.offer.size
        if data.offset != at or at + len(data.data) > size or not data.data:
            log.warning("file %d: chunk at %d, expected %d", fetch.file, data.offset, at)
            self._control(fe.CancelFetch(fetch.file))
            self._fail(fetch, "The room sent the file's bytes out of order; try again.")
            return
        if fetch.credit <= 0:  # what waits for the writer stays within our credit
            log.warning("file %d: a chunk beyond the credit granted", fetch.file)
            self._control(fe.CancelFetch(fetch.file))
            self._fail(fetch, "The room sent more of the file than was asked for; try again.")
            return
        fetch.received += len(data.data)
        fetch.credit -= 1
        fetch.waiting_since = None
        fetch.delay = FIRST_RETRY_DELAY
        chunk = data.data
        self._io(lambda: self._write(fetch, chunk))

    def _write(self, fetch: Fetch, chunk: bytes) -> None:
        """On the writer thread: write a chunk, at the end check (and rename); report back."""
        sink = fetch.sink
        outcome: Path | bytes | Exception | None = None
        try:
            if chunk:
                sink.write(chunk)
            if sink.complete:
                outcome = sink.finish()
        except (OSError, ChecksumMismatch) as exc:
            outcome = exc
        self._call(lambda now: self._written(fetch, len(chunk), outcome, now))

    def _written(
        self, fetch: Fetch, size: int, outcome: Path | bytes | Exception | None, now: float
    ) -> None:
        if self.fetches.get(fetch.file) is not fetch:
            return  # cancelled or failed meanwhile (the writer discards it next)
        fetch.written += size
        if isinstance(outcome, ChecksumMismatch):
            self._end(fetch)
            reason = (
                f"Checksum mismatch: what arrived is not the file {fetch.sender} offered"
                " (its SHA-256 differs). Nothing was saved."
            )
            self._post(te.TransferFailed(fetch.file, True, fetch.sender, reason))
        elif isinstance(outcome, OSError):
            if fetch.state in (State.REQUESTED, State.STREAMING) and self.online:
                self._control(fe.CancelFetch(fetch.file))
            where = getattr(fetch.sink, "part", "the file")
            self._fail(fetch, f"Could not write {where}: {outcome.strerror or outcome}.")
        elif isinstance(outcome, Path):
            self._end(fetch)
            self._post(te.TransferDone(fetch.file, True, fetch.sender, outcome, None))
        elif isinstance(outcome, bytes):
            self._end(fetch)
            self._post(te.TransferDone(fetch.file, True, fetch.sender, None, outcome))
        elif size:
            fetch.unthanked += 1
            if fetch.unthanked >= GRANT and fetch.state is State.STREAMING:
                self._grant(fetch, fetch.unthanked)
            if fetch.throttle.due(now):
                total = fetch.offer.size
                self._post(
                    te.TransferProgress(fetch.file, fetch.written, total, True, fetch.sender)
                )

    def _grant(self, fetch: Fetch, chunks: int) -> None:
        """Grant credit, but never for more chunks than the file still has."""
        left = -(-(fetch.offer.size - fetch.received) // fe.CHUNK) - fetch.credit
        chunks = min(chunks, left, fe.MAX_MORE)
        fetch.unthanked = 0
        if chunks > 0:
            fetch.credit += chunks
            self._control(fe.FetchCredit(fetch.file, chunks))

    def aborted(self, abort: fe.FileAbort, now: float) -> None:
        fetch = self.fetches.get(abort.file)
        if fetch is None or fetch.state not in (State.REQUESTED, State.STREAMING):
            return
        if abort.reason == "away":
            self._retry(fetch, _AWAY.format(sender=fetch.sender), now)
            return
        text = _ABORTED.get(abort.reason, "The transfer was stopped ({reason}).")
        self._fail(fetch, text.format(sender=fetch.sender, reason=abort.reason))

    def withdrawn(self, file: int, sender: str) -> None:
        fetch = self.fetches.get(file)
        if fetch is not None:
            self._fail(fetch, f"{sender or fetch.sender} withdrew the file.")

    # --- endings --------------------------------------------------------------------------

    def _retry(self, fetch: Fetch, reason: str, now: float) -> None:
        if fetch.waiting_since is None:
            fetch.waiting_since = now
        elif now - fetch.waiting_since >= GIVE_UP_AFTER:
            self._fail(fetch, _GAVE_UP.format(sender=fetch.sender))
            return
        fetch.state = State.RETRY
        fetch.retry_at = now + fetch.delay
        fetch.delay = min(fetch.delay * 2, MAX_RETRY_DELAY)
        self._post(te.TransferWaiting(fetch.file, reason, True, fetch.sender))

    def _fail(self, fetch: Fetch, reason: str) -> None:
        self._end(fetch)
        self._discard(fetch, reason)

    def _discard(self, fetch: Fetch, reason: str) -> None:
        """Remove what was received, then say why (the ``.part`` is gone when the window hears)."""
        failed = te.TransferFailed(fetch.file, True, fetch.sender, reason)

        def discard() -> None:
            fetch.sink.discard()
            self._call(lambda now: self._post(failed))

        self._io(discard)

    def _end(self, fetch: Fetch) -> None:
        if self.fetches.get(fetch.file) is fetch:
            del self.fetches[fetch.file]
        if fetch.cid is not None:
            self._by_cid.pop(fetch.cid, None)

    def forget_all(self, reason: str) -> None:
        """Every fetch fails with ``reason`` (the room restarted: its file ids are new)."""
        for fetch in list(self.fetches.values()):
            self._fail(fetch, reason)

    def close(self) -> None:
        """The client stops: keep every ``.part`` (a later fetch resumes it), close the files."""
        for fetch in self.fetches.values():
            sink = fetch.sink
            if isinstance(sink, PartFile):
                self._io(sink.close)
        self.fetches.clear()


def _retryable(reason: str) -> bool:
    """A ``no`` to a ``get`` that may go away by itself: the sender away, the room busy.

    The room says so in its sentence (server/transfers.py: "ann is away: ...",
    "... try again soon.", "... wait for one.").
    """
    lowered = reason.lower()
    return any(words in lowered for words in (" is away", "try again", "wait for one", "busy"))
