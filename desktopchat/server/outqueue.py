"""A member's unsent output: shared buffers held by reference, and what they cost.

A room event is encoded once per protocol version; every recipient's
:class:`OutQueue` holds a reference to the same ``bytes``, never a copy. Each
queued chunk carries the fan-out's *position* when it was made (see
:class:`~desktopchat.server.room.LocalFanout`): the oldest chunk still queued
anywhere tells how many shared bytes the server may be holding, each buffer
counted once. A chunk for one member alone (an answer, a join's history) is
*private*: its position is stored as ``~position`` (negative), and its bytes
are counted exactly until they are sent. docs/PROTOCOL.md section 5 lists the
limits built on this.
"""

from __future__ import annotations

from collections import deque
from operator import itemgetter

__all__ = ["BUFFER_COST", "REF_COST", "SEND_MAX", "Chunk", "OutQueue"]

#: (data, position): the bytes and the fan-out position at which they were
#: made; ``~position`` for a private chunk.
Chunk = tuple[bytes, int]

#: Bytes counted for one queued reference besides its data: its slot in a
#: queue (a deque block holds 64 eight-byte pointers).
REF_COST = 8

#: Bytes counted for one buffer besides its data: the ``bytes`` object's header
#: and the shared (data, position) tuple.
BUFFER_COST = 96

#: Most bytes joined for one ``send``: a whole pass's worth of small pairs for
#: a client that keeps up, without copying a slow client's whole backlog.
SEND_MAX = 128 * 1024

_data = itemgetter(0)


class OutQueue(deque[Chunk]):
    """Chunks waiting to be sent, oldest first; ``offset`` bytes of the first are gone.

    The fan-out appends and adds to :attr:`queued` itself (it is the hot path);
    the loop takes bytes out with :meth:`head` and :meth:`consume`.
    """

    __slots__ = ("offset", "private", "queued")

    def __init__(self) -> None:
        super().__init__()
        #: Bytes of the first chunk already sent.
        self.offset = 0
        #: Bytes not sent yet, over all chunks.
        self.queued = 0
        #: Bytes (with BUFFER_COST each) of the private chunks queued.
        self.private = 0

    def __bytes__(self) -> bytes:
        """Everything still to send, as one copy (for tests and debugging)."""
        return b"".join(map(_data, self))[self.offset :]

    def put(self, data: bytes, position: int) -> int:
        """Queue private ``data`` (made at fan-out ``position``); return what it counts."""
        self.append((data, ~position))
        self.queued += len(data)
        cost = len(data) + BUFFER_COST
        self.private += cost
        return cost

    def clear(self) -> None:
        """Forget everything queued."""
        super().clear()
        self.offset = self.queued = self.private = 0

    def oldest(self) -> int:
        """The fan-out position of the first chunk (the queue must not be empty)."""
        position = self[0][1]
        return ~position if position < 0 else position

    def cost(self) -> int:
        """What this queue counts against its member's limit: data and references."""
        return self.queued + REF_COST * len(self)

    def head(self) -> bytes | memoryview:
        """The next bytes to offer the socket: up to about :data:`SEND_MAX`, in one buffer.

        One chunk is returned as it is (a view past the offset, no copy);
        several are joined, as many as make :data:`SEND_MAX`.
        """
        offset = self.offset
        if len(self) == 1:
            data = self[0][0]
            return memoryview(data)[offset:] if offset else data
        if self.queued <= SEND_MAX:
            if not offset:
                return b"".join(map(_data, self))
            parts: list[bytes | memoryview] = list(map(_data, self))
        else:
            parts = []
            total = -offset
            for data, _ in self:
                parts.append(data)
                total += len(data)
                if total >= SEND_MAX:
                    break
            if len(parts) == 1:
                return memoryview(parts[0])[offset:] if offset else parts[0]
        if offset:
            parts[0] = memoryview(parts[0])[offset:]
        return b"".join(parts)

    def consume(self, sent: int) -> tuple[int, int]:
        """The socket took ``sent`` bytes from the front: chunks and private bytes used up."""
        if sent >= self.queued:
            used, private = len(self), self.private
            self.clear()
            return used, private
        self.queued -= sent
        offset = self.offset + sent
        used = private = 0
        while offset >= len(self[0][0]):
            data, position = self.popleft()
            offset -= len(data)
            used += 1
            if position < 0:
                private += len(data) + BUFFER_COST
        self.offset = offset
        self.private -= private
        return used, private
