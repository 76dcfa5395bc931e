"""The loop's writing side: one send per member per pass, and bounded unsent output.

Two limits keep memory bounded whatever members do (docs/PROTOCOL.md section 5):

* per member: what its :class:`~.outqueue.OutQueue` holds (data plus one
  :data:`~.outqueue.REF_COST` per reference) may not pass ``member_limit``,
  or it is dropped as too slow;
* per server: the output waiting anywhere, each shared buffer counted once,
  may not pass ``budget``. Shared (broadcast) bytes are measured from the
  fan-out's position (bytes of every broadcast ever made) back to the oldest
  chunk still queued; private bytes (answers, a join's history) and every
  reference are counted exactly. Once it comes within ``headroom`` (the most
  one request can add) of the budget, the connections furthest behind, those
  that hold the most (the shared bytes since their oldest chunk, their
  private bytes, their references), are dropped until it is back under three
  quarters of that.

A TLS member's queue holds the same plaintext; ``flush`` encrypts from it
(``tlsconn.py``) and the ciphertext waiting for its socket counts as that
member's private bytes against both limits.
"""

from __future__ import annotations

import heapq
import logging
import selectors
from collections.abc import Callable, Collection

from desktopchat.protocol import HEADER_LENGTH
from desktopchat.server import limits
from desktopchat.server.history import HISTORY_MAX_BYTES
from desktopchat.server.outqueue import REF_COST, OutQueue
from desktopchat.server.room import MAX_SERVER_TEXT, LocalFanout
from desktopchat.server.sockets import CLOSED, CLOSING, Connection, shutdown_write

__all__ = ["Output", "output_limits"]

log = logging.getLogger(__name__)

#: Chunks one deque block holds: a longer queue has had blocks to free.
_BLOCK = 64

_READ = selectors.EVENT_READ
_READ_WRITE = selectors.EVENT_READ | selectors.EVENT_WRITE


def output_limits(max_message: int, output_budget: int | None) -> tuple[int, int, int]:
    """(member limit, headroom, budget) for a room with this message limit.

    ``output_budget`` None is the default budget (or room for 4 of the largest
    requests); a given one must hold at least 2 (ValueError).
    """
    pair_max = 2 * (HEADER_LENGTH + max(max_message, MAX_SERVER_TEXT))
    outbuf_limit = max(limits.OUTBUF_LIMIT, HISTORY_MAX_BYTES + 16 * pair_max)
    # The most one request adds: a join's burst (history, *users) or a broadcast.
    headroom = HISTORY_MAX_BYTES + MAX_SERVER_TEXT + 4 * pair_max
    if output_budget is None:  # the default, or room for 4 such requests
        output_budget = max(limits.OUTPUT_BUDGET, 4 * headroom)
    elif output_budget < 2 * headroom:
        raise ValueError(f"output_budget must be at least {2 * headroom} bytes")
    return outbuf_limit, headroom, output_budget


class Output:
    """Flushes touched connections and keeps both output limits. Loop thread only."""

    def __init__(
        self,
        selector: selectors.BaseSelector,
        fanout: LocalFanout,
        conns: Collection[Connection],
        *,
        member_limit: int,
        budget: int,
        headroom: int,
        close: Callable[[Connection], None],
        on_pending: Callable[[Connection], None],
    ) -> None:
        if budget < 2 * headroom:
            raise ValueError(f"the output budget must be at least {2 * headroom} bytes")
        self._selector = selector
        self._fanout = fanout
        self._conns = conns
        self._close = close
        self._on_pending = on_pending
        self.member_limit = member_limit
        self.budget = budget
        self._trigger = budget - headroom
        self._low = self._trigger * 3 // 4
        #: A lower bound of the position of the oldest chunk queued anywhere.
        self.floor = 0
        #: The most :meth:`used` has been (it never passes the budget).
        self.peak = 0
        #: Connections dropped to keep the server budget.
        self.dropped = 0
        #: Bytes sent since the loop last returned free memory to the OS.
        self.sent_since_trim = 0
        #: The loop's monotonic time for this pass (when output last moved).
        self.now = 0.0

    def used(self) -> int:
        """Unsent output the server may hold: shared buffers once, plus every reference."""
        fanout = self._fanout
        return fanout.position - self.floor + fanout.private + REF_COST * fanout.refs

    def check(self) -> bool:
        """After each request: keep the budget; True if connections were dropped for it."""
        used = self.used()
        if used > self.peak:
            self.peak = used
        # The next request may reach every connection: count a reference each.
        if used + REF_COST * len(self._conns) <= self._trigger:
            return False
        return self._enforce()

    def _enforce(self) -> bool:
        self.flush_touched()  # what the kernel takes now need not count
        start = self._fanout.position
        oldest: list[tuple[int, int, Connection]] = []
        behind: list[tuple[int, int, Connection]] = []
        for i, conn in enumerate(self._conns):
            out = conn.out
            sealed = len(conn.tls.cipher) if conn.tls is not None else 0
            if out:
                first = out.oldest()
                oldest.append((first, i, conn))
                held = start - first + out.private + REF_COST * len(out) + sealed
                behind.append((-held, i, conn))
            elif sealed:
                behind.append((-sealed, i, conn))
        heapq.heapify(oldest)
        heapq.heapify(behind)
        self.floor = oldest[0][0] if oldest else start
        dropped = False
        while behind and (used := self.used()) > self._low:
            victim = heapq.heappop(behind)[2]
            if victim.state != CLOSED:
                log.warning(
                    "%s: dropped: furthest behind (%d bytes waiting) when the server's"
                    " unsent output reached %d bytes (budget %d)",
                    victim.label(),
                    victim.out.queued,
                    used,
                    self.budget,
                )
                self.dropped += 1
                dropped = True
                self._close(victim)
            while oldest and oldest[0][2].state == CLOSED:
                heapq.heappop(oldest)
            # Chunks made since the scan (the leaves just sent) are all newer than start.
            self.floor = oldest[0][0] if oldest else start
        return dropped

    def discard(self, conn: Connection) -> None:
        """Forget a closing connection's queue."""
        fanout, out = self._fanout, conn.out
        fanout.refs -= len(out)
        fanout.private -= out.private
        out.clear()
        if conn.tls is not None:
            fanout.private -= len(conn.tls.cipher)
            conn.tls.cipher.clear()

    def flush_touched(self) -> None:
        """One send for every connection with new output (more join while flushing)."""
        touched = self._fanout.touched
        while touched:
            batch = list(touched)
            touched.clear()
            for member in batch:
                conn: Connection = member  # type: ignore[assignment]
                if conn.state != CLOSED:
                    self.flush(conn)

    def flush(self, conn: Connection) -> None:
        """Offer the socket what ``conn`` has; watch for writability while some is left."""
        if conn.tls is not None:
            self._flush_tls(conn)
            return
        out = conn.out
        sent = 0
        if out:
            taken = self._send(conn, out.head())
            if taken is None:
                return
            sent = taken
            if sent:
                chunks = len(out)
                used, private = out.consume(sent)
                fanout = self._fanout
                fanout.refs -= used
                fanout.private -= private
                self.sent_since_trim += sent
                if not out and (chunks > _BLOCK or conn.writing):
                    # A deque keeps up to 16 freed blocks (8 KB) for reuse: after
                    # a backlog a fresh one is smaller (think 10,000 idle members).
                    conn.out = out = OutQueue()
        self._after_send(conn, sent, bool(out))

    def _flush_tls(self, conn: Connection) -> None:
        """flush() for a TLS member: encrypt some of its queue, send ciphertext."""
        tls, out, fanout = conn.tls, conn.out, self._fanout
        assert tls is not None
        used, private, added = tls.seal(out)
        fanout.refs -= used
        fanout.private += added - private
        sent = 0
        if tls.cipher:
            taken = self._send(conn, tls.cipher)
            if taken is None:
                return
            sent = taken
            tls.sent(sent)
            fanout.private -= sent
            self.sent_since_trim += sent
        self._after_send(conn, sent, bool(out or tls.cipher))

    def _send(self, conn: Connection, data: bytes | bytearray | memoryview) -> int | None:
        """Offer ``data`` to the socket: bytes taken (0 if none), None if the connection died."""
        try:
            return conn.sock.send(data)
        except (BlockingIOError, InterruptedError):
            return 0
        except OSError as exc:
            log.info("%s: connection lost (%s)", conn.label(), exc)
            self._close(conn)
            return None

    def _after_send(self, conn: Connection, sent: int, waiting: bool) -> None:
        """Drop a member too slow; watch for writability while output waits."""
        out = conn.out
        if waiting:
            sealed = len(conn.tls.cipher) if conn.tls is not None else 0
            if out.cost() + sealed > self.member_limit:
                log.warning(
                    "%s: dropped: too slow, %d bytes waiting (limit %d)",
                    conn.label(),
                    out.queued,
                    self.member_limit,
                )
                self._close(conn)
            elif not conn.writing:
                conn.writing = True
                conn.progress_at = self.now
                self._selector.modify(conn.sock, _READ_WRITE, conn)
                self._on_pending(conn)
            elif sent:
                conn.progress_at = self.now
            return
        if conn.writing:
            conn.writing = False
            self._selector.modify(conn.sock, _READ, conn)
        if conn.state == CLOSING:
            shutdown_write(conn.sock)
