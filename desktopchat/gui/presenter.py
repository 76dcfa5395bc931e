"""The window's brain, without Tk: the room session, its state, and what to show.

:class:`Presenter` owns the :class:`~desktopchat.client.ChatClient` (and, when
hosting, the :class:`~desktopchat.server.RoomServer`), turns the client's
events into :class:`~.lines.Line` objects and list changes, and turns what the
user typed into requests. It talks to the widgets only through :class:`View`,
which the window implements and tests replace with a recorder.
docs/ARCHITECTURE.md shows where it sits.

Rules it keeps (each a fact from the protocol, never a guess from content):

* An own line is QUEUED while we are not in the room, PENDING once the room
  may have it, SENT on ``Accepted`` (protocol 2) or ``Sent`` (older rooms,
  which do not acknowledge), FAILED with the room's reason on ``Rejected``,
  and FAILED when the client gave up with it unsent.
* "Connected" is shown when the room let us in (the welcome), once per join;
  a reconnect is one "Reconnected" line, a drop one "Disconnected" line,
  however many attempts lie between.
* Replayed events are shown with their own times: recent history under
  "earlier messages" on a first visit, what we missed under "missed while
  disconnected", with a line for a gap the room could not fill. A room event
  whose id we already showed (same run of the room) is never shown again.
* One room at a time; Leave and Quit never wait for threads (they finish on
  their own; :meth:`Presenter.wait_stopped` is for after the window is gone).
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable, Sequence, Set
from typing import TYPE_CHECKING, Protocol

from desktopchat.client import ChatClient
from desktopchat.gui.attention_rules import Attention, AttentionView
from desktopchat.gui.conversations import Conversations, TabsView
from desktopchat.gui.crowd import BigRoom
from desktopchat.gui.hosting import HostingSteps, HostingView, LanServices
from desktopchat.gui.lines import Kind, Line, SendState
from desktopchat.gui.replaying import ReplaySteps
from desktopchat.gui.security import IdentitySteps, IdentityView, RoomSecurity
from desktopchat.gui.switching import RoomSwitch, Roster
from desktopchat.gui.title import window_title
from desktopchat.gui.transfers import Transfers, TransferView
from desktopchat.gui.typing import TypingLine, TypingView
from desktopchat.inbox import EventQueue
from desktopchat.protocol import LocalProtocolError, name_key
from desktopchat.protocol import events as ev
from desktopchat.protocol.commands import BadCommand
from desktopchat.protocol.fileevents import FileOffer

if TYPE_CHECKING:  # imported when hosting starts: joining a room never needs it
    from desktopchat.server import RoomServer

__all__ = ["APP_TITLE", "Presenter", "View"]

log = logging.getLogger(__name__)

APP_TITLE = "desktopchat"

ClientFactory = Callable[..., ChatClient]
ServerFactory = Callable[..., "RoomServer"]


class View(TabsView, AttentionView, IdentityView, HostingView, TypingView, TransferView, Protocol):
    """What the presenter asks of the window (all on the Tk thread; tabs, alerts too)."""

    def show(self, line: Line) -> None: ...
    def mark(self, cid: int, state: SendState, reason: str = "") -> None: ...
    def users_reset(
        self, names: Sequence[str], own: str | None, unencrypted: Set[str] = ...
    ) -> None: ...
    def user_joined(self, name: str, unencrypted: bool = False) -> None: ...
    def user_left(self, name: str) -> None: ...
    def user_renamed(self, old: str, new: str) -> None: ...
    def set_status(self, text: str) -> None: ...
    def countdown(self, delay: float) -> None: ...
    def set_title(self, text: str) -> None: ...
    def set_hosting(self, addresses: Sequence[str]) -> None: ...
    def login_failed(self, reason: str) -> None: ...
    def has_focus(self) -> bool: ...


class Presenter(IdentitySteps, HostingSteps, ReplaySteps):
    """Room state and decisions for one window (identity: security.py, hosting: hosting.py)."""

    def __init__(
        self,
        view: View,
        *,
        client_factory: ClientFactory = ChatClient,
        server_factory: ServerFactory | None = None,
        clock: Callable[[], float] = time.time,
        lan: LanServices | None = None,  # announcing, reachability: off unless given
    ) -> None:
        self.view = view
        self.lan = lan or LanServices()
        self.security = RoomSecurity()  # encrypted or not, the pin (security.py)
        self.room_name: str | None = None  # from an invitation, discovery or hosting
        self._client_factory = client_factory
        self._server_factory = server_factory
        self._clock = clock
        self.client: ChatClient | None = None
        self.server: RoomServer | None = None
        self.own_name: str | None = None
        self.address: tuple[str, int] | None = None
        self.online = False
        self.version: int | None = None
        self.unread = 0
        self.hosting_addresses: list[str] = []
        # Closed clients and servers that may still be finishing.
        self._retired: list[ChatClient | RoomServer] = []
        self.roster, self.typing = Roster(), TypingLine(self)  # who is in, who types
        self.switch = RoomSwitch(self)  # a Join while in a room: the new room first
        self.conversations = Conversations(view, clock)  # private tabs
        self.attention = Attention(view)  # mentions, alerts, the "new messages" divider
        self.transfers = Transfers(view, self)  # files offered and fetched (transfers.py)
        self.crowd = BigRoom(self)  # a big room's coalesced joins and leaves, pages of names
        self._reset_session()

    def _reset_session(self) -> None:
        self._welcomed = False  # the room let us in at least once since join()
        self._greeted = False  # its welcome text is shown (once per join)
        self._replays = 0  # replays shown since join()
        self._outage = False  # a Disconnected line is shown, no Reconnected yet
        self._states: dict[int, SendState] = {}  # own requests not settled yet
        self._echoed: set[int] = set()  # cids that have a line in the transcript
        self._who_asked = 0
        self._epoch: str | None = None
        self._max_id = 0  # newest room id shown in this epoch
        self._last_time: float | None = None  # time of the newest room event shown
        self.roster.clear()
        self.conversations.forget_cids()
        self.transfers.end_all("You left the room.")  # file ids start over in another room

    # --- the session ------------------------------------------------------------------

    def events(self) -> queue.Queue[ev.Event] | None:
        """The queue the window drains (the current client's)."""
        return self.client.events if self.client is not None else None

    def join(
        self,
        host: str,
        port: int,
        name: str,
        password: str | None = None,
        pin: str | None = None,
        room_name: str | None = None,
        alternatives: tuple[tuple[str, int], ...] = (),
    ) -> None:
        """Join host:port (pinned: security.py); in a room, switch to it (switching.py).

        ``alternatives``: the room's other addresses (a link's ``alt=``, a room on
        several servers): the client moves there when host:port stops answering.
        """
        if self.client is not None:
            self.switch.start(host, port, name, password, pin, room_name, alternatives)
            return
        self._close_client()
        self._reset_session()
        if self.server is None:
            self._event(f"Connecting to {host}:{port} as {name}…")
        self.own_name = name
        self.address = (host, port)
        self.view.users_reset([], name)
        self.view.set_status(f"connecting to {host}:{port}…")
        self.room_name, self._credentials = room_name, (name, password)
        options = self.security.client_options(host, port, pin)
        if alternatives:
            options["alternatives"] = alternatives
        self.client = self._client_factory(
            host, port, name, password or None, events=EventQueue(), **options
        )
        self._secured(None)
        self.client.start()
        self._update_title()

    def leave(self, wait: float = 0.0) -> None:
        """Close the client and stop a hosted server; never waits unless asked to."""
        was_in_room = self.client is not None or self.server is not None
        self.switch.cancel()
        self._close_client()
        self._stop_hosting()
        server, self.server = self.server, None
        if server is not None:
            server.stop(timeout=wait)
            self._retire(server)
        self.hosting_addresses = []
        self.view.set_hosting([])
        self._secured(None)
        self.address = None
        self.unread = 0
        self.view.users_reset([], None)
        self._update_title()
        if was_in_room:
            self._event("You left the room.")
            self._fail_unsettled("you left the room")
            self.conversations.left_room()
            self.transfers.end_all("You left the room.")
        self.view.set_status("not connected: Room ▸ Join room… or Host room…")

    def _close_client(self) -> None:
        client, self.client = self.client, None
        self.online = False
        if client is not None:
            client.close(timeout=0)
            self._retire(client)

    def _retire(self, part: ChatClient | RoomServer) -> None:
        self._retired = [p for p in self._retired if not p.join(0)]  # forget finished ones
        self._retired.append(part)

    def quit(self) -> None:
        """Close everything without waiting (the window is going away)."""
        self.switch.cancel()
        self._close_client()
        self._stop_hosting()
        server, self.server = self.server, None
        if server is not None:
            server.stop(timeout=0)
            self._retire(server)

    def wait_stopped(self, timeout: float = 2.0) -> bool:
        """Wait for closed clients and servers to finish; True if all did."""
        end = time.monotonic() + timeout
        done = True
        for part in self._retired:
            done = part.join(max(0.0, end - time.monotonic())) and done
        return done

    @property
    def unsettled(self) -> int:
        """Own requests the room has not taken yet (Quit asks before dropping them)."""
        return self.client.pending if self.client is not None else 0

    # --- typing ----------------------------------------------------------------------

    def submit(self, text: str) -> bool:
        """The input's submit hook: send ``text``; False keeps it in the input box."""
        text = text.rstrip()
        if self.client is None:
            self._error("Not in a room: use Room ▸ Join room… or Host room… first.")
            return False
        try:
            request = self.conversations.parse(text)  # plain text in a private tab: private
        except BadCommand as exc:
            self._error(f"{exc} (your text is still in the input box)")
            return False
        try:
            cid = self.client.send(request)
        except LocalProtocolError as exc:
            self._error(f"Not sent (still in the input box): {exc}")
            return False
        state = SendState.PENDING if self.online else SendState.QUEUED
        self._states[cid] = state
        name, now = self.own_name or "me", self._clock()
        match request:
            case ev.Message(text=body):
                line = Line(Kind.MESSAGE, body, now, name, own=True, cid=cid, state=state)
            case ev.Action(text=body):
                line = Line(Kind.ACTION, body, now, name, own=True, cid=cid, state=state)
            case ev.Private(text=body, to=to):
                line = Line(Kind.PRIVATE, body, now, name, to, own=True, cid=cid, state=state)
            case ev.Who():
                self._who_asked += 1
                return True
            case _:
                return True  # /nick, /help: the room's answer is what shows
        self._echoed.add(cid)
        self.conversations.show(line)
        return True

    def focus_gained(self) -> None:
        """The window got the keyboard focus: nothing is unread any more."""
        self.attention.focus_gained()
        if self.unread:
            self.unread = 0
            self._update_title()

    # --- events ------------------------------------------------------------------------

    def handle(self, event: ev.Event) -> None:
        """Apply one client event (Tk thread, from the pump)."""
        self.roster.handle(event)
        self.typing.handle(event)
        if self.transfers.handle(event):  # offers made, progress, done, refused offers
            return
        if self.crowd.handle(event):  # Joins, Leaves, a page of names (crowd.py)
            return
        match event:
            case ev.RoomEvent():
                self._room_event(event, live=True)
            case ev.Accepted(cid=cid):
                self._settle(cid, SendState.SENT)
            case ev.Sent(cid=cid):
                self._settle(cid, SendState.SENT)
            case ev.Rejected(cid=cid, reason=reason):
                if cid not in self._echoed:
                    self._error(reason)  # /nick, /help: no line to mark
                self._settle(cid, SendState.FAILED, reason)
            case ev.Replay():
                self._replay(event)
            case ev.UserList(names=names, unencrypted=plain):  # plain: marked "(unencrypted)"
                self.view.users_reset(names, self.own_name, plain)
                self.conversations.users(names)
                if self._who_asked:
                    self._who_asked -= 1
                    self._event(f"In the room ({len(names)}): " + ", ".join(names))
            case ev.Connected():
                self._connected(event)
            case ev.Untrusted() | ev.PinMismatch():
                self._identity_refused(event)  # security.py: ask, or warn
            case ev.Welcome(text=text):
                if not self._greeted and text:
                    self._greeted = True
                    self._event(text)
            case ev.Info(text=text):
                self._event(text)
            case ev.ServerError(text=text):
                self._error(text)
            case ev.RoomClosed():
                self._disconnected("the host closed the room")
            case ev.Disconnected(reason=reason):
                if reason == ev.ROOM_CLOSED:
                    reason = "the host closed the room"
                self._disconnected(reason)
            case ev.Reconnecting(delay=delay):
                self.online = False
                self.view.countdown(delay)
            case ev.Failed(reason=reason):
                self._failed(reason)
            case ev.Skipped(count=count):
                # One line per burst: the queue merges the drops of one burst.
                noun = "message" if count == 1 else "messages"
                self._event(f"{count:,} {noun} skipped: the window fell behind the room")
            case _:
                log.debug("ignored event %r", event)

    def _connected(self, event: ev.Connected) -> None:
        first = not self._welcomed
        self._welcomed = True
        self.online = True
        self.version = event.version
        self.own_name = event.name
        self.address = (event.host, event.port)
        restarted = self._epoch is not None and event.epoch != self._epoch
        if event.epoch != self._epoch:  # a new run of the room: its ids start over
            self._epoch, self._max_id = event.epoch, 0
        if first:
            how = "" if event.version == 2 else " (this room does not confirm messages)"
            self._event(f"Connected to {event.host}:{event.port} as {event.name}.{how}")
        elif self._outage:
            if restarted:
                self._event("Reconnected. The room was restarted: earlier messages are gone.")
            else:
                self._event("Reconnected.")
        self._outage = False
        for cid, state in list(self._states.items()):
            if state is SendState.QUEUED:
                self._settle(cid, SendState.PENDING, keep=True)
        self._show_connected()
        self._secured(event.encrypted, event.fingerprint)

    def _disconnected(self, reason: str) -> None:
        self.online = False
        self.view.users_reset([], self.own_name)  # stale now; the next list refills it
        self.view.set_status(f"disconnected: {reason}")
        if not self._outage:
            self._outage = True
            self._event(f"Disconnected: {reason}. Reconnecting…")
        for cid, state in list(self._states.items()):
            if state is SendState.PENDING:
                self._settle(cid, SendState.QUEUED, keep=True)

    def _failed(self, reason: str) -> None:
        self.online = False
        self._error(reason)
        self._fail_unsettled("")
        self.view.set_status(f"failed: {reason}")
        self._secured(None)
        client, self.client = self.client, None
        if client is not None:
            client.close(timeout=0)
            self._retire(client)
        self.view.login_failed(reason)

    def _fail_unsettled(self, reason: str) -> None:
        for cid in list(self._states):
            self._settle(cid, SendState.FAILED, reason)

    def _settle(self, cid: int, state: SendState, reason: str = "", *, keep: bool = False) -> None:
        if cid not in self._states:
            return
        if keep:
            self._states[cid] = state
        else:
            del self._states[cid]
        if cid in self._echoed:
            self.view.mark(cid, state, reason)
            if not keep:
                self._echoed.discard(cid)
                self.conversations.settled(cid)

    # --- room events ----------------------------------------------------------------------

    def _fresh(self, event: ev.RoomEvent) -> bool:
        """False for a room event of this run we have shown already."""
        if event.id is None:
            return True
        if event.id <= self._max_id:
            return False
        self._max_id = event.id
        return True

    def _room_event(self, event: ev.RoomEvent, *, live: bool) -> None:
        if not self._fresh(event):
            return
        when = event.time if event.time is not None else self._clock()
        self._last_time = when
        self.conversations.room_event(event, when)
        if self.transfers.room_event(event, when, live=live):  # a file offered or withdrawn
            if isinstance(event, FileOffer) and not self._is_own(event.sender):
                self._count_unread()  # an offer is read like a line
            return
        line: Line | None = None
        match event:
            case ev.Message(text=text, sender=sender):
                line = Line(Kind.MESSAGE, text, when, sender, own=self._is_own(sender))
            case ev.Action(text=text, sender=sender):
                line = Line(Kind.ACTION, text, when, sender, own=self._is_own(sender))
            case ev.Private(text=text, sender=sender, to=to):
                line = Line(Kind.PRIVATE, text, when, sender, to)
            case ev.Joined(name=name):
                self._event(f"{name} joined", when)
                if live:
                    self.view.user_joined(name, unencrypted=event.encrypted is False)
            case ev.Left(name=name):
                self._event(f"{name} left", when)
                if live:
                    self.view.user_left(name)
            case ev.NickChange(new=new, old=old):
                self._event(f"{old} is now known as {new}", when)
                self.view.user_renamed(old, new)
                if self._is_own(old):
                    self.own_name = new
                    self._show_connected()
                    self._update_title()
            case ev.Notice(text=text):
                self._event(text, when)
        if line is not None:
            line = self.attention.arrived(line, self.own_name, live=live)
            self.conversations.show(line)  # a private line goes to its tab
            if live and self.version == 0:  # a plain relay sends no joins: list talkers
                self.view.user_joined(line.sender)
            self._count_unread()

    def _count_unread(self) -> None:
        if not self.view.has_focus():
            self.unread += 1
            self._update_title()

    # --- helpers --------------------------------------------------------------------------

    def _is_own(self, name: str) -> bool:
        return self.own_name is not None and name_key(name) == name_key(self.own_name)

    def _event(self, text: str, when: float | None = None) -> None:
        self.view.show(Line(Kind.EVENT, text, self._clock() if when is None else when))

    def _error(self, text: str) -> None:
        self.conversations.error(Line(Kind.ERROR, text, self._clock()))

    def _marker(self, text: str) -> None:
        self.view.show(Line(Kind.MARKER, text, self._clock()))

    def _show_connected(self) -> None:
        if self.address is not None and self.own_name is not None:
            host, port = self.address
            self.view.set_status(f"connected to {host}:{port} as {self.own_name}")

    def title(self) -> str:
        """The window title: "ROOM — NAME (N unread) — desktopchat" (gui/title.py)."""
        return window_title(
            room=self.room_name if self.address is not None else None,
            address=self.address,
            name=self.own_name if self.address is not None else None,
            unread=self.unread,
            encrypted=self.security.encrypted,
        )

    def _update_title(self) -> None:
        self.view.set_title(self.title())
