"""The client's network thread: one socket in, events out on a ``queue.Queue``.

:class:`ChatClient` owns one background thread (``desktopchat-client``) and,
at any moment, at most one socket. The thread connects, sends the user name,
answers ``*auth`` with the password, decodes the server's (sender, text) pairs
with :class:`~desktopchat.protocol.PairDecoder` and posts the frozen dataclasses
of :mod:`desktopchat.events` on :attr:`ChatClient.events`. The Tk thread drains
that queue; nothing here imports Tk or touches a widget.

Threads and invariants
======================

* Only the network thread touches the socket. The Tk thread calls
  :meth:`ChatClient.send` and :meth:`ChatClient.close`, which only append to the
  outbox under a lock, set a flag and write one byte to a socketpair that the
  network thread watches in the same selector as its socket. Neither blocks:
  no polling interval anywhere.
* Every wait of the network thread (connect, read, write, backoff sleep) is a
  selector wait that includes the wakeup socket, so :meth:`close` ends the
  thread within a second even in the middle of a TCP connect to a host that
  never answers. (Resolving a host *name* with ``getaddrinfo`` cannot be
  interrupted; the thread is a daemon so a stuck lookup never blocks exit.)
* :meth:`close` posts ``Disconnected("closed")`` if a connection was open
  (after giving the outbox one last non-blocking write); once it returns,
  nothing more is ever posted, even by a thread that outlived the timeout.

Session
=======

1. Validate the name with :func:`~desktopchat.protocol.validate_name`; a bad
   name posts ``Failed`` at once (no network traffic).
2. Non-blocking connect with ``connect_timeout``. If the very first attempt
   fails (refused, timed out, unknown host) the client posts
   ``Failed("Could not connect to HOST:PORT: REASON")`` and stops, so the login
   dialog can come back. Once a connection has been made, later failures retry.
3. Send the name frame, then post ``Connected``. On a reconnect to a server
   that welcomed us before, ``Connected`` waits for the next ``*welcome``
   instead, so an attempt the room refuses (see 4) never shows as connected.
4. ``*auth`` -> send the password frame (no password given -> ``Failed``).
   An ``*error`` that arrives *before* ``*welcome`` is fatal (name taken, bad
   name, wrong password): ``Failed(reason)``, no reconnect -- on the *first*
   session. After the welcome an ``*error`` is an ordinary ``ServerError``.
   Once a session has been established (welcome seen, or for a server without
   events: ready), a handshake ``*error`` on a later reconnect is retried with
   the normal backoff (posting ``Disconnected(reason)`` and ``Reconnecting``)
   for up to :data:`REFUSED_RETRY_WINDOW` seconds of consecutive refusals, and
   only then becomes ``Failed(reason)``. Reason: after a network blip that the
   client noticed first, the server still holds the old connection -- and with
   it our name -- until it notices the drop too (its TCP keepalive takes about
   a minute), so "name already taken" is expected for a while. Name and
   password cannot change between reconnects, so a refusal that persists is
   still reported, just not at the first blink.
5. ``*history`` "N" (after the welcome) -> the next N chat and ``/me`` pairs
   are the room's replayed history; they are posted together as one
   ``History`` event (a pair of another kind ends the replay early), so the
   GUI can skip what it already showed before a reconnect.
6. Any unexpected end (EOF, reset, the server's "room closed", a protocol
   error from the peer) posts ``Disconnected(reason)``, then
   ``Reconnecting(delay)`` and tries again after the delay: 0.5 s doubling to
   10 s, back to 0.5 s after a session that reached the welcome.

Servers without events
======================

The tutorial's own server never sends ``*welcome`` (nor any event). The client
never *waits* for a welcome to show anything: ``Connected`` is posted as soon
as the name is out (unless this server welcomed us before) and chat pairs are
shown as they come. Only the *outbox* is
held back until the handshake is over, because a chat line sent right behind
the name would be taken for the password by a room that asks for one. The
handshake counts as over at ``*welcome``, at the first ordinary chat pair, or
when the server has said nothing at all for :data:`LEGACY_GRACE` seconds after
the name: then it is a server that speaks no events (a desktopchat room answers
a name within milliseconds, and once it has sent any event the client waits
for the welcome however long it takes). A password given for a server that
never asks for one is simply not sent.

Outbox and exactly-once
=======================

``send(text)`` encodes the frame at once on the caller's thread (an oversize
text raises :class:`~desktopchat.protocol.LocalProtocolError` there, so the
GUI can keep the user's text and say why) and appends it to the outbox. The
network thread writes outbox frames in order, one at a time, and removes a
frame only once *all* its bytes were accepted by the kernel.

* A frame handed to the kernel completely is considered delivered and is never
  sent again: after a drop we cannot know whether the server read it, and a
  chat line shown twice is worse than the (rare) loss of one typed in the very
  instant the connection died.
* A frame written only *partly* when the connection dropped is sent again,
  whole, on the next connection: the server's decoder only ever delivers whole
  frames, so a truncated frame was certainly not delivered.
* Frames still waiting when the connection drops stay in the outbox and go out,
  once each and in order, after the reconnect's handshake.
* ``close()`` gives waiting frames one last non-blocking chance to go out on a
  live connection; what does not fit is dropped with the client.
"""

from __future__ import annotations

import errno
import logging
import os
import queue
import selectors
import socket
import threading
import time
from collections import deque
from typing import NoReturn

from desktopchat import events as ev
from desktopchat import protocol, sockopts

__all__ = ["INITIAL_BACKOFF", "LEGACY_GRACE", "MAX_BACKOFF", "REFUSED_RETRY_WINDOW", "ChatClient"]

log = logging.getLogger(__name__)

#: First reconnect delay after a drop, in seconds.
INITIAL_BACKOFF = 0.5
#: The reconnect delay doubles after each failed attempt up to this many seconds.
MAX_BACKOFF = 10.0
#: Seconds of consecutive handshake refusals (``*error`` before the welcome) a
#: client that was already in the room keeps retrying before it gives up: long
#: enough for the server's keepalive to drop our own ghost connection.
REFUSED_RETRY_WINDOW = 120.0
#: Seconds of silence after the name frame after which a server is taken to be
#: one that sends no events (the tutorial's), and the outbox is released.
LEGACY_GRACE = 1.0
#: Bytes asked of recv() at once: a whole default-size frame in one call.
_RECV_SIZE = 64 * 1024

# connect_ex() results that mean "in progress" on Linux, macOS and Windows.
_CONNECT_PENDING = frozenset(
    {0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN, errno.EALREADY, 10035}
)


class _Stop(Exception):
    """close() was called: unwind the network thread at once."""


class _Fatal(Exception):
    """The server refused us for good (str(exc) is the reason for the user)."""


class _Refused(_Fatal):
    """The server answered the handshake with ``*error`` (name taken, wrong password...)."""


class _Dropped(Exception):
    """The connection ended unexpectedly (str(exc) is the reason)."""


def _describe(exc: BaseException) -> str:
    """Return a short, lower-case reason for a socket error."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, socket.gaierror):
        return f"host not found ({exc.strerror or exc})"
    if isinstance(exc, ConnectionResetError):
        return "connection reset by the server"
    if isinstance(exc, BrokenPipeError):
        return "connection closed by the server"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__


class ChatClient:
    """One user's connection to a room, run by a background thread.

    Create it, call :meth:`start`, drain :attr:`events` on the Tk thread,
    call :meth:`send` to talk and :meth:`close` to leave. With
    ``reconnect=False`` a drop posts ``Disconnected`` and the thread ends.
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
        #: whatever ``*nick`` renamed us to. Reconnects use this name.
        self.name = name
        self.password = password
        self.events: queue.Queue[ev.Event] = queue.Queue() if events is None else events
        self.connect_timeout = connect_timeout
        self.reconnect = reconnect
        self.max_message = max_message

        self._lock = threading.Lock()
        self._outbox: deque[bytes] = deque()  # guarded by _lock
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
        """Number of messages in the outbox (typed but not yet written)."""
        with self._lock:
            return len(self._outbox)

    def start(self) -> None:
        """Start the network thread. Call once."""
        if self._thread is not None:
            raise RuntimeError("ChatClient.start() called twice")
        if self._stop.is_set():
            raise RuntimeError("ChatClient was closed")
        self._thread = threading.Thread(target=self._run, name="desktopchat-client", daemon=True)
        self._thread.start()

    def send(self, text: str) -> None:
        """Queue one message for the room; never blocks.

        Raises :class:`~desktopchat.protocol.LocalProtocolError` (on the
        caller's thread, nothing queued) if ``text`` encodes to more than
        ``max_message`` bytes. Messages sent before :meth:`start` or while
        disconnected wait in the outbox. After :meth:`close` they are dropped.
        """
        frame = protocol.encode_frame(text, self.max_message)
        with self._lock:
            if self._stop.is_set():
                log.warning("message sent after close() dropped")
                return
            self._outbox.append(frame)
        self._wake()

    def close(self, timeout: float = 1.0) -> None:
        """Leave the room and end the thread (within ``timeout`` seconds). Idempotent."""
        self._stop.set()
        self._wake()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                log.warning("network thread did not end within %.1f s", timeout)
                return  # the thread closes the wakeup sockets itself on exit
        if thread is None or not thread.is_alive():
            self._close_wakeup()

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
        if self._stop.is_set():
            return  # close() promised silence
        self.events.put(event)

    # --- the network thread ---------------------------------------------------

    def _run(self) -> None:
        try:
            self._main()
        except _Stop:
            pass
        except Exception as exc:  # a bug: say so rather than die silently
            log.exception("network thread crashed")
            self._post(ev.Failed(f"Internal error: {exc}"))
        finally:
            self._connected = False
            self._phase = "done"
            if self._stop.is_set():
                self._close_wakeup()

    def _main(self) -> None:
        try:
            self.name = protocol.validate_name(self.name)
        except protocol.InvalidName as exc:
            self._post(ev.Failed(str(exc)))
            return
        delay = INITIAL_BACKOFF
        ever_connected = False
        established = False  # a session reached the welcome (or "ready" without events)
        refused_since: float | None = None  # start of the current run of refusals
        # The server sent a welcome before: on reconnects, Connected waits for the
        # next welcome, so a refused attempt does not flash "connected".
        speaks_events = False
        where = f"{self.host}:{self.port}"
        while True:
            self._phase = "connecting"
            try:
                sock = self._connect()
            except OSError as exc:
                reason = _describe(exc)
                log.info("connect to %s failed: %s", where, reason)
                if not ever_connected or not self.reconnect:
                    self._post(ev.Failed(f"Could not connect to {where}: {reason}"))
                    return
            else:
                ever_connected = True
                reached_welcome = False
                session = _Session(self, sock, announce_on_welcome=speaks_events)
                try:
                    session.run()
                except _Refused as exc:
                    now = time.monotonic()
                    if refused_since is None:
                        refused_since = now
                    if (
                        not established
                        or not self.reconnect
                        or now - refused_since >= REFUSED_RETRY_WINDOW
                    ):
                        self._post(ev.Failed(str(exc)))
                        return
                    log.info("%s refused the reconnect (will retry): %s", where, exc)
                    self._post(ev.Disconnected(str(exc)))
                except _Fatal as exc:
                    self._post(ev.Failed(str(exc)))
                    return
                except _Dropped as exc:
                    reached_welcome = self._phase == "ready"
                    speaks_events = speaks_events or session.welcomed
                    if reached_welcome:
                        established = True
                        refused_since = None
                    log.info("connection to %s lost: %s", where, exc)
                    self._post(ev.Disconnected(str(exc)))
                finally:
                    self._connected = False
                    sock.close()
                if not self.reconnect:
                    return
                if reached_welcome:
                    delay = INITIAL_BACKOFF
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
        deadline = time.monotonic() + self.connect_timeout
        last: OSError = ConnectionRefusedError()
        for family, kind, proto, _, addr in infos:
            sock = socket.socket(family, kind, proto)
            try:
                sock.setblocking(False)
                code = sock.connect_ex(addr)
                if code not in _CONNECT_PENDING:
                    raise OSError(code, os.strerror(code))
                if code != 0:
                    self._await_connect(sock, deadline)
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if code:
                    raise OSError(code, os.strerror(code))
            except OSError as exc:
                sock.close()
                last = ConnectionRefusedError() if exc.errno == errno.ECONNREFUSED else exc
                continue
            except BaseException:
                sock.close()
                raise
            sockopts.tune(sock)
            return sock
        raise last

    def _await_connect(self, sock: socket.socket, deadline: float) -> None:
        with selectors.DefaultSelector() as sel:
            sel.register(sock, selectors.EVENT_WRITE)
            sel.register(self._wake_r, selectors.EVENT_READ)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("timed out")
                for key, _ in sel.select(remaining):
                    if key.fileobj is self._wake_r:
                        self._drain_wakeup()
                    else:
                        return


class _Session:
    """State of one connection; lives on the network thread only."""

    def __init__(
        self, client: ChatClient, sock: socket.socket, *, announce_on_welcome: bool = False
    ) -> None:
        self.client = client
        # Post Connected at the welcome rather than once the name is written.
        self.announce_on_welcome = announce_on_welcome
        self.sock = sock
        self.decoder = protocol.PairDecoder(client.max_message)
        # Handshake bytes (name, password); always written before any outbox frame.
        self.control = bytearray(protocol.encode_frame(client.name, client.max_message))
        # Bytes of outbox[0] already written on *this* connection; per session,
        # so a frame cut by a drop is resent whole on the next connection.
        self.offset = 0
        self.name_sent = False  # the name frame is fully written
        self.announced = False  # Connected posted
        self.welcomed = False
        self.heard_event = False  # the server spoke our protocol before the welcome
        self.grace_deadline: float | None = None
        self.closing_reason: str | None = None
        # During a history replay: pairs still expected, and those collected.
        self.history_left = 0
        self.history: list[ev.ChatMessage | ev.Action] = []

    def run(self) -> NoReturn:
        """Run the connection until it ends: raises _Dropped, _Fatal or _Stop."""
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
                        log.info("no events from the server: treating it as a plain relay")
                        self._ready()
            except _Stop:
                self._last_flush()
                raise

    # --- writing -----------------------------------------------------------------

    def _flush(self) -> bool:
        """Write what can be written now; return True if bytes are still waiting."""
        client = self.client
        try:
            while self.control:
                sent = self.sock.send(self.control)
                del self.control[:sent]
            if not self.name_sent:
                self.name_sent = True
                self.grace_deadline = time.monotonic() + LEGACY_GRACE
                if not self.announce_on_welcome:
                    self._announce()
            if client._phase != "ready":
                return False
            while True:
                with client._lock:
                    if not client._outbox:
                        return False
                    frame = client._outbox[0]
                sent = self.sock.send(memoryview(frame)[self.offset :])
                self.offset += sent
                if self.offset < len(frame):
                    continue  # the kernel took part; try again, it may say EAGAIN
                with client._lock:
                    client._outbox.popleft()  # only the network thread pops
                self.offset = 0
        except (BlockingIOError, InterruptedError):
            return True
        except OSError as exc:
            # A partly written frame stays at the head of the outbox; the next
            # connection's _Session starts it again from byte 0 (the server cannot
            # have delivered a truncated frame).
            raise _Dropped(self.closing_reason or _describe(exc)) from exc

    def _last_flush(self) -> None:
        """On close(): push out what fits without blocking, then say goodbye."""
        client = self.client
        if client._connected:
            try:
                if client._phase == "ready":
                    self.sock.setblocking(False)
                    self._flush()
                self.sock.shutdown(socket.SHUT_RDWR)
            except (_Dropped, OSError):
                pass
            client.events.put(ev.Disconnected("closed"))

    # --- reading -----------------------------------------------------------------

    def _receive(self) -> None:
        try:
            data = self.sock.recv(_RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            raise _Dropped(self.closing_reason or _describe(exc)) from exc
        if not data:
            raise _Dropped(self.closing_reason or "connection closed by the server")
        try:
            self.decoder.receive_data(data)
            for sender, text in self.decoder:
                self._dispatch(sender, text)
        except protocol.RemoteProtocolError as exc:
            log.warning("server broke the protocol: %s", exc)
            raise _Dropped(f"protocol error: {exc}") from exc

    def _announce(self) -> None:
        """Post Connected once per connection."""
        if not self.announced:
            self.announced = True
            client = self.client
            client._connected = True
            client._post(ev.Connected(client.host, client.port, client.name))

    def _ready(self) -> None:
        self._announce()  # a server without events never welcomes
        self.client._phase = "ready"
        self.grace_deadline = None

    def _end_history(self) -> None:
        self.history_left = 0
        if self.history:
            self.client._post(ev.History(tuple(self.history)))
            self.history = []

    def _dispatch(self, sender: str, text: str) -> None:
        if self.history_left:
            if sender == ev.ACTION:
                who, _, what = text.partition(" ")
                self.history.append(ev.Action(who, what))
            elif not sender.startswith((ev.EVENT_PREFIX, ev.PRIVATE_PREFIX)):
                self.history.append(ev.ChatMessage(sender, text))
            else:  # not a history pair: the replay is over, whatever the count said
                self._end_history()
                self._dispatch(sender, text)
                return
            self.history_left -= 1
            if not self.history_left:
                self._end_history()
            return
        client = self.client
        post = client._post
        if sender.startswith(ev.PRIVATE_PREFIX):
            post(ev.PrivateMessage(sender[len(ev.PRIVATE_PREFIX) :], text))
            return
        if not sender.startswith(ev.EVENT_PREFIX):
            if not self.welcomed and not self.heard_event:
                self._ready()  # chat before any event: a server without events
            post(ev.ChatMessage(sender, text))
            return
        if not self.welcomed:
            self.heard_event = True
            self.grace_deadline = None  # it speaks events: wait for the welcome
        if sender == ev.WELCOME:
            if not self.welcomed:
                self._announce()
                self.welcomed = True
                self._ready()
            post(ev.Welcome(text))
        elif sender == ev.AUTH and not self.welcomed:
            if client.password is None:
                raise _Fatal("This room needs a password")
            try:
                self.control += protocol.encode_frame(client.password, client.max_message)
            except protocol.LocalProtocolError:
                raise _Fatal("The password is too long") from None
        elif sender == ev.ERROR:
            if not self.welcomed:
                raise _Refused(text or "The room refused the connection")
            post(ev.ServerError(text))
        elif sender == ev.HISTORY and text.isdigit() and text.isascii():
            self.history_left = int(text)
        elif sender == ev.USERS:
            post(ev.UserList(tuple(n for n in text.split(" ") if n)))
        elif sender == ev.JOIN:
            post(ev.Joined(text))
        elif sender == ev.LEAVE:
            post(ev.Left(text))
        elif sender == ev.NICK:
            old, _, new = text.partition(" ")
            if new and protocol.name_key(old) == protocol.name_key(client.name):
                client.name = new
            post(ev.NickChanged(old, new))
        elif sender == ev.ACTION:
            who, _, what = text.partition(" ")
            post(ev.Action(who, what))
        elif sender == ev.INFO:
            if text == ev.ROOM_CLOSED:
                self.closing_reason = ev.ROOM_CLOSED
            post(ev.Info(text))
        else:  # an event this version does not know: show it rather than lose it
            post(ev.Info(f"{sender[len(ev.EVENT_PREFIX) :]}: {text}"))
