"""Test helpers on the wire between a client and a room: a tap and a man in the middle.

:class:`Tap` forwards TCP both ways unchanged and keeps every byte it saw,
to check what an eavesdropper on the network gets. :class:`Mitm` is the
attacker who terminates TLS: it shows the client *its own* certificate,
opens its own TLS connection to the real room (accepting any certificate)
and relays the plaintext, keeping what it decrypted from the client. Both
bind 127.0.0.1 port 0 and use one thread per direction (blocking sockets:
test code, a handful of connections).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from types import TracebackType

from desktopchat.net import tls


class _Forwarder:
    """Accept on 127.0.0.1:0; for each connection, ``_serve`` on a thread."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address: tuple[str, int] = self.listener.getsockname()[:2]
        self._lock = threading.Lock()
        self._socks: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._accepter = threading.Thread(target=self._accept, daemon=True)
        self._accepter.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self._keep(client)
            self._spawn(self._serve, client)

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _keep(self, sock: socket.socket) -> None:
        with self._lock:
            self._socks.append(sock)
            if self._closed:
                sock.close()

    def _serve(self, client: socket.socket) -> None:
        raise NotImplementedError

    @staticmethod
    def _pump(
        src: socket.socket, dst: socket.socket, record: bytearray, lock: threading.Lock
    ) -> None:
        try:
            while data := src.recv(65536):
                with lock:
                    record += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            socks = list(self._socks)
            threads = list(self._threads)
        self.listener.close()
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.close()
        for thread in threads:
            thread.join(2.0)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Tap(_Forwarder):
    """A TCP forwarder to ``target`` that records every byte both ways."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.lock = threading.Lock()
        #: Bytes from clients to the room and from the room to clients, all connections.
        self.upstream = bytearray()
        self.downstream = bytearray()
        super().__init__()

    def __enter__(self) -> Tap:
        return self

    def wire(self) -> bytes:
        """Everything seen, both directions."""
        with self.lock:
            return bytes(self.upstream + self.downstream)

    def _serve(self, client: socket.socket) -> None:
        server = socket.create_connection(self.target)
        self._keep(server)
        self._spawn(self._pump, server, client, self.downstream, self.lock)
        self._pump(client, server, self.upstream, self.lock)


class Mitm(_Forwarder):
    """Terminates TLS with ``identity`` (not the room's) and relays to the room over TLS."""

    def __init__(self, target: tuple[str, int], identity: tls.Identity) -> None:
        self.target = target
        self.context = tls.server_context(identity)
        self.lock = threading.Lock()
        #: Plaintext the clients sent (what the attacker read) and the room's answers.
        self.from_clients = bytearray()
        self.from_room = bytearray()
        #: Connections whose TLS handshake with the client completed.
        self.handshakes = 0
        super().__init__()

    def __enter__(self) -> Mitm:
        return self

    def _serve(self, client: socket.socket) -> None:
        try:
            client.settimeout(10)
            inner = self.context.wrap_socket(client, server_side=True)
        except (OSError, ssl.SSLError):
            return
        with self.lock:
            self.handshakes += 1
        self._keep(inner)
        try:
            raw = socket.create_connection(self.target)
            room = tls.client_context().wrap_socket(raw)
        except OSError:
            inner.close()
            return
        self._keep(room)
        self._spawn(self._pump, room, inner, self.from_room, self.lock)
        self._pump(inner, room, self.from_clients, self.lock)
