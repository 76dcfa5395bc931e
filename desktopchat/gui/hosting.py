"""Hosting a room from the window: the server, its identity, the invitation, announcing (no Tk).

:class:`HostingSteps` is a mixin of :class:`~.presenter.Presenter`: its
:meth:`~HostingSteps.host` loads this machine's room identity (the
``cryptography`` package is imported only now, and only the first time, when
the certificate is made), starts an encrypted :class:`RoomServer` on
``0.0.0.0:PORT``, and joins it pinned by its own fingerprint. A
:class:`HostedRoom` holds what comes with it, through the same
:class:`desktopchat.net.hosting.Publicity` as ``--serve``:

* the :class:`~desktopchat.net.invite.Invitation` the window shows with a
  Copy button (addresses, short fingerprint, password needed, the link);
* the DNS-SD announcement (when the host ticked "Announce on this network"),
  its member count kept current by Publicity's own thread;
* the reachability check, run on its own thread; its problems come back
  through a queue that :meth:`HostingSteps.hosting_tick` drains (the window
  calls it every :data:`TICK_MS` with ``after()``), and each is shown once as
  an error line in the transcript and as the status bar's hosting warning.

Announcing and checking reach the real network, so they are off unless the
presenter was given :class:`LanServices` (the window's ``gui.run`` does;
tests pass stand-ins or nothing). Hosting ends (Leave, Quit, joining another
room) with :meth:`HostedRoom.close`: the announcer says goodbye on its thread.
"""

from __future__ import annotations

import errno
import logging
import queue
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from desktopchat.address import format_address
from desktopchat.fileopts import DEFAULT_MAX_FILE_SIZE

if TYPE_CHECKING:
    from desktopchat.gui.presenter import View
    from desktopchat.net.invite import Invitation
    from desktopchat.server import RoomServer

__all__ = ["TICK_MS", "HostOptions", "HostedRoom", "HostingSteps", "HostingView", "LanServices"]

log = logging.getLogger(__name__)

#: How often the window looks for the reachability check's result (ms).
TICK_MS = 3000


#: Seconds between opening the join dialog and starting to browse (see LanServices.real).
BROWSE_START_DELAY = 0.4


@dataclass(frozen=True)
class HostOptions:
    """The Host room… dialog's choices beyond name, port and password."""

    room_name: str = ""  # "" = "<name>'s room"
    encrypted_only: bool = False
    announce: bool = True
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # 0 = the room takes no files
    file_senders: frozenset[str] | None = None  # None = everyone may send files


class HostingView(Protocol):
    """What the presenter asks of the window about the hosted room (Tk thread)."""

    def show_invitation(self, invitation: Invitation) -> None: ...
    def host_warning(self, text: str) -> None: ...


class AnnouncerLike(Protocol):
    """What hosting needs of :class:`desktopchat.net.discovery.Announcer`."""

    def start(self) -> None: ...
    def update(self, members: int) -> None: ...
    def close(self, timeout: float = 0.0) -> bool: ...


#: Makes an announcer: (room_name, port, fingerprint, password_needed, encrypted_only,
#: addresses, members=N), as :class:`desktopchat.net.discovery.Announcer`.
AnnouncerFactory = Callable[..., AnnouncerLike]


#: ``check(bound, addresses, on_done, timeout)``: the reachability check, off the Tk thread.
Checker = Callable[
    [tuple[str, int], Sequence[tuple[str, int]] | None, Callable[[list[Any]], None], float],
    object,
]


@dataclass(frozen=True)
class LanServices:
    """The parts of hosting that reach the real network (None: that part is off)."""

    announcer: AnnouncerFactory | None = None
    check: Checker | None = None
    #: Makes the join dialog's "Rooms on this network" browser (a Browser).
    browser: Callable[[], Any] | None = None

    @classmethod
    def real(cls) -> LanServices:
        """Announce and browse with zeroconf, check with :mod:`desktopchat.net.reachability`.

        The modules are imported when first used, not at start-up.
        """

        def announcer(*args: Any, **kwargs: Any) -> AnnouncerLike:
            from desktopchat.net.discovery import Announcer

            return Announcer(*args, **kwargs)

        def check(*args: Any) -> object:
            from desktopchat.net.reachability import start_check

            return start_check(*args)

        def browser() -> Any:
            from desktopchat.net.discovery import Browser

            # Started a moment after the join dialog: zeroconf's import then
            # does not compete with the window's first paint.
            return Browser(start_delay=BROWSE_START_DELAY)

        return cls(announcer=announcer, check=check, browser=browser)


def room_name_for(options: HostOptions, person: str) -> str:
    """The room's name: the one typed, else "<name>'s room"."""
    return options.room_name or f"{person}'s room"


class HostedRoom:
    """A room hosted from this window, beside its server (see the module docstring).

    The invitation, the announcement (its member count kept current on a
    thread of its own) and the reachability check are
    :class:`desktopchat.net.hosting.Publicity`'s, as for ``--serve``; this
    class hands the check's problems to the Tk thread (:meth:`tick`).
    """

    def __init__(
        self,
        server: RoomServer,
        room_name: str,
        password_needed: bool,
        options: HostOptions,
        lan: LanServices,
    ) -> None:
        from desktopchat.net.hosting import Publicity
        from desktopchat.net.reachability import start_check

        self.server = server
        self.room_name = room_name
        self.problems: list[str] = []  # every reachability problem reported so far
        self._results: queue.SimpleQueue[list[Any]] = queue.SimpleQueue()
        self.publicity = Publicity(
            server,
            room_name,
            password_needed=password_needed,
            encrypted_only=options.encrypted_only,
            announce=options.announce and lan.announcer is not None,
            on_problems=self._results.put if lan.check is not None else None,
            announcer_factory=lan.announcer,
            check=lan.check or start_check,
        )
        self.endpoints = self.publicity.endpoints
        self.invitation: Invitation = self.publicity.invitation

    @property
    def addresses(self) -> list[str]:
        """Where others join, ``host:port``, the best first."""
        return [format_address(h, p) for h, p in self.endpoints]

    def start(self) -> None:
        """Start announcing and the reachability check (both return at once)."""
        self.publicity.start()

    def tick(self) -> list[str]:
        """The reachability problems found since the last tick (Tk thread)."""
        found: list[str] = []
        while True:
            try:
                found.extend(str(problem) for problem in self._results.get_nowait())
            except queue.Empty:
                break
        self.problems.extend(found)
        return found

    def close(self) -> None:
        """Stop announcing (goodbyes go out on the announcer's thread)."""
        self.publicity.close(0.0)


def open_server(
    factory: Callable[..., RoomServer] | None, port: int, password: str | None, options: HostOptions
) -> tuple[RoomServer, str | None] | str:
    """An encrypted room on 0.0.0.0:PORT (not started) and what its saved history's
    opening found (a sentence or None), or a sentence saying why not."""
    from desktopchat.net.tls import IdentityError, load_or_create_identity
    from desktopchat.server import RoomServer
    from desktopchat.server.sqlitestore import open_hosted_history

    try:
        identity = load_or_create_identity()
    except IdentityError as exc:
        return str(exc)
    except OSError as exc:
        return f"Cannot keep the room's identity (its certificate): {exc.strerror or exc}."
    store = open_hosted_history(port)  # saved history in the data folder (not for port 0)
    if isinstance(store, str):
        return store
    try:
        server = (factory or RoomServer)(
            "0.0.0.0",
            port,
            password=password or None,
            identity=identity,
            encrypted_only=options.encrypted_only,
            store=store,
            max_file_size=options.max_file_size,
            file_senders=options.file_senders,
        )
        log.info("hosting a room on port %d", server.address[1])
        return server, None if store is None else store.notice
    except OSError as exc:
        if store is not None:
            store.close()
        log.info("cannot host on port %s: %s", port, exc)
        if exc.errno == errno.EADDRINUSE:
            return f"Port {port} is already in use. Choose another port, or 0 for any free port."
        return f"Cannot host on port {port}: {exc.strerror or exc}."


class HostingSteps:
    """The presenter's hosting steps (a mixin of :class:`Presenter`)."""

    if TYPE_CHECKING:  # provided by Presenter
        view: View
        server: RoomServer | None
        hosting_addresses: list[str]
        _server_factory: Callable[..., RoomServer] | None
        lan: LanServices

        def join(
            self,
            host: str,
            port: int,
            name: str,
            password: str | None = None,
            pin: str | None = None,
            room_name: str | None = None,
        ) -> None: ...
        def leave(self, wait: float = 0.0) -> None: ...
        def _event(self, text: str, when: float | None = None) -> None: ...
        def _error(self, text: str) -> None: ...

    #: The room hosted from this window, with its invitation (None when not hosting).
    hosted: HostedRoom | None = None

    def host(
        self, port: int, name: str, password: str | None, options: HostOptions | None = None
    ) -> str | None:
        """Start a room on 0.0.0.0:PORT and join it; return an error sentence or None."""
        options = options or HostOptions()
        if self.server is not None and int(self.server.address[1]) == port:
            self.leave(wait=1.0)  # re-hosting on our own port: it must be free first
        opened = open_server(self._server_factory, port, password, options)
        if isinstance(opened, str):
            return opened
        self.leave()  # one room at a time: hosting ends the room we were in
        server, history_notice = opened
        server.start()
        self.server = server
        room_name = room_name_for(options, name)
        hosted = HostedRoom(server, room_name, bool(password), options, self.lan)
        self.hosted = hosted
        self.hosting_addresses = hosted.addresses
        self.view.set_hosting(self.hosting_addresses)
        only = " (encrypted connections only)" if options.encrypted_only else ""
        self._event(
            f'Hosting "{room_name}" on port {server.address[1]}{only}. '
            "Invite people with the invitation: Room ▸ Invite people…"
        )
        if history_notice is not None:  # saved history damaged or left unclean
            self._error(history_notice)
        self.view.show_invitation(hosted.invitation)
        hosted.start()
        self.join(
            "127.0.0.1", int(server.address[1]), name, password, server.fingerprint, room_name
        )
        return None

    def hosting_tick(self) -> None:
        """The window's timer: show the reachability problems found since the last tick."""
        hosted = self.hosted
        if hosted is None:
            return
        for problem in hosted.tick():
            self._error(problem)
            self.view.host_warning(problem)

    def _stop_hosting(self) -> None:
        hosted, self.hosted = self.hosted, None
        if hosted is not None:
            hosted.close()
