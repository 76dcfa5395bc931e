"""What a hosted room tells the world: its invitation, its announcement, its reachability.

:class:`Publicity` is started once a room server listens (``--serve``, and
the window when it hosts). It holds the :class:`~desktopchat.net.invite.Invitation`
for the addresses others can use, announces the room over DNS-SD
(:class:`desktopchat.net.discovery.Announcer`, unless told not to) and keeps
the announced member count current, and runs the reachability check
(:mod:`desktopchat.net.reachability`) on its own thread, handing the problems
found to a callback. A room on several servers (``--serve --redis``) also
passes ``peers``: its id and its other servers' addresses, read again with
the member count, so the announcement lists the room's servers as they come
and go (``alt`` and ``room`` in docs/PROTOCOL.md, "Discovery"). Nothing here
blocks the caller; the server is only read (``address``, ``fingerprint``,
``member_count``), never imported.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from desktopchat.net.invite import Invitation
from desktopchat.net.lan import is_loopback, join_endpoints
from desktopchat.net.reachability import DEFAULT_TIMEOUT, Problem, start_check

if TYPE_CHECKING:
    from desktopchat.net.discovery import Announcer

__all__ = ["MEMBER_POLL", "HostedServer", "Peers", "Publicity"]

log = logging.getLogger(__name__)

#: Seconds between two looks at the member count for the announcement (the
#: announcer itself rate-limits what it sends).
MEMBER_POLL = 2.0

#: A room on several servers: returns the room's id (``roomrecord.room_id``)
#: and every other server's addresses; may block briefly, may raise (then the
#: last answer stands). Called on :meth:`Publicity.start` and on its thread.
Peers = Callable[[], tuple[str, Sequence[tuple[str, int]]]]


class HostedServer(Protocol):
    """What :class:`Publicity` reads of a room server (``RoomServer`` has it)."""

    @property
    def address(self) -> tuple[str, int]: ...

    @property
    def fingerprint(self) -> str | None: ...

    @property
    def member_count(self) -> int: ...


class Publicity:
    """A hosted room's invitation, DNS-SD announcement and reachability check."""

    def __init__(
        self,
        server: HostedServer,
        room_name: str,
        *,
        password_needed: bool,
        encrypted_only: bool = False,
        announce: bool = True,
        on_problems: Callable[[list[Problem]], None] | None = None,
        check_timeout: float = DEFAULT_TIMEOUT,
        member_poll: float = MEMBER_POLL,
        announcer_factory: Callable[..., Any] | None = None,
        check: Callable[..., object] = start_check,
        peers: Peers | None = None,
    ) -> None:
        """``announcer_factory`` (default: the zeroconf Announcer) and ``check``
        (default: reachability.start_check) are for tests, which must not send
        multicast or probe the machine's real addresses."""
        self._server = server
        host, port = server.address[0], int(server.address[1])
        self.endpoints = join_endpoints((host, port))
        self.invitation = Invitation(
            room_name,
            self.endpoints,
            server.fingerprint,
            password_needed=password_needed,
            encrypted_only=encrypted_only,
        )
        self._announce = announce
        self._on_problems = on_problems
        self._check_timeout = check_timeout
        self._member_poll = member_poll
        self._announcer_factory = announcer_factory
        self._check = check
        self._peers = peers
        #: What ``peers`` said last: the announcer's ``room`` and ``alternatives``.
        self._group: dict[str, Any] = {"room": "", "alternatives": ()}
        self._stop = threading.Event()
        self._announcer: Announcer | None = None
        self._watcher: threading.Thread | None = None
        #: Why the room is not announced (None while it is, or before start()).
        self.not_announced: str | None = None

    def start(self) -> None:
        """Start the reachability check and the announcement; returns at once."""
        if self._on_problems is not None:
            self._check(
                self._server.address, self.endpoints, self._on_problems, self._check_timeout
            )
        self.not_announced = self._why_not_announce()
        if self.not_announced is not None:
            log.info("room not announced on the network: %s", self.not_announced)
            return
        fingerprint = self._server.fingerprint
        assert fingerprint is not None  # _why_not_announce checked it
        group = {} if self._peers is None else self._read_peers()
        inv = self.invitation
        factory: Callable[..., Any]
        if self._announcer_factory is not None:
            factory = self._announcer_factory
        else:
            from desktopchat.net.discovery import Announcer

            factory = Announcer
        self._announcer = factory(
            inv.room_name,
            self.endpoints[0][1],
            fingerprint,
            inv.password_needed,
            inv.encrypted_only,
            [host for host, _ in self.endpoints],
            members=self._server.member_count,
            **group,
        )
        self._announcer.start()
        self._watcher = threading.Thread(
            target=self._watch_members, name="desktopchat-members", daemon=True
        )
        self._watcher.start()

    def close(self, timeout: float = 0.0) -> None:
        """Stop announcing (goodbye packets); waits at most ``timeout`` seconds for that."""
        self._stop.set()
        if self._announcer is not None:
            self._announcer.close(timeout)

    def _why_not_announce(self) -> str | None:
        if not self._announce:
            return "announcing is turned off (--no-announce)"
        if self._server.fingerprint is None:
            return "the room has no certificate (announced rooms are encrypted)"
        if is_loopback(self._server.address[0]):
            return f"the room listens on {self._server.address[0]} only"
        if all(is_loopback(host) for host, _ in self.endpoints):
            return "this computer has no network address besides 127.0.0.1"
        return None

    def _read_peers(self) -> dict[str, Any]:
        """The announcer's ``room`` and ``alternatives`` now (as last time if unreadable)."""
        assert self._peers is not None
        try:
            room, addresses = self._peers()
        except Exception as exc:  # Redis away for a moment: the servers stay as announced
            log.debug("cannot read the room's other servers: %s", exc)
            return self._group
        ours = set(self.endpoints)
        others = tuple((host, port) for host, port in addresses if (host, port) not in ours)
        self._group = {"room": room, "alternatives": others}
        return self._group

    def _watch_members(self) -> None:
        announcer = self._announcer
        while announcer is not None and not self._stop.wait(self._member_poll):
            if self._peers is None:
                announcer.update(self._server.member_count)
            else:
                announcer.update(self._server.member_count, **self._read_peers())
