"""The client's network thread: one socket in, events out on a ``queue.Queue``.

:class:`ChatClient` owns one background thread (``desktopchat-client``) and at
most one socket at a time. All protocol decisions are the
:class:`~desktopchat.protocol.client.ClientConnection`'s; this thread connects,
moves bytes, runs the timers (connect timeout, the plain-relay grace, the
reconnect backoff) and posts the session's events for the Tk thread. Nothing
here imports Tk. docs/ARCHITECTURE.md has the picture, docs/PROTOCOL.md the
rules ("Reconnecting", "Acknowledgements").

* The Tk thread only calls :meth:`ChatClient.send` and :meth:`ChatClient.close`:
  an append under a lock and one byte on a socketpair the thread's selector
  watches. Neither blocks (``close(timeout=0)`` does not even wait).
* Every request gets a client id (cid). In a protocol-2 room it stays in the
  outbox until the room answers ``Accepted``/``Rejected``; after a reconnect
  the unanswered ones are sent again, and the room recognises the resends.
  In older rooms a request counts as gone once its bytes are all written
  (``Sent``); one cut mid-frame is sent again whole.
* A reconnect asks for what was missed after the last room id seen.
* The first connection's failure is final (``Failed``); after a session was
  established, refusals are retried for :data:`REFUSED_RETRY_WINDOW` seconds
  (the room may still hold our old connection and name), drops for ever with
  backoff 0.5 s doubling to 10 s.
* After :meth:`close` the only event posted is the final ``Stopped``.
"""

from __future__ import annotations

import itertools
import logging
import queue
import secrets
import selectors
import socket
import threading
import time
from collections import deque
from dataclasses import replace

from desktopchat import protocol
from desktopchat.connect import connect_any, describe
from desktopchat.protocol import events as ev
from desktopchat.protocol.client import ClientConnection
from desktopchat.protocol.commands import Command, command_text, parse_command

__all__ = ["INITIAL_BACKOFF", "LEGACY_GRACE", "MAX_BACKOFF", "REFUSED_RETRY_WINDOW", "ChatClient"]

log = logging.getLogger(__name__)

#: First reconnect delay after a drop, in seconds.
INITIAL_BACKOFF = 0.5
#: The reconnect delay doubles after each failed attempt up to this many seconds.
MAX_BACKOFF = 10.0
#: Seconds of consecutive handshake refusals a client that was already in the
#: room keeps retrying before it gives up: long enough for the server's
#: keepalive to drop our own ghost connection.
REFUSED_RETRY_WINDOW = 120.0
#: Seconds of silence after the name frame after which a server is taken to be
#: one that sends no events (the tutorial's).
LEGACY_GRACE = 1.0
_RECV_SIZE = 64 * 1024  # bytes asked of recv() at once: a whole default-size frame


class _Stop(Exception):
    """close() was called: unwind the network thread at once."""


class _Fatal(Exception):
    """The first session was refused, or a refusal outlasted the retry window."""


class _Dropped(Exception):
    """The connection ended (str(exc) is the reason); ``refused`` if the room said no."""

    def __init__(self, reason: str, *, refused: bool = False) -> None:
        super().__init__(reason)
        self.refused = refused


class ChatClient:
    """One user's connection to a room, run by a background thread.

    Create it, call :meth:`start`, drain :attr:`events` on the Tk thread, call
    :meth:`send` to talk and :meth:`close` to leave. With ``reconnect=False``
    a drop posts ``Disconnected`` and the thread ends.
    """

    def __init__(
        self,
        host: str,
        port: int,
        name: str,
        password: str | None = None,
        *,
        events: queue.Queue[ev.Event] | None = None,
        connect_timeout: float = 5.0,
        reconnect: bool = True,
        max_message: int = protocol.DEFAULT_MAX_PAYLOAD,
    ) -> None:
        self.host = host
        self.port = port
        #: The current name: the validated one once the thread started, then
        #: whatever the room renamed us to. Reconnects use this name.
        self.name = name
        self.password = password
        self.events: queue.Queue[ev.Event] = queue.Queue() if events is None else events
        self.connect_timeout = connect_timeout
        self.reconnect = reconnect
        self.max_message = max_message
        #: Names this client to the room across reconnects (protocol 2).
        self.token = secrets.token_hex(16)
        #: Protocol of the current or last session (None before the first welcome).
        self.version: int | None = None

        self._lock = threading.Lock()
        self._cids = itertools.count(1)  # guarded by _lock
        self._outbox: deque[Command] = deque()  # guarded by _lock: not yet written
        # Written to a protocol-2 room, not answered yet (network thread only,
        # but read for ``pending``): sent again after a reconnect.
        self._unacked: dict[int, Command] = {}
        self._resume: tuple[str, int] | None = None
        self._stop = threading.Event()
        self._closed = False  # guarded by _lock; the wakeup sockets are closed
        self._thread: threading.Thread | None = None
        self._connected = False
        # What the thread is doing, for tests and logs: "idle", "connecting",
        # "handshake", "ready", "waiting", "done".
        self._phase = "idle"
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)

    # --- Tk-thread API ----------------------------------------------------

    @property
    def connected(self) -> bool:
        """True from ``Connected`` until the connection ends."""
        return self._connected

    @property
    def pending(self) -> int:
        """Requests not yet taken by the room (waiting, or sent and not answered)."""
        with self._lock:
            return len(self._outbox) + len(self._unacked)

    def start(self) -> None:
        """Start the network thread. Call once."""
        if self._thread is not None:
            raise RuntimeError("ChatClient.start() called twice")
        if self._stop.is_set():
            raise RuntimeError("ChatClient was closed")
        self._thread = threading.Thread(target=self._run, name="desktopchat-client", daemon=True)
        self._thread.start()

    def send(self, request: Command | str) -> int:
        """Queue one request for the room and return its cid; never blocks.

        A string is read with :func:`~desktopchat.protocol.commands.parse_command`
        (raising ``BadCommand`` for a bad command). Raises
        :class:`~desktopchat.protocol.LocalProtocolError` (nothing queued) if the
        text is over ``max_message`` bytes. Requests made before :meth:`start`
        or while disconnected wait in the outbox; after :meth:`close` they are
        dropped.
        """
        if isinstance(request, str):
            request = parse_command(request)
        size = len(command_text(request).encode("utf-8"))
        if size > self.max_message:
            raise protocol.LocalProtocolError(
                f"message of {size} bytes exceeds the limit of {self.max_message}"
            )
        with self._lock:
            cid = next(self._cids)
            if self._stop.is_set():
                log.warning("message sent after close() dropped")
                return cid
            self._outbox.append(replace(request, cid=cid))
        self._wake()
        return cid

    def close(self, timeout: float = 1.0) -> None:
        """Leave the room and end the thread; wait up to ``timeout`` s (0: return at once).

        Idempotent. The thread posts ``Stopped`` when it has ended.
        """
        self._stop.set()
        self._wake()
        thread = self._thread
        if thread is None:
            self._close_wakeup()
            return
        if timeout > 0 and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                log.warning("network thread did not end within %.1f s", timeout)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the network thread to end; True if it has (or never started)."""
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return thread is None or not thread.is_alive()
        thread.join(timeout)
        return not thread.is_alive()

    # --- helpers shared by both threads -------------------------------------

    def _wake(self) -> None:
        with self._lock:
            if self._closed:
                return
            try:
                self._wake_w.send(b"\0")
            except (BlockingIOError, InterruptedError):
                pass  # the pipe is full, so the thread is already being woken
            except OSError:
                log.debug("wakeup write failed", exc_info=True)

    def _close_wakeup(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._wake_r.close()
                self._wake_w.close()

    def _drain_wakeup(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        if self._stop.is_set():
            raise _Stop

    def _post(self, event: ev.Event) -> None:
        if not self._stop.is_set():  # close() promised silence but for Stopped
            self.events.put(event)

    def _unsent(self) -> tuple[int, ...]:
        with self._lock:
            cids = [*self._unacked, *(r.cid for r in self._outbox if r.cid is not None)]
        return tuple(sorted(cids))

    # --- the network thread ---------------------------------------------------

    def _run(self) -> None:
        try:
            self._main()
        except _Stop:
            pass
        except Exception as exc:  # a bug: say so rather than die silently
            log.exception("network thread crashed")
            self._post(ev.Failed(f"Internal error: {exc}", self._unsent()))
        finally:
            self._connected = False
            self._phase = "done"
            if self._stop.is_set():
                self.events.put(ev.Stopped(self._unsent()))
            self._close_wakeup()

    def _main(self) -> None:
        try:
            self.name = protocol.validate_name(self.name)
        except protocol.InvalidName as exc:
            self._post(ev.Failed(str(exc)))
            return
        delay = INITIAL_BACKOFF
        ever_connected = False
        established = False  # a session reached the welcome
        refused_since: float | None = None  # start of the current run of refusals
        where = f"{self.host}:{self.port}"
        while True:
            self._phase = "connecting"
            try:
                sock = self._connect()
            except OSError as exc:
                reason = describe(exc)
                log.info("connect to %s failed: %s", where, reason)
                if not ever_connected or not self.reconnect:
                    self._post(ev.Failed(f"Could not connect to {where}: {reason}", self._unsent()))
                    return
            else:
                ever_connected = True
                session = _Session(self, sock)
                try:
                    session.run()
                except _Dropped as exc:
                    if session.welcomed:
                        established = True
                        refused_since = None
                        delay = INITIAL_BACKOFF
                    if exc.refused:
                        now = time.monotonic()
                        refused_since = refused_since or now
                        if (
                            not established
                            or not self.reconnect
                            or now - refused_since >= REFUSED_RETRY_WINDOW
                        ):
                            self._post(ev.Failed(str(exc), self._unsent()))
                            return
                        log.info("%s refused the reconnect (will retry): %s", where, exc)
                    else:
                        log.info("connection to %s lost: %s", where, exc)
                    self._post(ev.Disconnected(str(exc)))
                finally:
                    self._connected = False
                    sock.close()
                if not self.reconnect:
                    return
            self._post(ev.Reconnecting(delay))
            self._phase = "waiting"
            self._sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF)

    def _sleep(self, seconds: float) -> None:
        """Wait ``seconds`` or until close(); sends during the wait just queue."""
        deadline = time.monotonic() + seconds
        with selectors.DefaultSelector() as sel:
            sel.register(self._wake_r, selectors.EVENT_READ)
            while (remaining := deadline - time.monotonic()) > 0:
                if sel.select(remaining):
                    self._drain_wakeup()

    def _connect(self) -> socket.socket:
        """Return a connected non-blocking socket, or raise OSError / _Stop."""
        infos = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
        self._drain_wakeup()  # the lookup may have taken a while
        return connect_any(infos, self.connect_timeout, self._wake_r, self._drain_wakeup)


class _Session:
    """One connection: the socket, its ClientConnection and what is half written.

    Lives on the network thread only. ``run`` returns never: it raises
    ``_Dropped`` or ``_Stop``.
    """

    def __init__(self, client: ChatClient, sock: socket.socket) -> None:
        self.client = client
        self.sock = sock
        self.conn = ClientConnection(
            client.name,
            client.password,
            token=client.token,
            resume=client._resume,
            max_message=client.max_message,
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

    def run(self) -> None:
        client = self.client
        client._phase = "handshake"
        with selectors.DefaultSelector() as sel:
            sel.register(client._wake_r, selectors.EVENT_READ)
            sel.register(self.sock, selectors.EVENT_READ)
            want_write = False
            try:
                while True:
                    pending_write = self._flush()
                    if pending_write != want_write:
                        mask = selectors.EVENT_READ | (
                            selectors.EVENT_WRITE if pending_write else 0
                        )
                        sel.modify(self.sock, mask)
                        want_write = pending_write
                    timeout = None
                    if self.grace_deadline is not None:
                        timeout = max(0.0, self.grace_deadline - time.monotonic())
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
            except _Stop:
                self._last_flush()
                raise

    # --- writing -----------------------------------------------------------------

    def _flush(self) -> bool:
        """Write what can be written now; return True if bytes are still waiting."""
        client = self.client
        try:
            self.control += self.conn.data_to_send()
            while self.control:
                del self.control[: self.sock.send(self.control)]
            # A room that spoke events before is not taken for a plain relay
            # just because it is slow to answer a reconnect.
            if self.grace_deadline is None and self.conn.waiting_for_grace and not client.version:
                self.grace_deadline = time.monotonic() + LEGACY_GRACE
            if not self.ready:
                return False
            while True:
                if not self.frame:
                    with client._lock:
                        if not client._outbox:
                            return False
                        request = client._outbox[0]
                    self.frame = self.conn.send(request)
                    self.offset = 0
                self.offset += self.sock.send(memoryview(self.frame)[self.offset :])
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
            raise _Dropped(self.closing_reason or describe(exc)) from exc

    def _last_flush(self) -> None:
        """On close(): push out what fits without blocking, then say goodbye."""
        if self.client._connected:
            try:
                self.sock.setblocking(False)
                self._flush()
                self.sock.shutdown(socket.SHUT_RDWR)
            except (_Dropped, OSError):
                pass

    # --- reading -----------------------------------------------------------------

    def _receive(self) -> None:
        try:
            data = self.sock.recv(_RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            raise _Dropped(self.closing_reason or describe(exc)) from exc
        if not data:
            raise _Dropped(self.closing_reason or "connection closed by the server")
        try:
            self.conn.receive_data(data)
            while (event := self.conn.next_event()) is not None:
                self._on_event(event)
        except protocol.RemoteProtocolError as exc:
            log.warning("server broke the protocol: %s", exc)
            raise _Dropped(f"protocol error: {exc}") from exc

    def _on_event(self, event: ev.Event) -> None:
        client = self.client
        conn = self.conn
        match event:
            case ev.Welcome():
                self._welcome(event)
                return
            case ev.Refused(reason=reason):
                raise _Dropped(reason, refused=True)
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
        if welcome.version != 2:  # no replay pair is coming to wait for
            self._release_outbox()
        client._phase = "ready"
        client._connected = True
        client._post(
            ev.Connected(
                client.host, client.port, client.name, welcome.version, resumed, welcome.epoch
            )
        )
        if welcome.text:
            client._post(welcome)
