"""Moving between rooms without losing the one you are in (no Tk).

:class:`RoomSwitch` is the presenter's helper for Room ▸ Join room… while in
a room: the new room is joined with a second
:class:`~desktopchat.client.ChatClient` first, and the old room is left only
when the new one let us in (``Connected``). Until then the old room goes on
as before (its lines, its sending); a failure -- refused, wrong password,
nothing listening, dropped before the welcome -- closes only the attempt and
says so, and the old room stays. Starting another join replaces a waiting
one; Leave and Quit cancel it. When we host and join elsewhere, the hosted
room closes only once the new room accepted us.

The attempt's events reach :meth:`RoomSwitch.handle` through a pump of their
own (the window drains :meth:`RoomSwitch.events`). Events before
``Connected`` (a welcome text, a room notice) are kept and shown after the
switch, in order; after ``Connected`` the client is the presenter's and its
queue the main pump's.

:class:`Roster` counts who is in the room from its live events, for the
question the window asks before the host leaves a room with others in it
(:meth:`RoomSwitch.hosting_question`).
"""

from __future__ import annotations

import logging
import queue
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from desktopchat.inbox import EventQueue
from desktopchat.protocol import events as ev
from desktopchat.protocol import name_key

if TYPE_CHECKING:
    from desktopchat.client import ChatClient
    from desktopchat.gui.presenter import Presenter

__all__ = ["MAX_EARLY_EVENTS", "PendingJoin", "RoomSwitch", "Roster", "hosting_question"]

log = logging.getLogger(__name__)

#: Events kept from a join attempt before the room let us in (a welcome, a few
#: notices): a room that sends more than this before its welcome is not worth
#: remembering it all for.
MAX_EARLY_EVENTS = 64


def hosting_question(others: int, verb: str = "Leaving") -> str | None:
    """The question before closing a room we host with ``others`` in it (None: no one)."""
    if others <= 0:
        return None
    people = "1 person is" if others == 1 else f"{others} people are"
    return f"{people} in the room you host. {verb} closes it for everyone."


class Roster:
    """The names in the current room, from its live events (never from replays)."""

    def __init__(self) -> None:
        self._keys: set[str] = set()

    def clear(self) -> None:
        """Forget everyone (a new room, or none)."""
        self._keys.clear()

    def handle(self, event: ev.Event) -> None:
        """Follow one live event of the room."""
        match event:
            case ev.UserList(names=names):
                self._keys = {name_key(n) for n in names}
            case ev.Joined(name=name):
                self._keys.add(name_key(name))
            case ev.Left(name=name):
                self._keys.discard(name_key(name))
            case ev.NickChange(old=old, new=new):
                if name_key(old) in self._keys:
                    self._keys.discard(name_key(old))
                    self._keys.add(name_key(new))

    def others(self, own: str | None) -> int:
        """How many are in the room besides ``own``."""
        return len(self._keys - {name_key(own)}) if own else len(self._keys)


@dataclass
class PendingJoin:
    """A join attempt waiting for the new room's welcome."""

    client: ChatClient
    host: str
    port: int
    name: str
    end_hosting: bool  # close the room we host once this one let us in
    password: str | None = None
    room_name: str | None = None  # from an invitation or the finder
    pin: str | None = None  # the fingerprint the new room must show (None: ask on first use)
    early: list[ev.Event] = field(default_factory=list)

    @property
    def where(self) -> str:
        """The new room's address as the user typed it."""
        return f"{self.host}:{self.port}"


class RoomSwitch:
    """Joins a new room before leaving the current one. See the module docstring."""

    def __init__(self, presenter: Presenter) -> None:
        self._presenter = presenter
        self.pending: PendingJoin | None = None
        # An attempt stopped to ask about the new room's identity: the answer
        # (trust, connect anyway) joins again through the presenter with the
        # current room's name and password; these are the attempt's own.
        self._asking: PendingJoin | None = None

    # --- asked by the window ----------------------------------------------------------

    def events(self) -> queue.Queue[ev.Event] | None:
        """The waiting attempt's queue (the switch pump drains it), else None."""
        return self.pending.client.events if self.pending is not None else None

    def hosting_question(self, verb: str = "Leaving") -> str | None:
        """What to ask before closing the room we host (None: not hosting, or alone)."""
        p = self._presenter
        if p.server is None:
            return None
        return hosting_question(p.roster.others(p.own_name), verb)

    # --- driven by the presenter ------------------------------------------------------

    def start(
        self,
        host: str,
        port: int,
        name: str,
        password: str | None,
        pin: str | None = None,
        room_name: str | None = None,
        alternatives: tuple[tuple[str, int], ...] = (),
    ) -> None:
        """Begin joining host:port while staying in the current room."""
        p = self._presenter
        self.cancel()
        asked, self._asking = self._asking, None
        if asked is not None and (asked.host, asked.port) == (host, port):
            name, password, room_name = asked.name, asked.password, asked.room_name
        # Joining our own room by its loopback address keeps it.
        own_room = p.server is not None and int(p.server.address[1]) == port
        own_room = own_room and host in ("127.0.0.1", "localhost", "::1")
        current_pin = p.security.pin  # client_options() records the new room's: not yet
        options = p.security.client_options(host, port, pin)
        pin, p.security.pin = p.security.pin, current_pin
        if alternatives:
            options["alternatives"] = alternatives
        client = p._client_factory(
            host, port, name, password or None, events=EventQueue(), **options
        )
        ending = p.server is not None and not own_room
        self.pending = PendingJoin(client, host, port, name, ending, password, room_name, pin)
        here = self._current()
        p._event(f"Connecting to {host}:{port} as {name}… (you stay in {here} until it answers)")
        p.view.set_status(f"connecting to {host}:{port}… (still in {here})")
        client.start()

    def cancel(self) -> None:
        """Give up a waiting attempt quietly (Leave, Quit, another Join)."""
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.client.close(timeout=0)
            self._presenter._retire(pending.client)

    def handle(self, event: ev.Event) -> None:
        """One event of the waiting attempt (Tk thread, from the switch pump)."""
        pending = self.pending
        if pending is None:  # a cancelled attempt's last events
            return
        match event:
            case ev.Connected():
                self._switch(pending, event)
            case ev.Failed(reason=reason) | ev.Disconnected(reason=reason):
                self._give_up(pending, reason)
            case ev.RoomClosed():
                self._give_up(pending, "the host closed the room")
            case ev.Untrusted() | ev.PinMismatch():
                self._ask_identity(pending, event)
            case ev.Reconnecting() | ev.Stopped():
                pass  # a drop before the welcome already gave up
            case _:
                if len(pending.early) < MAX_EARLY_EVENTS:
                    pending.early.append(event)

    # --- the two outcomes -------------------------------------------------------------

    def _current(self) -> str:
        p = self._presenter
        if p.address is None:
            return "the current room"
        host, port = p.address
        return f"{host}:{port}"

    def _give_up(self, pending: PendingJoin, reason: str) -> None:
        p = self._presenter
        self.cancel()
        in_room = p.client is not None
        where = self._current()
        if not reason.startswith("Could not"):
            reason = f"Could not join {pending.where}: {reason}"
        p._error(f"{reason}. You are still in {where}." if in_room else f"{reason}.")
        if in_room:
            if p.online:
                p._show_connected()
            else:
                p.view.set_status(f"not joined {pending.where}; reconnecting to {where}…")
        else:
            p.view.set_status(f"failed: {reason}")
        p.view.login_failed(reason)

    def _ask_identity(self, pending: PendingJoin, event: ev.Untrusted | ev.PinMismatch) -> None:
        """The new room's identity needs the user (security.py): ask, staying where we are."""
        from desktopchat.gui.security import PinWarning, TrustQuestion

        p = self._presenter
        self.cancel()
        self._asking = pending
        here = self._current()
        if isinstance(event, ev.Untrusted):
            p._event(
                f"{pending.where} is a room you have not visited before: check its fingerprint "
                f"with the host before you trust it. You are still in {here}."
            )
            p.view.ask_trust(TrustQuestion(event.host, event.port, event.fingerprint))
            return
        warning = PinWarning(event.host, event.port, event.expected, event.actual)
        p._error(f"Not joined {pending.where}: {warning.heading}. You are still in {here}.")
        p.view.pin_mismatch(warning)

    def _switch(self, pending: PendingJoin, connected: ev.Connected) -> None:
        p = self._presenter
        self.pending = None
        left = self._current() if p.client is not None else None
        p._fail_unsettled("you left the room")
        p._close_client()
        if pending.end_hosting and p.server is not None:
            p._stop_hosting()  # announcing, reachability checks (hosting.py)
            server, p.server = p.server, None
            server.stop(timeout=0)
            p._retire(server)
            p.hosting_addresses = []
            p.view.set_hosting([])
            p._event("The room you hosted is closed.")
        if left is not None:
            p._event(f"You left {left}.")
        p._reset_session()
        p.unread = 0
        p.roster.clear()
        p.client = pending.client
        p.own_name = pending.name
        p.address = (pending.host, pending.port)
        p.room_name, p._credentials = pending.room_name, (pending.name, pending.password)
        p.security.pin = pending.pin
        p.view.users_reset([], pending.name)
        for event in pending.early:
            p.handle(event)
        p.handle(connected)
        log.info("switched rooms: %s -> %s", left, pending.where)
