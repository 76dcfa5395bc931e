"""Test helpers: a tutorial-style relay server and a ChatClient event reader.

:class:`Relay` behaves like the socket-chat tutorial's server as seen on the
wire -- it reads a name frame from each connection and relays every later
message to everyone else as a (name, message) pair, and it sends *no* room
events at all (no ``*welcome``, ``*join``...). Unlike the tutorial it is
written to be dependable in tests: non-blocking sockets on a selector, one
:class:`~desktopchat.protocol.FrameDecoder` and one out-buffer per connection,
a socketpair to stop it from another thread, and it binds 127.0.0.1 port 0.

:class:`EventLog` reads a ChatClient's event queue with timeouts (no sleeps)
and keeps everything it saw, so a failing assertion can show the history.
"""

from __future__ import annotations

import contextlib
import queue
import selectors
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

from desktopchat import protocol
from desktopchat.client import ChatClient
from desktopchat.protocol import events as ev

E = TypeVar("E", bound=ev.Event)

#: What the ``make_client`` fixture (conftest) yields: ``make(address, name, **options)``.
MakeClient = Callable[..., ChatClient]


class Relay:
    """A room server without events, like the tutorial's, on a thread.

    Use as a context manager: ``with Relay() as relay: relay.address``.
    ``port`` may name a fixed port (to restart on the same one).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._listener = socket.create_server((host, port), reuse_port=False)
        self._listener.setblocking(False)
        self.address: tuple[str, int] = self._listener.getsockname()[:2]
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._sel = selectors.DefaultSelector()
        self._thread = threading.Thread(target=self._run, name="test-relay", daemon=True)
        # Per connection: (decoder, [name] once its name frame came, out-buffer)
        self._conns: dict[socket.socket, tuple[protocol.FrameDecoder, list[str], bytearray]] = {}
        self._stopping = False
        #: Every (name, message) relayed, in order, for assertions.
        self.relayed: list[tuple[str, str]] = []

    # --- lifecycle -----------------------------------------------------------------

    def start(self) -> None:
        self._sel.register(self._listener, selectors.EVENT_READ)
        self._sel.register(self._wake_r, selectors.EVENT_READ)
        self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        self._stopping = True
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")
        if self._thread.is_alive():
            self._thread.join(timeout)
            assert not self._thread.is_alive(), "relay thread did not stop"
        for sock in list(self._conns):
            sock.close()
        self._conns.clear()
        self._listener.close()
        self._wake_r.close()
        self._wake_w.close()
        self._sel.close()

    def __enter__(self) -> Relay:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def names(self) -> list[str]:
        """Names of the connections that have sent their name frame."""
        return [name[0] for _, name, _ in list(self._conns.values()) if name]

    # --- the loop -----------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping:
            for key, mask in self._sel.select():
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if sock is self._wake_r:
                    continue
                if sock is self._listener:
                    self._accept()
                    continue
                if mask & selectors.EVENT_WRITE:
                    self._flush(sock)
                if mask & selectors.EVENT_READ and sock in self._conns:
                    self._read(sock)

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            sock.setblocking(False)
            self._conns[sock] = (protocol.FrameDecoder(), [], bytearray())
            self._sel.register(sock, selectors.EVENT_READ)

    def _drop(self, sock: socket.socket) -> None:
        self._sel.unregister(sock)
        del self._conns[sock]
        sock.close()

    def _read(self, sock: socket.socket) -> None:
        decoder, name, _ = self._conns[sock]
        try:
            data = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._drop(sock)
            return
        try:
            decoder.receive_data(data)
            frames = list(decoder)
        except protocol.ProtocolError:
            self._drop(sock)
            return
        for frame in frames:
            if not name:
                name.append(frame.decode("utf-8", "replace"))
                continue
            self.relayed.append((name[0], frame.decode("utf-8", "replace")))
            pair = protocol.encode_frame(name[0]) + protocol.encode_frame(frame)
            for other, (_, other_name, out) in self._conns.items():
                if other is not sock and other_name:
                    was_empty = not out
                    out += pair
                    if was_empty:
                        self._flush(other)

    def _flush(self, sock: socket.socket) -> None:
        out = self._conns[sock][2]
        try:
            while out:
                del out[: sock.send(out)]
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            out.clear()
        mask = selectors.EVENT_READ | (selectors.EVENT_WRITE if out else 0)
        self._sel.modify(sock, mask)


class EventLog:
    """Reads events from a client's queue with a timeout and remembers them all."""

    def __init__(self, events: queue.Queue[ev.Event]) -> None:
        self.queue = events
        self.seen: list[ev.Event] = []

    def next(self, timeout: float = 5.0) -> ev.Event:
        try:
            event = self.queue.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no event within {timeout} s; seen so far: {self.seen}") from None
        self.seen.append(event)
        return event

    def wait_for(
        self,
        kind: type[E],
        where: Callable[[E], bool] = lambda e: True,
        timeout: float = 5.0,
        *,
        allow_failed: bool = False,
    ) -> E:
        """Read events until one of ``kind`` matching ``where`` arrives; return it.

        A ``Failed`` event on the way fails the test unless ``kind`` is
        ``Failed`` or ``allow_failed`` is set.
        """
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {kind.__name__} within {timeout} s; seen: {self.seen}")
            event = self.next(remaining)
            if isinstance(event, kind) and where(event):
                return event
            if isinstance(event, ev.Failed) and not allow_failed:
                raise AssertionError(f"client failed while waiting for {kind.__name__}: {event}")

    def drain(self) -> list[ev.Event]:
        """Return the events waiting right now (without waiting for more)."""
        got: list[ev.Event] = []
        while True:
            try:
                event = self.queue.get_nowait()
            except queue.Empty:
                return got
            self.seen.append(event)
            got.append(event)
