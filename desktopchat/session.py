"""One connection of the client's network thread: the socket, its session, what is half written.

:class:`Session` is :class:`~desktopchat.client.ChatClient`'s (and only
lives on its thread): it writes the handshake and then the outbox, reads
pairs into the :class:`~desktopchat.protocol.client.ClientConnection` and
posts its events, and ends by raising :class:`Dropped` (or :class:`Stop` on
close()). ``client.py`` has the rules it keeps.

On an encrypted connection the TLS handshake and the pin check come first,
in the same selector loop, before a byte of the name or the password is
written (:class:`~desktopchat.net.tlsbio.ClientTls` then carries the plain
bytes). They end by raising :class:`PinRefused` (not the pinned certificate),
:class:`AskFirst` (a first visit the window must ask about), or
:class:`~desktopchat.net.tlsbio.NotTls` (the room speaks no TLS: plaintext
may follow, only without a pin).
"""

from __future__ import annotations

import logging
import selectors
import socket
import ssl
import time
from typing import TYPE_CHECKING

from desktopchat import protocol
from desktopchat.bucket import TokenBucket
from desktopchat.connect import describe
from desktopchat.inbox import EventQueue
from desktopchat.net.tlsbio import ClientTls, NotTls
from desktopchat.protocol import events as ev
from desktopchat.protocol import fileevents as fe
from desktopchat.protocol import filewire
from desktopchat.protocol.client import ClientConnection
from desktopchat.protocol.commands import Command

if TYPE_CHECKING:
    from desktopchat.client import ChatClient

__all__ = [
    "LEGACY_GRACE",
    "TLS_PROBE_TIMEOUT",
    "AskFirst",
    "Dropped",
    "PinRefused",
    "Queued",
    "Session",
    "Stop",
]

log = logging.getLogger(__name__)

#: Seconds of silence after the name frame after which a server is taken to be
#: one that sends no events (the tutorial's).
LEGACY_GRACE = 1.0
_RECV_SIZE = 256 * 1024  # bytes asked of recv() at once: four default-size frames
#: Seconds the thread pauses after a read while the window is behind (its
#: queue more than half full) and the read emptied the socket: the Tk thread
#: gets the CPU and the GIL to draw (a flood otherwise kept its event loop
#: waiting 100-200 ms at times). A full read means more is waiting: no pause
#: then, or the room would find us too slow.
YIELD_WHEN_BEHIND = 0.001
#: What we send at most on one connection to a protocol-2 room, (rate a
#: second, burst): below the room's default limits (10 requests a second, 30
#: at once; 64 KiB of text a second, 256 KiB at once), so a backlog (lines
#: typed while disconnected) goes out paced after a reconnect instead of
#: being refused "Slow down".
PACE_REQUESTS = (8.0, 24)
PACE_BYTES = (48 * 1024.0, 192 * 1024)
#: Typing hints posted to the window a second, and at once (see Session.typing_pace).
TYPING_POSTS = (10.0, 20)
#: Seconds a room without a pin has to answer our ClientHello before it is
#: taken to speak no TLS: the tutorial's server reads the ClientHello as a
#: frame header it cannot parse and then says nothing, ever. Our rooms answer
#: within milliseconds on a LAN. With a pin there is no fallback to wait for:
#: the handshake then has the connect timeout, and running out of it is an
#: ordinary failed attempt.
TLS_PROBE_TIMEOUT = 2.0


#: What waits in the client's outbox: chat requests and the file requests
#: that carry a cid and are resent after a reconnect (offer, unoffer).
Queued = Command | fe.FileOffer | fe.FileWithdrawn


class Stop(Exception):
    """close() was called: unwind the network thread at once."""


class PinRefused(Exception):
    """The room did not show the pinned certificate (``actual``: what it showed, or None)."""

    def __init__(self, actual: str | None) -> None:
        super().__init__(actual)
        self.actual = actual


class AskFirst(Exception):
    """A first visit with ``ask_first_use``: the room's certificate needs the user's yes."""

    def __init__(self, fingerprint: str) -> None:
        super().__init__(fingerprint)
        self.fingerprint = fingerprint


class Dropped(Exception):
    """The connection ended (str(exc) is the reason); ``refused`` if the room said no."""

    def __init__(self, reason: str, *, refused: bool = False) -> None:
        super().__init__(reason)
        self.refused = refused


class Session:
    """One connection: the socket, its ClientConnection and what is half written.

    Lives on the network thread only. ``run`` returns never: it raises
    ``Dropped`` or ``Stop``.
    """

    def __init__(self, client: ChatClient, sock: socket.socket, tls: ClientTls | None) -> None:
        self.client = client
        self.sock = sock
        self.tls = tls
        # What writes: the socket, or the TLS session over it.
        self._send = tls.send if tls is not None else sock.send
        self.conn = ClientConnection(
            client.name,
            client.password,
            token=client.token,
            resume=client._resume,
            max_message=client.max_message,
            files=client.files,
        )
        self.control = bytearray(self.conn.data_to_send())  # handshake bytes, first
        self.grace_deadline: float | None = None
        self.welcomed = False
        # The outbox may go out: after the welcome, and in a protocol-2 room
        # after the replay too (its acks say which requests need no resend).
        self.ready = False
        self.closing_reason: str | None = None
        # The request being written and how much of it went out on *this*
        # connection: one cut mid-frame is sent again whole next time.
        self.frame = b""
        self.offset = 0
        # File pairs (control, then data) partly written: no other frame may
        # start before they are all out.
        self.spill = bytearray()
        now = time.monotonic()
        self.pace = (TokenBucket(*PACE_REQUESTS, now), TokenBucket(*PACE_BYTES, now))
        self.pace_deadline: float | None = None  # the next request may go then
        client._typing = False  # a hint from before this connection is stale
        # Typing hints posted to the window: a room relays 1 per member per 2 s;
        # more than this from a hostile one are dropped (the queue keeps them all).
        self.typing_pace = TokenBucket(*TYPING_POSTS, now)

    def run(self) -> None:
        client = self.client
        client._phase = "handshake"
        with selectors.DefaultSelector() as sel:
            sel.register(client._wake_r, selectors.EVENT_READ)
            sel.register(self.sock, selectors.EVENT_READ)
            want_write = False
            try:
                if self.tls is not None:
                    self._handshake(sel, self.tls)
                while True:
                    client.transfers.poll(time.monotonic())
                    pending_write = self._flush()
                    if pending_write != want_write:
                        mask = selectors.EVENT_READ | (
                            selectors.EVENT_WRITE if pending_write else 0
                        )
                        sel.modify(self.sock, mask)
                        want_write = pending_write
                    timeout = None
                    deadlines = [
                        d
                        for d in (
                            self.grace_deadline,
                            self.pace_deadline,
                            client.transfers.next_deadline(),
                        )
                        if d is not None
                    ]
                    if deadlines:
                        timeout = max(0.0, min(deadlines) - time.monotonic())
                    for key, mask in sel.select(timeout):
                        if key.fileobj is client._wake_r:
                            client._drain_wakeup()
                        elif mask & selectors.EVENT_READ:
                            self._receive()
                    if self.grace_deadline is not None and time.monotonic() >= self.grace_deadline:
                        self.grace_deadline = None
                        welcome = self.conn.grace_expired()
                        if welcome is not None:
                            log.info("no events from the server: treating it as a plain relay")
                            self._on_event(welcome)
            except Stop:
                self._last_flush()
                raise

    # --- TLS first ---------------------------------------------------------------

    def _handshake(self, sel: selectors.BaseSelector, tls: ClientTls) -> None:
        """The TLS handshake and the pin check; nothing of ours is written before them."""
        client = self.client
        pin = client.pin
        wait = TLS_PROBE_TIMEOUT if pin is None else max(TLS_PROBE_TIMEOUT, client.connect_timeout)
        deadline = time.monotonic() + wait
        readable = False
        try:
            while not tls.handshake_step(readable):
                mask = selectors.EVENT_READ | (selectors.EVENT_WRITE if tls.waiting else 0)
                sel.modify(self.sock, mask)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    if pin is None:
                        raise NotTls(f"no TLS answer within {wait:g} s", answered=False)
                    raise Dropped(f"the encrypted handshake timed out after {wait:g} s")
                readable = False
                for key, mask in sel.select(remaining):
                    if key.fileobj is client._wake_r:
                        client._drain_wakeup()
                    elif mask & selectors.EVENT_READ:
                        readable = True
                    else:
                        tls.flush_quietly()
        except NotTls as exc:
            if pin is None:
                raise
            if exc.answered or client.version is None:
                raise PinRefused(None) from exc
            raise Dropped(str(exc)) from exc  # a reconnect cut short: try again
        except ssl.SSLError as exc:
            raise Dropped(f"the encrypted handshake failed ({exc.reason or exc})") from exc
        except OSError as exc:
            raise Dropped(describe(exc)) from exc
        sel.modify(self.sock, selectors.EVENT_READ)
        actual = tls.fingerprint
        if actual is None:  # TLS 1.3 without a certificate: not a room of ours
            raise Dropped("the room showed no certificate")
        if pin is not None and actual != pin:
            raise PinRefused(actual)
        if pin is None and client.ask_first_use:
            raise AskFirst(actual)
        log.debug("TLS with %s:%d, certificate %s", client.host, client.port, actual)

    # --- writing -----------------------------------------------------------------

    def _flush(self) -> bool:
        """Write what can be written now; return True if bytes are still waiting."""
        waiting = self._flush_plain()
        return waiting or (self.tls is not None and self.tls.waiting)

    def _flush_plain(self) -> bool:
        client = self.client
        send = self._send
        try:
            if self.tls is not None:
                self.tls.flush()
            self.control += self.conn.data_to_send()
            if client._typing and self.ready and not self.frame:  # between two requests
                client._typing = False
                self.control += self.conn.typing()
            while self.control:
                del self.control[: send(self.control)]
            # A room that spoke events before is not taken for a plain relay
            # just because it is slow to answer a reconnect.
            if self.grace_deadline is None and self.conn.waiting_for_grace and not client.version:
                self.grace_deadline = time.monotonic() + LEGACY_GRACE
            if not self.ready:
                return False
            self.pace_deadline = None
            while True:
                if self.spill:
                    del self.spill[: send(self.spill)]
                    continue
                if not self.frame:
                    # File control pairs first, then chat, then file data.
                    if self._file_pair(send_data=False):
                        continue
                    with client._lock:
                        request = client._outbox[0] if client._outbox else None
                    if request is None:
                        if self._file_pair(send_data=True):
                            continue
                        return False
                    try:
                        self.frame = self._encode(request)
                    except protocol.LocalProtocolError as exc:
                        self._refuse_locally(request, exc)
                        continue
                    if not self._paced(len(self.frame)):
                        self.frame = b""  # made again when its turn comes
                        return self._file_pair(send_data=True)  # data may go meanwhile
                    self.offset = 0
                self.offset += send(memoryview(self.frame)[self.offset :])
                if self.offset < len(self.frame):
                    continue  # the kernel took part; try again, it may say EAGAIN
                self.frame = b""
                with client._lock:
                    request = client._outbox.popleft()  # only this thread pops
                    if self.conn.version == 2:
                        assert request.cid is not None
                        client._unacked[request.cid] = request
                if self.conn.version != 2 and request.cid is not None:
                    client._post(ev.Sent(request.cid))
        except (BlockingIOError, InterruptedError):
            return True
        except OSError as exc:
            raise Dropped(self.closing_reason or describe(exc)) from exc

    def _encode(self, request: Queued) -> bytes:
        if isinstance(request, fe.FileOffer | fe.FileWithdrawn):
            return self.conn.send_file(request)
        return self.conn.send(request)

    def _file_pair(self, *, send_data: bool) -> bool:
        """Put the next file pair in ``spill`` (a control pair, else a chunk); False: none."""
        transfers = self.client.transfers
        if self.conn.files_max is None:
            return False
        if (control := transfers.take_control()) is not None:
            self.spill += self.conn.send_file(control)
            return True
        if send_data and (chunk := transfers.next_chunk(time.monotonic())) is not None:
            self.spill += filewire.data_head(chunk.stream, chunk.offset, len(chunk.data))
            self.spill += chunk.data
            return True
        return False

    def _paced(self, size: int) -> bool:
        """Take a request of ``size`` bytes from the pace, or set when it may go.

        Only in a protocol-2 room: older rooms and the tutorial's server have no
        rate limits to stay under.
        """
        if self.conn.version != 2:
            return True
        now = time.monotonic()
        requests, data = self.pace
        wait = max(requests.wait(1, now), data.wait(size, now))
        if wait > 0:
            self.pace_deadline = now + wait
            return False
        requests.take(1, now)
        data.take(size, now)
        return True

    def _refuse_locally(self, request: Queued, exc: protocol.LocalProtocolError) -> None:
        """A queued request this room cannot take (over its message limit): settle it."""
        client = self.client
        with client._lock:
            client._outbox.popleft()  # only this thread pops
        log.info("request %s not sent: %s", request.cid, exc)
        if request.cid is not None:
            limit = self.conn.message_limit
            reason = f"too long for this room, which takes at most {limit} bytes"
            if isinstance(request, fe.FileOffer | fe.FileWithdrawn):
                reason = "This room does not take files."
            client._post(ev.Rejected(request.cid, reason))

    def _last_flush(self) -> None:
        """On close(): push out what fits without blocking, then say goodbye.

        Our offers are withdrawn first: we are leaving, not away for a while.
        """
        if self.client._connected:
            if self.ready and self.conn.files_max is not None:
                unoffers = self.client.transfers.leaving()
                with self.client._lock:
                    self.client._outbox.extend(unoffers)
            try:
                self.sock.setblocking(False)
                self._flush()
                self.sock.shutdown(socket.SHUT_RDWR)
            except (Dropped, OSError):
                pass

    # --- reading -----------------------------------------------------------------

    def _receive(self) -> None:
        try:
            data = self.sock.recv(_RECV_SIZE) if self.tls is None else self.tls.recv()
        except (BlockingIOError, InterruptedError):
            return
        except ssl.SSLError as exc:
            raise Dropped(f"encrypted connection broken ({exc.reason or exc})") from exc
        except OSError as exc:
            raise Dropped(self.closing_reason or describe(exc)) from exc
        if data is None:
            return  # part of a TLS record
        if not data:
            raise Dropped(self.closing_reason or "connection closed by the server")
        try:
            self.conn.receive_data(data)
            while (event := self.conn.next_event()) is not None:
                self._on_event(event)
        except protocol.RemoteProtocolError as exc:
            log.warning("server broke the protocol: %s", exc)
            raise Dropped(f"protocol error: {exc}") from exc
        events = self.client.events
        if len(data) < _RECV_SIZE and isinstance(events, EventQueue) and events.behind:
            time.sleep(YIELD_WHEN_BEHIND)  # only when the socket had no more for us

    def _on_event(self, event: ev.Event) -> None:
        client = self.client
        conn = self.conn
        match event:
            case ev.Welcome():
                self._welcome(event)
                return
            case ev.Refused(reason=reason):
                raise Dropped(reason, refused=True)
            case ev.Typing() if not self.typing_pace.take(1, time.monotonic()):
                return
            case ev.AuthRequired():
                return
            case ev.Accepted(cid=cid) | ev.Rejected(cid=cid):
                self._answered(cid)
            case ev.Replay(events=replayed):
                for item in replayed:
                    if isinstance(item, ev.Accepted):
                        self._answered(item.cid)
                self._release_outbox()
            case ev.NickChange():
                client.name = conn.name
            case ev.RoomClosed():
                self.closing_reason = ev.ROOM_CLOSED
        client._resume = conn.resume_point
        if not client.transfers.handle(event, time.monotonic()):
            client._post(event)

    def _release_outbox(self) -> None:
        """Let the outbox go out; requests still unanswered go first, in order."""
        if self.ready:
            return
        self.ready = True
        client = self.client
        with client._lock:
            again = [client._unacked[cid] for cid in sorted(client._unacked)]
            client._unacked.clear()
            client._outbox.extendleft(reversed(again))
        if self.conn.files_max is not None:
            client.transfers.ready(time.monotonic())

    def _answered(self, cid: int) -> None:
        with self.client._lock:
            self.client._unacked.pop(cid, None)

    def _welcome(self, welcome: ev.Welcome) -> None:
        client = self.client
        conn = self.conn
        resumed = client._resume is not None and client._resume[0] == welcome.epoch
        self.welcomed = True
        client.name = conn.name
        client.version = welcome.version
        client.room_max = conn.room_max
        if welcome.version != 2:  # no replay pair is coming to wait for
            self._release_outbox()
        client._phase = "ready"
        client._connected = True
        tls = self.tls
        fingerprint = tls.fingerprint if tls is not None else None
        if client.pin is None and fingerprint is not None:
            client.pin = fingerprint  # reconnects require this certificate (client.py)
        client._post(
            ev.Connected(
                client.host,
                client.port,
                client.name,
                welcome.version,
                resumed,
                welcome.epoch,
                encrypted=tls is not None,
                fingerprint=fingerprint,
            )
        )
        if welcome.text:
            client._post(welcome)
        restarted = client._resume is not None and not resumed  # old file ids mean nothing
        client.transfers.welcomed(conn.files_max, restarted=restarted)
