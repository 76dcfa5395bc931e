"""The room server's timers: handshake deadlines, lingering closes, stalled frames, idle members.

A mixin of :class:`~desktopchat.server.loop.RoomServer` (it needs the loop's
connections, output and room): one heap of ``(due, seq, connection)``; an entry
whose time no longer matches the connection's ``deadline``, ``watch`` or
``upgrade_deadline`` is stale and skipped, so moving a deadline is a push, never
a search. ``_expire`` runs once per loop pass.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import time
from typing import TYPE_CHECKING

from desktopchat.protocol.server import ServerState
from desktopchat.server.sockets import CLOSED, CLOSING, OPEN, Connection

if TYPE_CHECKING:
    from desktopchat.server.output import Output
    from desktopchat.server.room import Room

__all__ = ["Deadlines"]

log = logging.getLogger("desktopchat.server.loop")


class Deadlines:
    """The loop's timers (see the module docstring)."""

    _deadlines: list[tuple[float, int, Connection]]
    _seq: itertools.count[int]
    _backlog: set[Connection]
    _stall_timeout: float
    _idle_limit: float
    _handshake_timeout: float

    if TYPE_CHECKING:
        _output: Output
        _room: Room

        def _fail(self, conn: Connection, reason: str, *, quiet: bool = False) -> None: ...
        def _close(self, conn: Connection) -> None: ...
        def _linger(self, conn: Connection) -> None: ...
        def _process(self, conn: Connection) -> None: ...

    def _push_deadline(self, conn: Connection, seconds: float) -> float:
        deadline = time.monotonic() + seconds
        heapq.heappush(self._deadlines, (deadline, next(self._seq), conn))
        return deadline

    def _set_deadline(self, conn: Connection, seconds: float) -> None:
        conn.deadline = self._push_deadline(conn, seconds)

    def _watch(self, conn: Connection) -> None:
        """Part of a frame arrived, or output started waiting: look again in time."""
        if conn.watch is None:
            self._look_at(conn, self._output.now)

    def _look_at(self, conn: Connection, now: float) -> None:
        """Drop a stalled frame or an idle member; else look again when one could be due."""
        if conn.state != OPEN:
            return
        due: float | None = None
        if conn.session.in_frame:
            if conn in self._backlog:  # we are the slow ones: its frames wait for us
                due = now + self._stall_timeout
            elif conn.last_input + self._stall_timeout <= now:
                self._fail(
                    conn,
                    "Protocol error: incomplete frame: nothing more arrived"
                    f" for {self._stall_timeout:g} s.",
                )
                return
            else:
                due = conn.last_input + self._stall_timeout
        if conn.writing and conn.session.state is ServerState.CHAT:
            idle = max(conn.last_input, conn.progress_at) + self._idle_limit
            if idle <= now:
                log.warning(
                    "%s: dropped: idle for %g s (sent nothing, took none of %d bytes waiting)",
                    conn.label(),
                    self._idle_limit,
                    conn.out.queued,
                )
                self._close(conn)
                return
            due = idle if due is None else min(due, idle)
        if due is not None:
            conn.watch = due
            heapq.heappush(self._deadlines, (due, next(self._seq), conn))

    def _expire(self) -> None:
        now = time.monotonic()
        heap = self._deadlines
        while heap and heap[0][0] <= now:
            deadline, _, conn = heapq.heappop(heap)
            if conn.state == CLOSED:
                continue
            if deadline == conn.watch:
                conn.watch = None
                self._look_at(conn, now)
                continue
            if deadline == conn.upgrade_deadline:
                conn.upgrade_deadline = None
                request = conn.session.upgrade_wait_over()
                if request is not None and conn.state == OPEN:
                    self._room.handle(conn, request)
                    if conn.session.state is ServerState.CLOSED:
                        self._linger(conn)
                    else:
                        self._process(conn)
                continue
            if conn.deadline != deadline:
                continue  # stale entry: the handshake finished or the deadline moved
            if conn.state == CLOSING:
                log.debug("%s: linger time over", conn.label())
                self._close(conn)
            else:
                log.info("%s: handshake timed out", conn.label())
                self._fail(conn, f"Handshake timed out after {self._handshake_timeout:g} s.")
