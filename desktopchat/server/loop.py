"""The room server's loop: one thread, one selector, non-blocking sockets.

:class:`RoomServer` accepts connections, feeds the bytes of each to its
:class:`~desktopchat.protocol.server.ServerConnection`, hands the events to the
:class:`~desktopchat.server.room.Room` and writes what the room produced. It
decides nothing about the conversation: it moves bytes and runs timers
(handshake time limit, the wait for a protocol-2 upgrade, lingering closes,
stalled frames, idle members), and TLS beside plaintext (``tlsconn.py``). It runs
headless (``--serve``) or on a thread inside the window; ``lifecycle.py`` starts and stops it.

Invariants (docs/ARCHITECTURE.md has the picture):

* Nothing blocks; a pass reads at most :data:`~.limits.RECV_SIZE` bytes and handles at
  most :data:`~.limits.FRAMES_PER_PASS` events per client, so a flooder slows only itself.
* Output made during a pass is flushed once at its end, one ``send`` per
  client; a client registers for writing only while its queue is non-empty.
  Output is bounded per client and for the whole server (``output.py``).
* One address holds at most ``max_per_address`` connections (``admission.py``).
* Bad input ends that connection only: an error pair, then a lingering close.
* :meth:`RoomServer.stop` works from any thread; :meth:`request_stop` is safe
  in a signal handler (a flag and a wakeup byte: no locks, no logging).
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import logging
import selectors
import socket
import sys
import time
from collections.abc import Callable

from desktopchat import protocol, sockopts
from desktopchat.net import tls
from desktopchat.protocol import RemoteProtocolError, wire
from desktopchat.protocol import events as ev
from desktopchat.protocol.server import ServerConnection, ServerState
from desktopchat.server import limits
from desktopchat.server.admission import AddressCounts, Admission
from desktopchat.server.crowd import QUIET_ABOVE
from desktopchat.server.deadlines import Deadlines
from desktopchat.server.lifecycle import Lifecycle
from desktopchat.server.output import Output, output_limits
from desktopchat.server.rates import DEFAULT_RATE_LIMITS, RateLimits
from desktopchat.server.room import Room
from desktopchat.server.sockets import (
    CLOSED,
    CLOSING,
    OPEN,
    Connection,
    SpareDescriptor,
    drain_and_close,
    release_free_memory,
)
from desktopchat.server.store import HistoryStore
from desktopchat.server.tlsconn import ENCRYPTED_ONLY, ServerTls
from desktopchat.server.transfers import FileRules

__all__ = ["RoomServer"]

log = logging.getLogger(__name__)

# Selector key data for the two non-client sockets.
_LISTENER = "listener"
_WAKEUP = "wakeup"


class RoomServer(Deadlines, Lifecycle):
    """A chat room on a TCP port. See the module docstring for the rules it keeps.

    The constructor binds and listens, so a busy port raises :class:`OSError`
    (``errno.EADDRINUSE``) right here; :attr:`address` is the bound address.
    """

    _room_class: type[Room] = Room  # sharedserver.py: a SharedRoom (Redis)

    def __init__(
        self,
        host: str = "0.0.0.0",
        port: int = 1234,
        *,
        password: str | None = None,
        history: int = 100,
        max_per_address: int | None = limits.MAX_PER_ADDRESS,
        output_budget: int | None = None,
        stall_timeout: float = limits.STALL_TIMEOUT,
        idle_limit: float = limits.IDLE_LIMIT,
        max_message: int = protocol.DEFAULT_MAX_PAYLOAD,
        handshake_timeout: float = 10.0,
        upgrade_wait: float = limits.UPGRADE_WAIT,
        clock: Callable[[], float] = time.time,
        rate_limits: RateLimits | None = DEFAULT_RATE_LIMITS,
        identity: tls.Identity | None = None,
        encrypted_only: bool = False,
        max_file_size: int = limits.DEFAULT_MAX_FILE_SIZE,
        file_senders: frozenset[str] | None = None,
        offer_grace: float = limits.OFFER_GRACE,
        store: HistoryStore | None = None,
        quiet_above: int = QUIET_ABOVE,
    ) -> None:
        if (encrypted_only and identity is None) or max_message < 1:
            raise ValueError("encrypted_only needs an identity; max_message at least 1 byte")
        if handshake_timeout <= 0 or max_file_size < 0:
            raise ValueError("handshake_timeout must be positive, max_file_size not negative")
        # rate_limits=None: no per-member limits (benchmarks, trusted tests).
        marks = identity is not None  # TLS members exist: say who is in plaintext
        self._room = self._room_class(
            history,
            password=password,
            clock=clock,
            rates=rate_limits,
            marks=marks,
            store=store,
            quiet_above=quiet_above,
        )
        # Saved history (--data): closed (queue written, marked clean) with the room.
        self._store = store
        self._tls = tls.server_context(identity) if identity is not None else None
        self._fingerprint = identity.fingerprint if identity is not None else None
        self._encrypted_only = encrypted_only
        self._password_required = password is not None and password != ""
        self._max_message = max_message
        self._room.transfers.rules = FileRules(max_file_size, file_senders, offer_grace)
        self._handshake_timeout = handshake_timeout
        self._upgrade_wait = upgrade_wait
        if stall_timeout <= 0 or idle_limit <= 0:
            raise ValueError("stall_timeout and idle_limit must be positive")
        self._stall_timeout = stall_timeout
        self._idle_limit = idle_limit
        self._per_address = AddressCounts(max_per_address)
        outbuf_limit, headroom, output_budget = output_limits(max_message, output_budget)

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

        Lifecycle.__init__(self)
        self._selector = selectors.DefaultSelector()
        self._selector.register(listener, selectors.EVENT_READ, _LISTENER)
        self._selector.register(self._wake_r, selectors.EVENT_READ, _WAKEUP)

        self._conns: set[Connection] = set()
        self._touched = self._room.fanout.touched  # typed as Member; all are Connections
        self._output = Output(
            self._selector,
            self._room.fanout,
            self._conns,
            member_limit=outbuf_limit,
            budget=output_budget,
            headroom=headroom,
            close=self._close,
            on_pending=self._watch,
        )
        self._backlog: set[Connection] = set()
        self._deadlines: list[tuple[float, int, Connection]] = []
        self._seq = itertools.count()
        self._spare = SpareDescriptor()

    @property
    def fingerprint(self) -> str | None:
        """The SHA-256 fingerprint of the room's certificate; None without an identity."""
        return self._fingerprint

    @property
    def member_count(self) -> int:
        """Members in the room now (safe to read from any thread)."""
        return self._room.count

    # --- the loop ------------------------------------------------------------------------

    def _pass(self) -> None:
        """One loop pass: wait for readiness, do bounded work, flush output once."""
        select = self._selector.select
        timeout = self._timeout()
        output = self._output
        if output.sent_since_trim >= limits.TRIM_AFTER_BYTES and timeout != 0.0:
            ready = select(0.0)
            if not ready:  # about to go idle after heavy output
                output.sent_since_trim = 0
                release_free_memory()
                ready = select(timeout)
        else:
            ready = select(timeout)
        output.now = time.monotonic()
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
                if mask & selectors.EVENT_READ and conn.state != CLOSED:
                    self._on_readable(conn)
        for conn in backlog:
            if conn.state < CLOSING:
                self._process(conn)
        if self._deadlines:
            self._expire()
        self._room.transfers.expire(output.now)  # offers of senders away too long
        if self._room.gate.due is not None:
            self._admit_waiting()
        if (due := self._room.crowd.due) is not None and due <= output.now:
            self._room.announce()  # a big room's joins and leaves, once a second
        output.check()
        output.flush_touched()

    def _timeout(self) -> float | None:
        if self._backlog or self._stop_requested:
            return 0.0
        due = self._room.transfers.sooner(self._room.gate.due)  # a password turn, a grace
        if (crowd := self._room.crowd.due) is not None:  # joins and leaves to announce
            due = crowd if due is None else min(due, crowd)
        if self._deadlines:
            first = self._deadlines[0][0]
            due = first if due is None else min(due, first)
        if due is not None:
            return max(0.0, due - time.monotonic())
        return None

    def _accept(self) -> None:
        for _ in range(limits.ACCEPT_BATCH):
            try:
                sock, peer = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE):
                    self._spare.refuse(self._listener)
                    continue
                log.error("cannot accept a connection: %s", exc)
                return
            address = str(peer[0])
            admission = self._per_address.admission(address)
            if admission is Admission.DROP:
                sock.close()
                continue
            sock.setblocking(False)
            # OSError: the peer is already gone; the first recv will tell.
            with contextlib.suppress(OSError):
                sockopts.tune(sock)
            session = ServerConnection(
                password_required=self._password_required,
                max_message=self._max_message,
                crowd=self._room.crowd.offered,
                files_max=self._room.transfers.rules.max_size,
            )
            conn = Connection(sock, (address, int(peer[1])), session)
            self._conns.add(conn)
            self._per_address.add(address)
            self._selector.register(sock, selectors.EVENT_READ, conn)
            self._set_deadline(conn, self._handshake_timeout)
            log.debug("connection from %s", conn.label())
            if admission is Admission.REFUSE:  # (logged once a minute per address)
                self._fail(conn, self._per_address.refusal(address, self._output.now), quiet=True)

    def _on_readable(self, conn: Connection) -> None:
        if conn in self._backlog:
            return  # its earlier frames come first: no more reading until they are done
        try:
            data = conn.sock.recv(limits.RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            log.info("%s: connection lost (%s)", conn.label(), exc)
            self._close(conn)
            return
        if conn.state == CLOSING:
            if not data:
                self._close(conn)
            return  # lingering: what it still sends is discarded
        if not data:
            if conn.session.in_frame:
                log.info("%s: closed in the middle of a frame", conn.label())
            else:
                log.debug("%s: closed the connection", conn.label())
            self._close(conn)
            return
        conn.last_input = self._output.now
        if not conn.sniffed:  # the first byte: a TLS ClientHello, or a frame header
            conn.sniffed = True
            if self._tls is not None and data[0] == tls.HANDSHAKE_FIRST_BYTE:
                conn.tls = ServerTls(self._tls)
            elif self._encrypted_only:
                self._fail(conn, ENCRYPTED_ONLY)
                return
        if conn.tls is not None and not (data := self._decrypt(conn, data)):
            return
        conn.session.receive_data(data)
        self._process(conn)
        if conn.watch is None and conn.state == OPEN and conn.session.in_frame:
            self._watch(conn)

    def _decrypt(self, conn: Connection, data: bytes) -> bytes:
        """A TLS member's ciphertext in, its plaintext out; a failed handshake ends it."""
        assert conn.tls is not None
        plain, added, error = conn.tls.receive(data)
        if added:
            self._room.fanout.private += added
            self._touched.add(conn)
        conn.encrypted = conn.tls.ready
        if error is not None:
            log.info("%s: TLS ended: %s", conn.label(), error)
            self._close(conn)
            return b""
        return plain

    def _process(self, conn: Connection) -> None:
        """Handle up to limits.FRAMES_PER_PASS events; keep conn in the backlog if more wait."""
        session = conn.session
        room = self._room
        check = self._output.check
        try:
            for _ in range(limits.FRAMES_PER_PASS):
                event = session.next_event()
                if event is None:
                    self._backlog.discard(conn)
                    break
                if isinstance(event, ev.Refused):
                    self._fail(conn, event.reason)
                    return
                room.handle(conn, event)
                if session.state is ServerState.CLOSED:  # the room refused it
                    self._linger(conn)
                    return
                if check() and conn.state != OPEN:
                    return  # dropped to keep the server's output budget
            else:
                self._backlog.add(conn)
        except RemoteProtocolError as exc:
            self._fail(conn, f"Protocol error: {exc}.")
            return
        self._after_handshake_step(conn)

    def _after_handshake_step(self, conn: Connection) -> None:
        """Write what the session said by itself; arm or clear its timers."""
        session = conn.session
        self._room.fanout.send(conn, session.data_to_send())
        if session.waiting_for_upgrade and conn.upgrade_deadline is None:
            conn.upgrade_deadline = self._push_deadline(conn, self._upgrade_wait)
        if session.state is ServerState.CHAT and conn.deadline is not None:
            conn.deadline = None  # joined: no handshake time limit any more
            log.debug("%s joined from %s:%d", conn.name, *conn.peer)

    def _admit_waiting(self) -> None:
        """Joins the password gate kept waiting and has now decided: on with them."""
        for member in self._room.admit_waiting():
            conn: Connection = member  # type: ignore[assignment]
            if conn.session.state is ServerState.CLOSED:  # refused
                self._linger(conn)
            else:
                self._process(conn)

    # --- leaving ---------------------------------------------------------------------------------

    def _fail(self, conn: Connection, reason: str, *, quiet: bool = False) -> None:
        """Fatal error for this connection: tell it why, then a lingering close."""
        if conn.state >= CLOSING:
            return
        if conn.tls is not None and not conn.tls.ready:  # no channel to tell it on yet
            self._close(conn)
            return
        if not quiet:
            log.info("%s: closing: %s", conn.label(), reason)
        self._room.leave(conn)
        if conn.session.state is not ServerState.CLOSED:
            self._room.fanout.send(conn, conn.session.send(ev.Refused(reason)))
        self._linger(conn)

    def _linger(self, conn: Connection) -> None:
        """Stop reading requests; close once the output is out or limits.LINGER_TIMEOUT passed."""
        self._room.leave(conn)
        conn.session.close()
        conn.state = CLOSING
        self._backlog.discard(conn)
        self._touched.add(conn)
        self._set_deadline(conn, limits.LINGER_TIMEOUT)

    def _close(self, conn: Connection) -> None:
        """Close at once (peer gone, linger over, too slow); tell the room."""
        if conn.state == CLOSED:
            return
        self._room.leave(conn)
        conn.state = CLOSED
        conn.deadline = conn.watch = None
        self._output.discard(conn)
        self._backlog.discard(conn)
        self._touched.discard(conn)
        self._conns.discard(conn)
        self._per_address.remove(conn.peer[0])
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(conn.sock)
        conn.sock.close()

    # --- shutdown -----------------------------------------------------------------------------

    def _shutdown(self) -> None:
        """Tell everyone the room closed, give them a moment to take it, close all."""
        self._selector.unregister(self._listener)
        self._listener.close()
        self._room.clear()
        pending = [c for c in self._conns if c.state != CLOSED]
        closed_v1, closed_v2 = wire.encode_v1(ev.RoomClosed()), wire.encode_v2(ev.RoomClosed())
        log.info("closing the room (%d connections)", len(pending))
        for conn in pending:
            self._room.fanout.send(conn, closed_v2 if conn.session.version == 2 else closed_v1)
        drain_and_close(pending, self._selector, limits.SHUTDOWN_GRACE, self._close)

    def _close_resources(self) -> None:
        """Close what the constructor opened (once, from Lifecycle._release)."""
        for conn in list(self._conns):
            self._close(conn)
        self._listener.close()
        self._spare.close()
        self._selector.close()
        if self._store is not None:
            self._store.close()
