"""Our client's TLS, sans-IO: an ``ssl.SSLObject`` over two memory BIOs on a non-blocking socket.

:class:`ClientTls` sits between the client thread's :class:`~desktopchat.session.Session`
and its socket: the session keeps writing and reading plain bytes through
:meth:`ClientTls.send` and :meth:`ClientTls.recv`, which behave like the
socket's own (``BlockingIOError`` when nothing can move now), and the
:class:`~desktopchat.protocol.client.ClientConnection` never knows. The
handshake is driven by the session's selector loop (:meth:`handshake_step`),
so ``close()`` interrupts it like anything else.

At most one chunk of ciphertext (:data:`SEAL_CHUNK` of plaintext) waits
here: :meth:`send` takes more only once the socket took the last, so what the
session counts as written is what the kernel has, give or take one chunk.
"""

from __future__ import annotations

import contextlib
import socket
import ssl

from desktopchat.net.tls import HANDSHAKE_FIRST_BYTE, client_context, fingerprint_of

__all__ = ["SEAL_CHUNK", "ClientTls", "NotTls"]

#: Plaintext encrypted at once by :meth:`ClientTls.send`: one TLS record.
SEAL_CHUNK = 16 * 1024
_RECV_SIZE = 64 * 1024


class NotTls(Exception):
    """The peer answered the ClientHello with something that is not TLS.

    ``answered``: it sent bytes (a plaintext server's error, say); False if
    it only closed or reset the connection.
    """

    def __init__(self, reason: str, *, answered: bool) -> None:
        super().__init__(reason)
        self.answered = answered


class ClientTls:
    """One TLS session over ``sock`` (non-blocking); network thread only."""

    def __init__(self, sock: socket.socket, context: ssl.SSLContext | None = None) -> None:
        self.sock = sock
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        context = context if context is not None else client_context()
        self._obj = context.wrap_bio(self._incoming, self._outgoing, server_side=False)
        self._cipher = bytearray()  # ciphertext the socket has not taken yet
        self._received = 0  # bytes read from the peer during the handshake
        self._first = b""  # its first byte
        #: The handshake is complete.
        self.ready = False
        #: The fingerprint of the room's certificate, once the handshake is complete.
        self.fingerprint: str | None = None

    # --- the handshake --------------------------------------------------------------

    def handshake_step(self, readable: bool) -> bool:
        """Advance the handshake; True once it is complete.

        ``readable``: the socket said it has bytes. Raises :class:`NotTls`
        if the peer does not speak TLS, :class:`ssl.SSLError` if it speaks
        it and the handshake fails, :class:`OSError` for the socket.
        """
        if readable:
            try:
                data = self.sock.recv(_RECV_SIZE)
            except (BlockingIOError, InterruptedError):
                data = None
            except (ConnectionResetError, ConnectionAbortedError) as exc:
                raise NotTls("connection reset during the TLS handshake", answered=False) from exc
            if data == b"":
                raise NotTls("connection closed during the TLS handshake", answered=False)
            if data:
                self._first = self._first or data[:1]
                self._received += len(data)
                self._incoming.write(data)
        try:
            self._obj.do_handshake()
        except ssl.SSLWantReadError:
            self.flush_quietly()
            return False
        except ssl.SSLError as exc:
            if self._received and self._first[0] != HANDSHAKE_FIRST_BYTE:
                raise NotTls("the room answered without TLS", answered=True) from exc
            raise
        self.ready = True
        der = self._obj.getpeercert(binary_form=True)
        self.fingerprint = fingerprint_of(der) if der else None
        self.flush_quietly()
        return True

    @property
    def waiting(self) -> bool:
        """Ciphertext is waiting for the socket."""
        return bool(self._cipher)

    def flush(self) -> None:
        """Offer the socket the ciphertext waiting; BlockingIOError if some is left."""
        self._cipher += self._outgoing.read()
        while self._cipher:
            del self._cipher[: self.sock.send(self._cipher)]

    # --- like a socket ----------------------------------------------------------------

    def send(self, data: bytes | bytearray | memoryview) -> int:
        """Encrypt up to :data:`SEAL_CHUNK` of ``data`` and send; how much was taken.

        Raises ``BlockingIOError`` (nothing taken) while earlier ciphertext waits.
        """
        self.flush()
        taken = min(len(data), SEAL_CHUNK)
        self._obj.write(memoryview(data)[:taken])
        self.flush_quietly()  # the rest goes out at the next flush; the plaintext is taken
        return taken

    def recv(self) -> bytes | None:
        """Plaintext from the room; None if a partial record came (nothing to read yet).

        Returns b"" when the room closed the connection (or the TLS session).
        Raises ``BlockingIOError`` when the socket has nothing,
        :class:`ssl.SSLError` for a bad record.
        """
        data = self.sock.recv(_RECV_SIZE)
        if not data:
            return b""
        self._incoming.write(data)
        parts: list[bytes] = []
        try:
            while True:  # bounded: the BIO holds what one recv() gave
                parts.append(self._obj.read(_RECV_SIZE))
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLZeroReturnError:
            if not parts:
                return b""
        self.flush_quietly()
        return b"".join(parts) or None

    def flush_quietly(self) -> None:
        """flush(), leaving what the socket does not take for later."""
        with contextlib.suppress(BlockingIOError, InterruptedError):
            self.flush()
