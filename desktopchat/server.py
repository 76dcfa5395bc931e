"""The room server: one thread, one selector, non-blocking sockets.

:class:`RoomServer` accepts connections, runs each through the handshake
(name, then password if the room has one) and hands joined members to a
:class:`~desktopchat.room.Room`, which decides what everyone receives. It runs
headless (``python -m desktopchat --serve``) or on a background thread inside
the GUI (:meth:`RoomServer.start` / :meth:`RoomServer.stop`).

Invariants:

* Nothing blocks: accept, recv and send are non-blocking; a loop pass does a
  bounded amount of work per client (one ``recv`` of at most
  :data:`RECV_SIZE` bytes and at most :data:`FRAMES_PER_PASS` frames), so one
  flooding client cannot starve the others.
* A connection is registered for writing only while its out-buffer is
  non-empty. Output produced during a pass is flushed once at the end of the
  pass with one ``send`` per client: a pair is split across sends only when
  the kernel's buffer for that client is full, and many deliveries share one
  system call. Each pair is encoded once, whatever the number of recipients.
* A client whose out-buffer still holds more than the out-buffer limit after a
  flush is too slow: it is dropped (logged) rather than buffered without bound.
  The limit (:data:`OUTBUF_LIMIT`, at least) is far above a join's burst
  (welcome, a ``*users`` list of at most 64 KiB and at most
  :data:`~desktopchat.room.HISTORY_MAX_BYTES` of history replay).
* A connection that has not finished the handshake within
  ``handshake_timeout`` seconds is closed. Deadlines live in a heap; the
  select timeout is computed from the nearest one, so there is no polling.
* Bad input (bad header, oversize frame, invalid UTF-8, abrupt reset) ends
  that connection only; where the socket still works it gets an ``*error``
  pair first, then a lingering close (we stop sending, discard what it still
  sends for up to :data:`LINGER_TIMEOUT` s) so the error is not lost to a reset.
* :meth:`RoomServer.stop` works from any thread via a socketpair wakeup; every
  client gets ``*info`` "room closed" and is closed.
* Out of file descriptors, newcomers are accepted on a spare descriptor, told
  the room is full and closed, instead of the listener spinning the loop.
* Accepted sockets have Nagle off and TCP keepalive on (:mod:`~desktopchat.sockopts`),
  so a member whose peer vanished without a FIN is dropped in about
  a minute; until then it still holds its name.
* After heavy output (a join storm: every join goes to every member) the loop,
  once idle, hands the C heap's free memory back to the OS (glibc only), so an
  idle room costs about 1.2 KB per member rather than its peak.

All room semantics (names, commands, history, who receives what) live in
``room.py``; this module only moves bytes and runs the handshake.
"""

from __future__ import annotations

import contextlib
import errno
import heapq
import itertools
import logging
import os
import selectors
import socket
import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType

from desktopchat import events, protocol, sockopts
from desktopchat.protocol import RemoteProtocolError, decode_text, encode_pair
from desktopchat.room import (
    HISTORY_MAX_BYTES,
    MAX_SERVER_TEXT,
    Member,
    PasswordGate,
    Rejected,
    Room,
)

__all__ = [
    "FRAMES_PER_PASS",
    "HANDSHAKE_MAX_PAYLOAD",
    "LINGER_TIMEOUT",
    "OUTBUF_LIMIT",
    "RECV_SIZE",
    "RoomServer",
]

log = logging.getLogger(__name__)

#: Most bytes read from one client per loop pass: big enough for a whole
#: maximum-size message in one call, small enough that one flooding client
#: cannot hog a pass.
RECV_SIZE = 64 * 1024

#: Most frames handled for one client per loop pass; the rest wait in its
#: decoder (and we stop reading from it) until the next pass: fairness.
FRAMES_PER_PASS = 64

#: Out-buffer limit (bytes still unsent after a flush) before a client counts
#: as too slow and is dropped. 4 MiB holds a newcomer's whole join burst (the
#: 1 MiB history replay cap plus a 64 KiB ``*users`` list) with room for ~20
#: maximum-size messages on top, so only a client that really stopped reading
#: trips it, and it bounds what one such client can cost. With a larger
#: ``max_message`` the limit grows to the history cap plus 16 maximum-size pairs.
OUTBUF_LIMIT = 4 * 1024 * 1024

#: Largest frame accepted before the handshake is done: names are at most 32
#: characters (128 bytes of UTF-8) and passwords are short; no stranger gets to
#: make us buffer 64 KiB.
HANDSHAKE_MAX_PAYLOAD = 1024

#: Seconds a connection that got a fatal ``*error`` may take to close its end
#: while we discard its input (so our error pair is not destroyed by a reset).
LINGER_TIMEOUT = 2.0

#: Seconds :meth:`RoomServer.stop` lets clients take the "room closed" pair.
SHUTDOWN_GRACE = 0.5

#: Bytes sent after which the loop, when it next goes idle, hands the C heap's
#: free memory back to the OS. A join storm (every join goes to every member)
#: churns through hundreds of MB of short-lived buffers; glibc would otherwise
#: keep that peak as RSS (about 13 KB per idle client at 10,000 clients
#: instead of 1.4 KB).
TRIM_AFTER_BYTES = 64 * 1024 * 1024

#: Connections accepted per readiness event before serving others again.
ACCEPT_BATCH = 1024

# Connection states, in order: a state >= _CLOSING is leaving.
_NAME, _PASSWORD, _CHAT, _CLOSING, _CLOSED = range(5)

_ROOM_CLOSED_PAIR = encode_pair(events.INFO, events.ROOM_CLOSED)
_AUTH_PAIR = encode_pair(events.AUTH, "password required")
_FULL_PAIR = encode_pair(events.ERROR, "The room is full: the server cannot take more connections.")

# Selector key data for the two non-client sockets.
_LISTENER = "listener"
_WAKEUP = "wakeup"


class Connection(Member):
    """One client socket: its decoder, out-buffer (``Member.out``) and state."""

    __slots__ = ("deadline", "decoder", "peer", "sock", "state", "writing")

    def __init__(self, sock: socket.socket, peer: tuple[str, int], max_payload: int) -> None:
        super().__init__()
        self.sock = sock
        self.peer = peer
        self.decoder = protocol.FrameDecoder(max_payload)
        self.state = _NAME
        # Monotonic time by which the handshake (or a lingering close) must end.
        self.deadline: float | None = None
        # True while registered for EVENT_WRITE as well as EVENT_READ.
        self.writing = False

    def label(self) -> str:
        """Name and address for log lines."""
        who = f"{self.peer[0]}:{self.peer[1]}"
        return f"{self.name} ({who})" if self.state == _CHAT and self.name else who


class RoomServer:
    """A chat room on a TCP port. See the module docstring for the rules it keeps.

    The constructor binds and listens, so a busy port raises :class:`OSError`
    (``errno.EADDRINUSE``) right here; :attr:`address` is the bound address.
    """

    def __init__(
        self,
        host: str = "0.0.0.0",
        port: int = 1234,
        *,
        password: str | None = None,
        history: int = 100,
        max_message: int = protocol.DEFAULT_MAX_PAYLOAD,
        handshake_timeout: float = 10.0,
    ) -> None:
        if max_message < 1:
            raise ValueError("max_message must be at least 1 byte")
        if handshake_timeout <= 0:
            raise ValueError("handshake_timeout must be positive")
        self._room = Room(history)
        self._gate = PasswordGate(password)
        self._max_message = max_message
        self._handshake_timeout = handshake_timeout
        pair_max = 2 * (protocol.HEADER_LENGTH + max(max_message, MAX_SERVER_TEXT))
        self._outbuf_limit = max(OUTBUF_LIMIT, HISTORY_MAX_BYTES + 16 * pair_max)

        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if sys.platform != "win32":
                # Lets a restarted server rebind at once; on Windows this flag
                # would let two servers share the port, so it stays off there.
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((host, port))
            listener.listen(socket.SOMAXCONN)
            listener.setblocking(False)
        except BaseException:
            listener.close()
            raise
        self._listener = listener
        bound = listener.getsockname()
        self.address: tuple[str, int] = (str(bound[0]), int(bound[1]))

        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(listener, selectors.EVENT_READ, _LISTENER)
        self._selector.register(self._wake_r, selectors.EVENT_READ, _WAKEUP)

        self._conns: set[Connection] = set()
        self._touched = self._room.fanout.touched  # typed as Member; all are Connections
        self._backlog: set[Connection] = set()
        self._deadlines: list[tuple[float, int, Connection]] = []
        self._seq = itertools.count()
        self._sent_since_trim = 0
        # A descriptor held in reserve for refusing connections when we run out.
        self._spare_fd: int | None = _open_spare()
        self._next_full_warning = 0.0

        # Re-entrant: stop() may run in a signal handler on the serving thread.
        self._lock = threading.RLock()
        self._stop_requested = False
        self._serving = False
        self._finished = False
        self._loop_thread: int | None = None
        self._thread: threading.Thread | None = None

    # --- public API -------------------------------------------------------------------

    def start(self) -> None:
        """Serve on a background thread named ``desktopchat-server``."""
        with self._lock:
            if self._thread is not None or self._serving or self._finished:
                raise RuntimeError("server already started")
            self._thread = threading.Thread(
                target=self.serve_forever, name="desktopchat-server", daemon=True
            )
        self._thread.start()

    def serve_forever(self) -> None:
        """Serve in the calling thread until :meth:`stop`."""
        with self._lock:
            if self._serving or self._finished:
                raise RuntimeError("server already serving or stopped")
            self._serving = True
            self._loop_thread = threading.get_ident()
        log.debug("serving on %s:%d", *self.address)
        try:
            self._loop()
            self._shutdown()
        finally:
            self._release()

    def stop(self, timeout: float = 1.0) -> None:
        """Close the room: every client gets ``*info`` "room closed", then close.

        Callable from any thread (and from a signal handler on the serving
        thread, where it only requests the stop). Joins the background thread
        for up to ``timeout`` seconds. Calling it again does nothing more.
        """
        with self._lock:
            self._stop_requested = True
            serving = self._serving
            thread = self._thread
        if serving or thread is not None:
            # OSError: already closed, or the pipe is full so a wakeup is pending anyway.
            with contextlib.suppress(OSError):
                self._wake_w.send(b"x")
        else:
            self._release()
        if (
            thread is not None
            and thread.ident != threading.get_ident()
            and self._loop_thread != threading.get_ident()
        ):
            thread.join(timeout)

    def __enter__(self) -> RoomServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- the loop ------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop_requested:
            self._pass()

    def _pass(self) -> None:
        """One loop pass: wait for readiness, do bounded work, flush output once."""
        select = self._selector.select
        timeout = self._timeout()
        if self._sent_since_trim >= TRIM_AFTER_BYTES and timeout != 0.0:
            ready = select(0.0)
            if not ready:  # about to go idle after heavy output
                self._sent_since_trim = 0
                _release_free_memory()
                ready = select(timeout)
        else:
            ready = select(timeout)
        # Frames left over from earlier passes; a client that fills its budget
        # during this pass joins the backlog for the next one, not this one.
        backlog = list(self._backlog)
        for key, mask in ready:
            data = key.data
            if data is _LISTENER:
                self._accept()
            elif data is _WAKEUP:
                self._drain_wakeup()
            else:
                conn: Connection = data
                if mask & selectors.EVENT_WRITE:
                    self._touched.add(conn)
                if mask & selectors.EVENT_READ and conn.state != _CLOSED:
                    self._on_readable(conn)
        for conn in backlog:
            if conn.state < _CLOSING:
                self._process(conn)
        if self._deadlines:
            self._expire()
        self._flush_touched()

    def _timeout(self) -> float | None:
        if self._backlog or self._stop_requested:
            return 0.0
        if self._deadlines:
            return max(0.0, self._deadlines[0][0] - time.monotonic())
        return None

    def _drain_wakeup(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    def _accept(self) -> None:
        for _ in range(ACCEPT_BATCH):
            try:
                sock, peer = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE):
                    self._refuse_one()
                    continue
                log.error("cannot accept a connection: %s", exc)
                return
            sock.setblocking(False)
            # OSError: the peer is already gone; the first recv will tell.
            with contextlib.suppress(OSError):
                sockopts.tune(sock)
            conn = Connection(sock, (str(peer[0]), int(peer[1])), HANDSHAKE_MAX_PAYLOAD)
            self._conns.add(conn)
            self._selector.register(sock, selectors.EVENT_READ, conn)
            self._set_deadline(conn, self._handshake_timeout)
            log.debug("connection from %s", conn.label())

    def _refuse_one(self) -> None:
        """Out of file descriptors: turn one pending connection away.

        Left in the listen queue it would keep the listener readable and the
        loop spinning. The spare descriptor is given up for a moment so the
        connection can be accepted, told the room is full, and closed.
        """
        now = time.monotonic()
        if now >= self._next_full_warning:
            self._next_full_warning = now + 10.0
            log.warning("out of file descriptors: turning new connections away")
        if self._spare_fd is None:
            raise OSError(errno.EMFILE, "no spare descriptor left")
        os.close(self._spare_fd)
        self._spare_fd = None
        try:
            sock, _ = self._listener.accept()
        except OSError:
            pass
        else:
            with contextlib.suppress(OSError):
                sock.send(_FULL_PAIR)
            sock.close()
        finally:
            self._spare_fd = _open_spare()

    def _on_readable(self, conn: Connection) -> None:
        if conn in self._backlog:
            return  # its earlier frames come first: no more reading until they are done
        try:
            data = conn.sock.recv(RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            log.info("%s: connection lost (%s)", conn.label(), exc)
            self._close(conn)
            return
        if conn.state == _CLOSING:
            if not data:
                self._close(conn)
            return  # lingering: what it still sends is discarded
        if not data:
            if conn.decoder.in_frame:
                log.info("%s: closed in the middle of a frame", conn.label())
            else:
                log.debug("%s: closed the connection", conn.label())
            self._close(conn)
            return
        conn.decoder.receive_data(data)
        self._process(conn)

    def _process(self, conn: Connection) -> None:
        """Handle up to FRAMES_PER_PASS buffered frames; keep conn in the backlog if more wait."""
        decoder = conn.decoder
        room = self._room
        try:
            for _ in range(FRAMES_PER_PASS):
                frame = decoder.next_frame()
                if frame is None:
                    self._backlog.discard(conn)
                    return
                if conn.state == _CHAT:
                    room.handle(conn, frame)
                else:
                    self._handshake(conn, frame)
                    if conn.state >= _CLOSING:
                        self._backlog.discard(conn)
                        return
            self._backlog.add(conn)
        except RemoteProtocolError as exc:
            self._fail(conn, f"Protocol error: {exc}.")

    # --- handshake ---------------------------------------------------------------------------

    def _handshake(self, conn: Connection, frame: bytes) -> None:
        if conn.state == _NAME:
            raw = decode_text(frame, "name")
            try:
                conn.name = protocol.validate_name(raw)
            except protocol.InvalidName as exc:
                self._fail(conn, str(exc))
                return
            if self._gate.required:
                conn.state = _PASSWORD
                self._room.fanout.send(conn, _AUTH_PAIR)
                return
        else:
            attempt = decode_text(frame, "password")
            reason = self._gate.check(conn.peer[0], attempt)
            if reason is not None:
                log.warning("%s: wrong password for %r", conn.label(), conn.name)
                self._fail(conn, reason)
                return
        try:
            self._room.join(conn, conn.name)
        except Rejected as exc:
            self._fail(conn, str(exc))
            return
        conn.state = _CHAT
        conn.deadline = None
        conn.decoder.max_payload = self._max_message
        log.debug("%s joined from %s:%d", conn.name, *conn.peer)

    def _set_deadline(self, conn: Connection, seconds: float) -> None:
        conn.deadline = deadline = time.monotonic() + seconds
        heapq.heappush(self._deadlines, (deadline, next(self._seq), conn))

    def _expire(self) -> None:
        now = time.monotonic()
        heap = self._deadlines
        while heap and heap[0][0] <= now:
            deadline, _, conn = heapq.heappop(heap)
            if conn.deadline != deadline or conn.state == _CLOSED:
                continue  # stale entry: the handshake finished or the deadline moved
            if conn.state == _CLOSING:
                log.debug("%s: linger time over", conn.label())
                self._close(conn)
            else:
                log.info("%s: handshake timed out", conn.label())
                self._fail(conn, f"Handshake timed out after {self._handshake_timeout:g} s.")

    # --- leaving ---------------------------------------------------------------------------------

    def _fail(self, conn: Connection, reason: str) -> None:
        """Fatal error for this connection: send ``*error``, then a lingering close."""
        if conn.state >= _CLOSING:
            return
        log.info("%s: closing: %s", conn.label(), reason)
        self._room.leave(conn)
        conn.state = _CLOSING
        self._backlog.discard(conn)
        conn.out += encode_pair(events.ERROR, reason)
        self._touched.add(conn)
        self._set_deadline(conn, LINGER_TIMEOUT)

    def _close(self, conn: Connection) -> None:
        """Close at once (peer gone, linger over, too slow); tell the room."""
        if conn.state == _CLOSED:
            return
        self._room.leave(conn)
        conn.state = _CLOSED
        conn.deadline = None
        conn.out = bytearray()
        self._backlog.discard(conn)
        self._touched.discard(conn)
        self._conns.discard(conn)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(conn.sock)
        conn.sock.close()

    # --- writing -----------------------------------------------------------------------------

    def _flush_touched(self) -> None:
        touched = self._touched
        while touched:
            batch = list(touched)
            touched.clear()
            for member in batch:
                conn: Connection = member  # type: ignore[assignment]
                if conn.state != _CLOSED:
                    self._flush(conn)

    def _flush(self, conn: Connection) -> None:
        out = conn.out
        if out:
            try:
                sent = conn.sock.send(out)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError as exc:
                log.info("%s: connection lost (%s)", conn.label(), exc)
                self._close(conn)
                return
            del out[:sent]
            self._sent_since_trim += sent
        if out:
            if len(out) > self._outbuf_limit:
                log.warning(
                    "%s: dropped: too slow, %d bytes waiting (limit %d)",
                    conn.label(),
                    len(out),
                    self._outbuf_limit,
                )
                self._close(conn)
            elif not conn.writing:
                conn.writing = True
                self._selector.modify(conn.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, conn)
            return
        if conn.writing:
            conn.writing = False
            self._selector.modify(conn.sock, selectors.EVENT_READ, conn)
        if conn.state == _CLOSING:
            _shutdown_write(conn.sock)

    # --- shutdown -----------------------------------------------------------------------------

    def _shutdown(self) -> None:
        """Send "room closed" to everyone, give them SHUTDOWN_GRACE s to take it, close all."""
        self._selector.unregister(self._listener)
        self._listener.close()
        self._room.clear()
        pending = [c for c in self._conns if c.state != _CLOSED]
        log.info("closing the room (%d connections)", len(pending))
        for conn in pending:
            conn.out += _ROOM_CLOSED_PAIR
        end = time.monotonic() + SHUTDOWN_GRACE
        while True:
            waiting: list[Connection] = []
            for conn in pending:
                out = conn.out
                try:
                    del out[: conn.sock.send(out)]
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    out.clear()
                if out:
                    waiting.append(conn)
                    if not conn.writing:
                        conn.writing = True
                        self._selector.modify(conn.sock, selectors.EVENT_WRITE, conn)
                else:
                    _shutdown_write(conn.sock)
                    _discard_input(conn.sock)
                    self._close(conn)
            pending = waiting
            left = end - time.monotonic()
            if not pending or left <= 0:
                break
            self._selector.select(left)
        for conn in pending:
            log.info("%s: did not take the room-closed notice in time", conn.label())
            self._close(conn)

    def _release(self) -> None:
        """Close what the constructor opened (idempotent)."""
        with self._lock:
            if self._finished:
                return
            self._finished = True
            self._serving = False
        for conn in list(self._conns):
            self._close(conn)
        for sock in (self._listener, self._wake_r, self._wake_w):
            sock.close()
        if self._spare_fd is not None:
            os.close(self._spare_fd)
            self._spare_fd = None
        self._selector.close()


def _find_malloc_trim() -> Callable[[int], int] | None:
    # glibc's malloc_trim(0) returns free heap pages to the OS; other C
    # libraries (musl, macOS, Windows) lack it or do not need it.
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


_MALLOC_TRIM = _find_malloc_trim()


def _release_free_memory() -> None:
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _open_spare() -> int | None:
    try:
        return os.open(os.devnull, os.O_RDONLY)
    except OSError:
        return None


def _shutdown_write(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)


def _discard_input(sock: socket.socket) -> None:
    # Unread input makes close() send a reset, which can destroy the pairs we
    # just sent before the peer reads them; a few non-blocking reads avoid that.
    try:
        for _ in range(16):
            if not sock.recv(RECV_SIZE):
                return
    except OSError:
        pass
