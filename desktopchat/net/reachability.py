"""Can others reach a room hosted here? A check from this machine, with sentences to act on.

:func:`check_reachability` looks at where the room listens and connects to
it on every address it tells people to use (all at once, each with a short
timeout), and returns a :class:`Problem` for each way others would fail:

* the room listens on a loopback address only (nobody else can join);
* this machine has no network address but 127.0.0.1;
* an address refuses the connection (nothing listens there, or a firewall
  rejects it);
* an address does not answer in time (a firewall drops the packets);
* an address cannot be used at all (it went away, no route).

It blocks for up to ``timeout`` seconds: the window calls :func:`start_check`,
which runs it on its own thread and hands the result to a callback (which
must not touch Tk: post it to the window's queue). A check from this machine
cannot see everything: a firewall that trusts connections from this machine
itself, or a router between networks, can still keep others out.
"""

from __future__ import annotations

import enum
import errno
import os
import selectors
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from desktopchat.address import format_address
from desktopchat.net.lan import is_loopback, join_endpoints

__all__ = ["DEFAULT_TIMEOUT", "Problem", "Trouble", "check_reachability", "probe", "start_check"]

#: Seconds to wait for the addresses (all probed at once): this machine
#: answers itself in milliseconds, but Windows retries a refused connect for
#: about a second before saying so; longer than 2 s can only mean dropped packets.
DEFAULT_TIMEOUT = 2.0


class Trouble(enum.Enum):
    """What kind of problem a :class:`Problem` is."""

    LOOPBACK_ONLY = "loopback only"
    NO_NETWORK = "no network address"
    REFUSED = "refused"
    TIMED_OUT = "timed out"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Problem:
    """One reason others cannot join; ``message`` is a sentence a person can act on."""

    trouble: Trouble
    #: The address that failed (None for the room as a whole).
    address: tuple[str, int] | None
    message: str

    def __str__(self) -> str:
        return self.message


def check_reachability(
    bound: tuple[str, int],
    addresses: Sequence[tuple[str, int]] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[Problem]:
    """Return what keeps others from joining a room listening on ``bound``.

    ``addresses`` are those the room tells people to use (default: what
    :func:`~desktopchat.net.lan.join_endpoints` lists for ``bound``). An empty
    list means every one of them works, as far as this machine can tell.
    """
    host, port = bound[0], int(bound[1])
    if addresses is None:
        addresses = join_endpoints((host, port))
    if is_loopback(host):
        return [
            Problem(
                Trouble.LOOPBACK_ONLY,
                None,
                f"The room listens on {host} only, so nobody on another computer can join: "
                "listen on all addresses (--bind 0.0.0.0) or on this computer's network address.",
            )
        ]
    outside = [a for a in addresses if not is_loopback(a[0])]
    if not outside:
        return [
            Problem(
                Trouble.NO_NETWORK,
                None,
                "This computer has no network address besides 127.0.0.1, so only programs on "
                "this computer can join: connect it to a network, then host the room again.",
            )
        ]
    outcomes = probe(outside, timeout)
    return [problem for a in outside if (problem := _problem(a, outcomes[a])) is not None]


def start_check(
    bound: tuple[str, int],
    addresses: Sequence[tuple[str, int]] | None,
    on_done: Callable[[list[Problem]], None],
    timeout: float = DEFAULT_TIMEOUT,
) -> threading.Thread:
    """Run :func:`check_reachability` on a daemon thread; ``on_done`` gets the problems there."""
    listed = None if addresses is None else list(addresses)

    def run() -> None:
        on_done(check_reachability(bound, listed, timeout))

    thread = threading.Thread(target=run, name="desktopchat-reachability", daemon=True)
    thread.start()
    return thread


def _problem(address: tuple[str, int], outcome: int | None) -> Problem | None:
    host, port = address
    where = f"Others cannot reach this room on {format_address(host, port)}"
    if outcome is None:
        return None
    if outcome == errno.ETIMEDOUT:
        return Problem(
            Trouble.TIMED_OUT,
            address,
            f"{where}: the connection timed out (a firewall may be blocking port {port}; "
            "allow desktopchat through it).",
        )
    if outcome == errno.ECONNREFUSED:
        return Problem(
            Trouble.REFUSED,
            address,
            f"{where}: the connection was refused (a firewall may be rejecting port {port}; "
            "allow desktopchat through it).",
        )
    reason = os.strerror(outcome)
    return Problem(
        Trouble.UNREACHABLE,
        address,
        f"{where}: {reason[:1].lower()}{reason[1:]} (the address may have changed: check the "
        "network connection, then host the room again).",
    )


def probe(
    addresses: Sequence[tuple[str, int]], timeout: float
) -> dict[tuple[str, int], int | None]:
    """Connect to every address at once, for up to ``timeout`` seconds in all.

    Returns each address's outcome: None if it accepted, else an errno
    (``ECONNREFUSED``, ``ETIMEDOUT`` when it did not answer in time, ...).
    """
    outcomes: dict[tuple[str, int], int | None] = {}
    waiting: dict[tuple[str, int], socket.socket] = {}
    with selectors.DefaultSelector() as selector:
        try:
            for address in dict.fromkeys(addresses):
                family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
                try:
                    sock = socket.socket(family, socket.SOCK_STREAM)
                except OSError as exc:
                    outcomes[address] = exc.errno or errno.EINVAL
                    continue
                sock.setblocking(False)
                code = sock.connect_ex(address)
                if code in (0, errno.EINPROGRESS, errno.EWOULDBLOCK):
                    waiting[address] = sock
                    selector.register(sock, selectors.EVENT_WRITE, address)
                else:
                    outcomes[address] = code
                    sock.close()
            deadline = time.monotonic() + timeout
            while waiting and (left := deadline - time.monotonic()) > 0:
                for key, _ in selector.select(left):
                    sock = waiting.pop(key.data)
                    code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    outcomes[key.data] = code or None
                    selector.unregister(sock)
                    sock.close()
        finally:
            for address, sock in waiting.items():
                outcomes.setdefault(address, errno.ETIMEDOUT)
                sock.close()
    return outcomes
