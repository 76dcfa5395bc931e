"""Opening a TCP connection that the network thread can abandon at any moment.

:func:`connect_any` tries each address with a non-blocking connect and waits
in a selector that also watches the thread's wakeup socket, so ``close()``
interrupts even a connect to a host that never answers. :func:`describe`
words a socket error for a person.
"""

from __future__ import annotations

import errno
import os
import selectors
import socket
import time
from collections.abc import Callable, Sequence
from typing import Any

from desktopchat import sockopts

__all__ = ["connect_any", "describe"]

# connect_ex() results that mean "in progress" on Linux, macOS and Windows.
_CONNECT_PENDING = frozenset(
    {0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN, errno.EALREADY, 10035}
)


def describe(exc: BaseException) -> str:
    """Return a short, lower-case reason for a socket error."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, socket.gaierror):
        return f"host not found ({exc.strerror or exc})"
    if isinstance(exc, ConnectionResetError):
        return "connection reset by the server"
    if isinstance(exc, BrokenPipeError):
        return "connection closed by the server"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__


def connect_any(
    infos: Sequence[tuple[Any, ...]],
    timeout: float,
    wake: socket.socket,
    on_wake: Callable[[], None],
) -> socket.socket:
    """Connect to the first address of ``infos`` that answers within ``timeout`` s.

    ``on_wake`` is called when ``wake`` becomes readable (it raises to give
    up). Returns a non-blocking socket with the project's socket options;
    raises the last OSError when no address worked.
    """
    deadline = time.monotonic() + timeout
    last: OSError = ConnectionRefusedError()
    for family, kind, proto, _, addr in infos:
        sock = socket.socket(family, kind, proto)
        try:
            sock.setblocking(False)
            code = sock.connect_ex(addr)
            if code not in _CONNECT_PENDING:
                raise OSError(code, os.strerror(code))
            if code != 0:
                _await_connect(sock, deadline, wake, on_wake)
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                raise OSError(code, os.strerror(code))
        except OSError as exc:
            sock.close()
            last = ConnectionRefusedError() if exc.errno == errno.ECONNREFUSED else exc
            continue
        except BaseException:
            sock.close()
            raise
        sockopts.tune(sock)
        return sock
    raise last


def _await_connect(
    sock: socket.socket, deadline: float, wake: socket.socket, on_wake: Callable[[], None]
) -> None:
    with selectors.DefaultSelector() as sel:
        sel.register(sock, selectors.EVENT_WRITE)
        sel.register(wake, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("timed out")
            for key, _ in sel.select(remaining):
                if key.fileobj is wake:
                    on_wake()
                else:
                    return
