"""The client's transfer engine: offers, fetches and streams of one ChatClient.

:class:`TransferEngine` lives on the client's network thread; the Tk thread
and the hashing workers only hand it work through :meth:`TransferEngine.call`
(a deque under a lock, then the thread's wakeup byte). The session drives it:

* :meth:`handle` with every event from the room (it takes the wire-level
  file events and the answers to its own ``get`` requests, and watches offers
  and withdrawals in passing);
* :meth:`welcomed`, :meth:`ready` and :meth:`connection_lost` at those
  moments of a connection;
* :meth:`take_control` for the small pairs to write before anything else
  (``get``, ``more``, ``cancel``, ``stop``), and :meth:`next_chunk` for one
  ``data`` pair, asked only when no chat request is waiting;
* :meth:`poll` on every turn of its loop, :meth:`next_deadline` for its
  select timeout.

Offers (``offer``, ``unoffer``) carry cids and go through the client's
outbox like chat, so they are resent after a reconnect and settled once.
Hashing an offer runs on a worker thread per offer (``desktopchat-hash``),
reading it for the room on the reader thread, writing and hashing what we
receive on the writer thread (both ``writer.py``): never on the network
thread. docs/PROTOCOL.md section 14 is the wire.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from pathlib import Path

from desktopchat.protocol import events as ev
from desktopchat.protocol import fileevents as fe
from desktopchat.protocol import transferevents as te
from desktopchat.transfer.incoming import MAX_IN_MEMORY, MemorySink, PartFile, Sink
from desktopchat.transfer.outgoing import (
    FileChanged,
    Fingerprint,
    fingerprint_bytes,
    fingerprint_file,
)
from desktopchat.transfer.receiving import Receiver
from desktopchat.transfer.sending import Offer, Sender
from desktopchat.transfer.writer import Writer

__all__ = ["MAX_KNOWN_OFFERS", "TransferEngine"]

log = logging.getLogger(__name__)

#: Offers of others remembered (for fetch_file); the oldest are forgotten first.
MAX_KNOWN_OFFERS = 4096


class TransferEngine:
    """See the module docstring. ``post`` queues an event for the window, ``next_cid``
    numbers a request, ``enqueue`` puts a request in the client's outbox, ``wake``
    wakes the network thread."""

    def __init__(
        self,
        post: Callable[[ev.Event], None],
        next_cid: Callable[[], int],
        enqueue: Callable[[fe.FileOffer | fe.FileWithdrawn], None],
        wake: Callable[[], None],
    ) -> None:
        self._post = post
        self._next_cid = next_cid
        self._enqueue = enqueue
        self._wake = wake
        self._lock = threading.Lock()
        self._calls: deque[Callable[[float], None]] = deque()  # guarded by _lock
        self._control: deque[ev.Event] = deque()
        #: The room's largest file (bytes) as its last welcome said; None: no files.
        self.max_size: int | None = None
        self.offers: OrderedDict[int, fe.FileOffer] = OrderedDict()
        #: Offered files are opened and read on its thread.
        self.reader = Writer("desktopchat-read")
        self.sender = Sender(
            post, self._control.append, self._unoffer, io=self.reader.run, call=self.call
        )
        #: Received files are written (and hashed) on its thread.
        self.writer = Writer("desktopchat-write")
        self.receiver = Receiver(
            post, self._control.append, next_cid, io=self.writer.run, call=self.call
        )
        self._unoffer_cids: set[int] = set()
        self._closed = False

    # --- from any thread ------------------------------------------------------------------

    def call(self, work: Callable[[float], None]) -> None:
        """Run ``work(now)`` on the network thread at its next turn."""
        with self._lock:
            if self._closed:
                return
            idle = not self._calls  # else a wakeup is already on its way
            self._calls.append(work)
        if idle:
            self._wake()

    def offer(self, cid: int, source: Path | bytes, name: str, mime: str, to: str | None) -> None:
        """Hash ``source`` on a worker thread, then offer it (the API's offer_file/offer_bytes)."""
        offer = Offer(cid, name, mime, to, source)
        limit = self.max_size

        def work() -> None:
            result: Fingerprint | str
            try:
                if isinstance(source, bytes):
                    result = fingerprint_bytes(source)
                else:
                    result = fingerprint_file(source, limit)
            except ValueError:
                result = f"{name} is larger than this room takes ({limit:,} bytes at most)."
            except FileChanged:
                result = f"{name} changed while it was being read; try again."
            except OSError as exc:
                result = f"Could not read {name}: {exc.strerror or exc}."
            self.call(lambda now: self._hashed(offer, result))

        threading.Thread(target=work, name="desktopchat-hash", daemon=True).start()

    def fetch(self, file: int, dest: Path | None) -> None:
        """Start receiving ``file`` into ``dest`` (None: into memory). See ChatClient.fetch_file."""
        self.call(lambda now: self._fetch(file, dest, now))

    def cancel(self, file: int) -> None:
        """Stop receiving ``file`` (ChatClient.cancel_fetch)."""
        self.call(lambda now: self.receiver.cancel(file))

    def withdraw(self, file: int) -> None:
        """Withdraw our offer ``file`` and end its streams (ChatClient.withdraw_file)."""
        self.call(lambda now: self.sender.withdraw(file))

    # --- the network thread ---------------------------------------------------------------

    def poll(self, now: float) -> None:
        """Run the work other threads handed in, then send the gets whose turn it is."""
        while True:
            with self._lock:
                if not self._calls:
                    break
                work = self._calls.popleft()
            work(now)
        self.receiver.pump(now)

    def next_deadline(self) -> float | None:
        return self.receiver.next_deadline()

    def welcomed(self, max_size: int | None, *, restarted: bool = False) -> None:
        """A welcome; ``restarted``: the room is a new run (another epoch), its ids start again."""
        self.max_size = max_size
        if restarted:
            self.offers.clear()
            self.sender.forget_accepted()
            self.receiver.forget_all("The room was restarted; the file is no longer offered.")
        self._post(te.FilesAllowed(max_size))

    def ready(self, now: float) -> None:
        """The room let us in and replayed what we missed: fetches may ask again."""
        self.receiver.ready(now)

    def connection_lost(self) -> None:
        self._control.clear()  # they belonged to that connection
        self.sender.connection_lost()
        self.receiver.connection_lost()

    def take_control(self) -> ev.Event | None:
        """The next small pair to write (before chat and data), or None."""
        return self._control.popleft() if self._control else None

    def next_chunk(self, now: float) -> fe.StreamData | None:
        """One ``data`` pair of one of our streams, or None (no credit, nothing to send)."""
        if self._control:  # a stop may have to go before more data
            return None
        return self.sender.next_chunk(now)

    def handle(self, event: ev.Event, now: float) -> bool:
        """Take one event from the room; True if the window need not see it."""
        match event:
            case fe.FileData():
                self.receiver.data(event, now)
            case fe.StreamCredit():
                self.sender.credit(event)
            case fe.StreamStart():
                self.sender.start(event)
            case fe.StreamStop():
                self.sender.stopped(event)
            case fe.FileAbort():
                self.receiver.aborted(event, now)
            case ev.Accepted(cid=cid, id=file):
                if cid in self._unoffer_cids:
                    self._unoffer_cids.discard(cid)
                    return True
                if self.receiver.answered(cid, True, "", now):
                    return True
                if cid in self.sender.by_cid:  # the Accepted first, then OfferMade
                    self._post(event)
                    self.sender.accepted(cid, file)
                    return True
                return False
            case ev.Rejected(cid=cid, reason=reason):
                if cid in self._unoffer_cids:
                    self._unoffer_cids.discard(cid)
                    return True
                if self.receiver.answered(cid, False, reason, now):
                    return True
                self.sender.rejected(cid)
                return False
            case ev.Replay():  # the replay first: its Accepted before an OfferMade
                self._post(event)
                self._watch(event)
            case fe.FileOffer() | fe.FileWithdrawn():
                self._watch(event)
                return False
            case _:
                return False
        return True

    def _watch(self, event: ev.Event) -> None:
        """Keep the offers we may fetch; a withdrawal ends a fetch of it."""
        match event:
            case fe.FileOffer() if event.id is not None:
                self.offers[event.file] = event
                while len(self.offers) > MAX_KNOWN_OFFERS:
                    self.offers.popitem(last=False)
            case fe.FileWithdrawn(file=file, sender=sender):
                self.offers.pop(file, None)
                self.receiver.withdrawn(file, sender)
            case ev.Replay(events=events):
                for item in events:
                    if isinstance(item, ev.Accepted):
                        self.sender.accepted(item.cid, item.id)
                    else:
                        self._watch(item)

    def leaving(self) -> list[fe.FileWithdrawn]:
        """The client is closing: stop our streams; the ``unoffer`` of each live offer."""
        self.sender.close()
        live = [f for f, offer in self.sender.by_file.items() if not offer.withdrawn]
        return [fe.FileWithdrawn(file, cid=self._next_cid()) for file in live]

    def close(self) -> None:
        """The client stops: close every file (a ``.part`` stays for a later resume)."""
        with self._lock:
            self._closed = True
            self._calls.clear()
        self.sender.close()
        self.receiver.close()
        self.reader.close()
        self.writer.close()

    # --- work handed in ---------------------------------------------------------------------

    def _hashed(self, offer: Offer, result: Fingerprint | str) -> None:
        limit = self.max_size
        if isinstance(result, Fingerprint) and limit is not None and result.size > limit:
            result = f"{offer.name} is larger than this room takes ({limit:,} bytes at most)."
        if isinstance(result, str):
            self._post(ev.Rejected(offer.cid, result))
            return
        offer.fingerprint = result
        self.sender.by_cid[offer.cid] = offer
        to = offer.to
        self._enqueue(
            fe.FileOffer(offer.name, result.size, result.sha256, offer.mime, to, cid=offer.cid)
        )

    def _unoffer(self, offer: Offer) -> None:
        assert offer.file is not None
        cid = self._next_cid()
        self._unoffer_cids.add(cid)
        self._enqueue(fe.FileWithdrawn(offer.file, cid=cid))

    def _fetch(self, file: int, dest: Path | None, now: float) -> None:
        offer = self.offers.get(file)
        if offer is None:
            reason = "That file is no longer offered."
            self._post(te.TransferFailed(file, True, "", reason))
            return
        sink: Sink
        try:
            if dest is None:
                if offer.size > MAX_IN_MEMORY:
                    raise ValueError(f"{offer.size} bytes is too large to keep in memory")
                sink = MemorySink(offer.size, offer.sha256)
            else:
                sink = PartFile(dest, offer.size, offer.sha256)
        except ValueError as exc:
            self._post(te.TransferFailed(file, True, offer.sender, f"{exc}."))
            return
        except OSError as exc:
            where = dest if dest is None else dest.parent
            reason = f"Could not write into {where}: {exc.strerror or exc}."
            self._post(te.TransferFailed(file, True, offer.sender, reason))
            return
        self.receiver.fetch(offer, sink)
        self.receiver.pump(now)
