"""A TCP proxy for tests that can cut connections the way a network blip does.

:class:`CutProxy` listens on 127.0.0.1 port 0 and forwards each accepted
connection to ``target`` over a connection of its own. :meth:`CutProxy.cut`
closes the client-facing side of every current link. With ``keep_ghost=True``
the server-facing side stays open, so the server still believes the client is
there (as when the client noticed a dead network before the server did); what
the server sends to such a ghost is read and discarded until
:meth:`CutProxy.release` closes it. While :attr:`CutProxy.accepting` is False,
new connections are accepted and closed at once (the network is still down).

One thread and one selector; registrations change only under a lock, so the
test thread may call ``cut``/``release`` at any time.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from types import TracebackType


class CutProxy:
    """Forward 127.0.0.1:PORT to ``target``; cut links on demand."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.setblocking(False)
        self.address: tuple[str, int] = self._listener.getsockname()[:2]
        self._sel = selectors.DefaultSelector()
        self._sel.register(self._listener, selectors.EVENT_READ)
        self._lock = threading.Lock()
        self._other: dict[socket.socket, socket.socket] = {}  # each live side -> its partner
        self._clients: set[socket.socket] = set()  # the client-facing sides
        self._ghosts: set[socket.socket] = set()  # server-facing sides kept after a cut
        self._stopping = False
        #: False: new connections are closed at once.
        self.accepting = True
        #: Links made so far (one per accepted client connection).
        self.links = 0
        self._thread = threading.Thread(target=self._run, name="test-cutproxy", daemon=True)

    def __enter__(self) -> CutProxy:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stopping = True
        self._thread.join(2.0)
        with self._lock:
            for sock in [*self._other, *self._ghosts, self._listener]:
                sock.close()
            self._other.clear()
            self._ghosts.clear()
        self._sel.close()

    # --- test controls ---------------------------------------------------------------

    def cut(self, *, keep_ghost: bool) -> None:
        """Close every client-facing side; keep the server-facing ones as ghosts or close them."""
        with self._lock:
            for down in list(self._clients):
                up = self._other.pop(down)
                del self._other[up]
                self._clients.discard(down)
                self._forget(down)
                if keep_ghost:
                    self._ghosts.add(up)
                else:
                    self._forget(up)

    def release(self) -> None:
        """Close the ghosts: the server finally sees those connections end."""
        with self._lock:
            for up in list(self._ghosts):
                self._ghosts.discard(up)
                self._forget(up)

    # --- the loop --------------------------------------------------------------------

    def _forget(self, sock: socket.socket) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._sel.unregister(sock)
        sock.close()

    def _run(self) -> None:
        while not self._stopping:
            ready = self._sel.select(0.02)
            with self._lock:
                for key, _ in ready:
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    if sock is self._listener:
                        self._accept()
                    elif sock in self._other:
                        self._forward(sock)
                    elif sock in self._ghosts:
                        self._discard(sock)

    def _accept(self) -> None:
        try:
            down, _ = self._listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        if not self.accepting:
            down.close()
            return
        try:
            up = socket.create_connection(self.target, timeout=2.0)
        except OSError:
            down.close()
            return
        self.links += 1
        for sock in (down, up):
            sock.settimeout(2.0)  # sends are small and local; reads happen when ready
            self._sel.register(sock, selectors.EVENT_READ)
        self._other[down] = up
        self._other[up] = down
        self._clients.add(down)

    def _forward(self, sock: socket.socket) -> None:
        other = self._other[sock]
        try:
            data = sock.recv(65536)
            if data:
                other.sendall(data)
                return
        except OSError:
            pass
        # One side ended: end the link, as a real path would.
        for end in (sock, other):
            self._other.pop(end, None)
            self._clients.discard(end)
            self._forget(end)

    def _discard(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            self._ghosts.discard(sock)
            self._forget(sock)
