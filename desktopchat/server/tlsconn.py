"""One member's TLS on the room's side, sans-IO: an ``ssl.SSLObject`` over two memory BIOs.

The loop reads ciphertext from the socket and hands it to
:meth:`ServerTls.receive`, which returns the plaintext for the member's
:class:`~desktopchat.protocol.server.ServerConnection` exactly as a plain
connection's bytes. Nothing here blocks or touches a socket: the handshake
advances as bytes arrive, inside the selectors loop.

Output stays shared: the member's :class:`~.outqueue.OutQueue` holds the
same plaintext broadcast buffers as everyone's, and :meth:`ServerTls.seal`
encrypts from it at flush time, at most :data:`SEAL_MAX` bytes at once and
only while less than that much ciphertext waits. So the ciphertext waiting
per member stays under about twice :data:`SEAL_MAX`; ``output.py`` counts it
as the member's private bytes against both output limits.
"""

from __future__ import annotations

import ssl

from desktopchat.server.limits import RECV_SIZE
from desktopchat.server.outqueue import SEND_MAX, OutQueue

__all__ = ["ENCRYPTED_ONLY", "SEAL_MAX", "ServerTls"]

#: The refusal (``*error``) a plaintext client gets from a room with ``encrypted_only``.
ENCRYPTED_ONLY = (
    "This room accepts encrypted connections only: use the desktopchat program to join."
)

#: Plaintext encrypted per flush, and the ciphertext a member may have waiting
#: before more is encrypted: one send's worth, as for a plain connection.
SEAL_MAX = SEND_MAX


class ServerTls:
    """The TLS state of one connection; loop thread only."""

    __slots__ = ("_incoming", "_obj", "_outgoing", "cipher", "ready")

    def __init__(self, context: ssl.SSLContext) -> None:
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._obj = context.wrap_bio(self._incoming, self._outgoing, server_side=True)
        #: Ciphertext waiting for the socket (handshake records, then sealed output).
        self.cipher = bytearray()
        #: The handshake is complete: application data flows.
        self.ready = False

    def receive(self, data: bytes) -> tuple[bytes, int, str | None]:
        """Ciphertext from the socket: (plaintext, ciphertext bytes queued, why TLS ended).

        The third is None while the session goes on; else the connection is
        over: a failed handshake, a bad record, or the client's close_notify.
        """
        self._incoming.write(data)
        before = len(self.cipher)
        parts: list[bytes] = []
        error: str | None = None
        try:
            if not self.ready:
                self._obj.do_handshake()
                self.ready = True
            while True:  # bounded: the BIO holds at most what one recv() gave
                parts.append(self._obj.read(RECV_SIZE))
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLZeroReturnError:
            error = "the client closed the TLS session"
        except ssl.SSLError as exc:
            error = f"TLS failed ({exc.reason or exc})"
        self.cipher += self._outgoing.read()
        return b"".join(parts), len(self.cipher) - before, error

    def seal(self, out: OutQueue, *, everything: bool = False) -> tuple[int, int, int]:
        """Encrypt from ``out``: (chunks used up, private bytes used up, ciphertext added).

        Only after the handshake, and (unless ``everything``, at shutdown) only
        while less than :data:`SEAL_MAX` ciphertext waits.
        """
        used = private = 0
        before = len(self.cipher)
        while self.ready and out and (everything or len(self.cipher) < SEAL_MAX):
            data = out.head()
            self._obj.write(data)
            done, gone = out.consume(len(data))
            used += done
            private += gone
            self.cipher += self._outgoing.read()
            if not everything:
                break
        return used, private, len(self.cipher) - before

    def sent(self, count: int) -> None:
        """The socket took ``count`` bytes of :attr:`cipher`."""
        del self.cipher[:count]
