"""Starting and stopping a serving loop: on a thread of its own or the caller's.

:class:`Lifecycle` is the part of :class:`~desktopchat.server.loop.RoomServer`
that other threads and signal handlers touch: start, stop, join. The loop
supplies one pass (``_pass``), the room-closed goodbye (``_shutdown``) and the
release of its sockets (``_close_resources``).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import threading
from types import TracebackType
from typing import TypeVar

__all__ = ["Lifecycle"]

log = logging.getLogger(__name__)

_Self = TypeVar("_Self", bound="Lifecycle")


class Lifecycle:
    """Start, serve, stop and join; a wakeup socketpair interrupts the loop's select."""

    address: tuple[str, int]

    def __init__(self) -> None:
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        # Re-entrant: stop() may run in a signal handler on the serving thread.
        self._lock = threading.RLock()
        self._stop_requested = False
        self._stop_signal: int | None = None
        self._serving = False
        self._finished = False
        self._loop_thread: int | None = None
        self._thread: threading.Thread | None = None

    # --- supplied by the loop -------------------------------------------------------------

    def _pass(self) -> None:
        raise NotImplementedError

    def _shutdown(self) -> None:
        raise NotImplementedError

    def _close_resources(self) -> None:
        raise NotImplementedError

    # --- public API -------------------------------------------------------------------

    def start(self) -> None:
        """Serve on a background thread named ``desktopchat-server``."""
        with self._lock:
            if self._thread is not None or self._serving or self._finished:
                raise RuntimeError("server already started")
            self._thread = threading.Thread(
                target=self.serve_forever, name="desktopchat-server", daemon=True
            )
        self._thread.start()

    def serve_forever(self) -> None:
        """Serve in the calling thread until :meth:`stop`."""
        with self._lock:
            if self._serving or self._finished:
                raise RuntimeError("server already serving or stopped")
            self._serving = True
            self._loop_thread = threading.get_ident()
        log.debug("serving on %s:%d", *self.address)
        try:
            self._loop()
            self._shutdown()
        finally:
            self._release()

    def request_stop(self, signum: int | None = None) -> None:
        """Ask the loop to close the room; returns at once. Safe in a signal handler.

        Only a flag and one byte on the wakeup socketpair: no lock, no logging
        (a handler that logs can hit "reentrant call" on the stream the
        interrupted code was writing, and the stop would never happen). The
        loop logs ``signum`` itself.
        """
        if signum is not None:
            self._stop_signal = signum
        self._stop_requested = True
        # OSError: already closed, or the pipe is full so a wakeup is pending anyway.
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def stop(self, timeout: float = 1.0) -> None:
        """Close the room: every client gets the room-closed notice, then close.

        Callable from any thread. Waits for the background thread for up to
        ``timeout`` seconds (0: not at all; :meth:`join` waits later). Calling
        it again does nothing more.
        """
        with self._lock:
            serving = self._serving
            thread = self._thread
        self.request_stop()
        if not serving and thread is None:
            self._release()
        if timeout > 0:
            self.join(timeout)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the background thread to end; True if it has (or never ran)."""
        thread = self._thread
        if (
            thread is None
            or thread.ident == threading.get_ident()
            or self._loop_thread == threading.get_ident()
        ):
            return thread is None or not thread.is_alive()
        thread.join(timeout)
        return not thread.is_alive()

    def __enter__(self: _Self) -> _Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- the loop ------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop_requested:
            self._pass()
        if self._stop_signal is not None:
            log.info("%s received: closing the room", signal.Signals(self._stop_signal).name)

    def _drain_wakeup(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    def _release(self) -> None:
        """Close everything (idempotent)."""
        with self._lock:
            if self._finished:
                return
            self._finished = True
            self._serving = False
        self._close_resources()
        self._wake_r.close()
        self._wake_w.close()
