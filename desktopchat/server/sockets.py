"""What the loop needs around a socket: the connection record and low-level helpers.

:class:`Connection` is one client socket with its session and timers;
:class:`SpareDescriptor` turns newcomers away politely when the process is
out of descriptors; the functions half-close, drain and trim memory.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import selectors
import socket
import sys
import time
from collections.abc import Callable

from desktopchat.protocol import encode_pair
from desktopchat.protocol import events as ev
from desktopchat.protocol.server import ServerConnection, ServerState
from desktopchat.server.limits import RECV_SIZE
from desktopchat.server.room import Member
from desktopchat.server.tlsconn import ServerTls

__all__ = [
    "CLOSED",
    "CLOSING",
    "OPEN",
    "Connection",
    "SpareDescriptor",
    "discard_input",
    "drain_and_close",
    "release_free_memory",
    "shutdown_write",
]

log = logging.getLogger(__name__)

# What the loop does with a socket, in order: a state >= CLOSING is leaving.
OPEN, CLOSING, CLOSED = range(3)

_FULL_PAIR = encode_pair(ev.ERROR, "The room is full: the server cannot take more connections.")


class Connection(Member):
    """One client socket: its session, out-queue (``Member.out``) and timers."""

    __slots__ = (
        "deadline",
        "last_input",
        "peer",
        "progress_at",
        "sniffed",
        "sock",
        "state",
        "tls",
        "upgrade_deadline",
        "watch",
        "writing",
    )

    def __init__(self, sock: socket.socket, peer: tuple[str, int], session: ServerConnection):
        super().__init__(session, peer[0])
        self.sock = sock
        self.peer = peer
        self.state = OPEN
        # Monotonic time by which the handshake (or a lingering close) must end.
        self.deadline: float | None = None
        # Monotonic time at which a silent client joins as protocol 1.
        self.upgrade_deadline: float | None = None
        # True while registered for EVENT_WRITE as well as EVENT_READ.
        self.writing = False
        # Monotonic times: the last bytes from the client; the last time its
        # waiting output moved (or started waiting).
        self.last_input = self.progress_at = time.monotonic()
        # Monotonic time of the next look at a stalled frame or an idle member.
        self.watch: float | None = None
        # The first byte arrived: TLS (``tls`` set) or a tutorial frame header.
        self.sniffed = False
        self.tls: ServerTls | None = None

    def label(self) -> str:
        """Name and address for log lines."""
        who = f"{self.peer[0]}:{self.peer[1]}"
        return f"{self.name} ({who})" if self.session.state is ServerState.CHAT else who


class SpareDescriptor:
    """A descriptor held in reserve for refusing connections when we run out."""

    def __init__(self) -> None:
        self.fd: int | None = _open_spare()
        self._next_warning = 0.0

    def refuse(self, listener: socket.socket) -> None:
        """Out of file descriptors: turn one pending connection away.

        Left in the listen queue it would keep the listener readable and the
        loop spinning. The spare descriptor is given up for a moment so the
        connection can be accepted, told the room is full, and closed.
        """
        now = time.monotonic()
        if now >= self._next_warning:
            self._next_warning = now + 10.0
            log.warning("out of file descriptors: turning new connections away")
        if self.fd is None:
            raise OSError(errno.EMFILE, "no spare descriptor left")
        os.close(self.fd)
        self.fd = None
        try:
            sock, _ = listener.accept()
        except OSError:
            pass
        else:
            with contextlib.suppress(OSError):
                sock.send(_FULL_PAIR)
            sock.close()
        finally:
            self.fd = _open_spare()

    def close(self) -> None:
        """Give the spare descriptor back."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


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


def release_free_memory() -> None:
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _open_spare() -> int | None:
    try:
        return os.open(os.devnull, os.O_RDONLY)
    except OSError:
        return None


def shutdown_write(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)


def discard_input(sock: socket.socket) -> None:
    # Unread input makes close() send a reset, which can destroy the pairs we
    # just sent before the peer reads them; a few non-blocking reads avoid that.
    try:
        for _ in range(16):
            if not sock.recv(RECV_SIZE):
                return
    except OSError:
        pass


def drain_and_close(
    pending: list[Connection],
    selector: selectors.BaseSelector,
    grace: float,
    close: Callable[[Connection], None],
) -> None:
    """Write what each connection still has for up to ``grace`` s, then close it."""
    end = time.monotonic() + grace
    while True:
        waiting: list[Connection] = []
        for conn in pending:
            out, tls = conn.out, conn.tls
            try:
                if tls is None:
                    out.consume(conn.sock.send(out.head()))
                else:
                    tls.seal(out, everything=True)
                    if not tls.ready:  # mid-handshake: it cannot be told anything
                        out.clear()
                    tls.sent(conn.sock.send(tls.cipher) if tls.cipher else 0)
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                out.clear()
                if tls is not None:
                    tls.cipher.clear()
            if out or (tls is not None and tls.cipher):
                waiting.append(conn)
                if not conn.writing:
                    conn.writing = True
                    selector.modify(conn.sock, selectors.EVENT_WRITE, conn)
            else:
                shutdown_write(conn.sock)
                discard_input(conn.sock)
                close(conn)
        pending = waiting
        left = end - time.monotonic()
        if not pending or left <= 0:
            break
        selector.select(left)
    for conn in pending:
        log.info("%s: did not take the room-closed notice in time", conn.label())
        close(conn)
