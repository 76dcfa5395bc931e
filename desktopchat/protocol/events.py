"""Events: small frozen dataclasses, the one vocabulary of every layer.

The same classes travel in both directions (wsproto's habit): the window
sends ``Message("hi")`` and receives ``Message("hi", sender="ann", id=7, ...)``.
Sessions (``client.py``/``server.py`` here) turn bytes into events and events
into bytes; the client thread posts events on a queue for the window. Dispatch
with ``match``/``isinstance``, never on strings. docs/PROTOCOL.md maps each
event to its bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- wire vocabulary of protocol 1 (the tutorial-compatible pairs) -------------

EVENT_PREFIX = "*"  # a sender starting with this is a room event
PRIVATE_PREFIX = "@"  # a sender starting with this is a private message from that user

HELLO = "*hello"  # text: "desktopchat 2": the room offers protocol 2
WELCOME = "*welcome"
USERS = "*users"
JOIN = "*join"
LEAVE = "*leave"
NICK = "*nick"
ACTION = "*action"
ERROR = "*error"
INFO = "*info"
AUTH = "*auth"
HISTORY = "*history"
FILE = "*file"  # text: "ann offers photo.png (1.2 MB) — ..." (a files offer, section 14)

#: The *info text a server sends to every client when it shuts down.
ROOM_CLOSED = "room closed"


@dataclass(frozen=True, slots=True)
class Event:
    """Base class of every event."""


# --- room events: what happened in the room --------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomEvent(Event):
    """Something that happened in the room.

    From a protocol-2 room, ``id`` is the room's number for it (increasing
    within one run of the room, see :class:`Welcome`'s ``epoch``) and ``time``
    the server's clock in seconds since the Unix epoch. From an older room
    both are None and the window uses its own clock.
    """

    id: int | None = None
    time: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Request(Event):
    """Something a client asks of the room; ``cid`` is the client's id for it.

    The room answers a protocol-2 request with :class:`Accepted` or
    :class:`Rejected` carrying the same ``cid``.
    """

    cid: int | None = None


@dataclass(frozen=True, slots=True)
class Message(RoomEvent):
    """Chat to the whole room. Sent with ``sender=""``; received with the sender."""

    text: str
    sender: str = ""
    cid: int | None = None


@dataclass(frozen=True, slots=True)
class Action(RoomEvent):
    """A ``/me`` action: ``sender`` does ``text``."""

    text: str
    sender: str = ""
    cid: int | None = None


@dataclass(frozen=True, slots=True)
class Private(RoomEvent):
    """A private message from ``sender`` to ``to`` (``/msg``)."""

    text: str
    to: str
    sender: str = ""
    cid: int | None = None


@dataclass(frozen=True, slots=True)
class NickChange(RoomEvent):
    """``old`` is now called ``new``. Sent as a request with ``old=""``."""

    new: str
    old: str = ""
    cid: int | None = None


@dataclass(frozen=True, slots=True)
class Joined(RoomEvent):
    """Someone entered the room.

    ``encrypted``: whether their connection is encrypted, in a room that says
    (protocol 2, a room with TLS); None where the room does not say.
    """

    name: str
    encrypted: bool | None = None


@dataclass(frozen=True, slots=True)
class Left(RoomEvent):
    """Someone left the room."""

    name: str


@dataclass(frozen=True, slots=True)
class Joins(RoomEvent):
    """``count`` joined a big room within a second (protocol 2, a ``crowd`` session).

    ``names`` are the first of them (at most a page; all when their number is
    ``count``); ``total`` is how many are in the room now.
    """

    count: int
    total: int
    names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Leaves(RoomEvent):
    """``names`` left a big room within a second (always all of them); ``total`` remain."""

    names: tuple[str, ...]
    total: int


@dataclass(frozen=True, slots=True)
class Notice(RoomEvent):
    """A notice from the room to everyone (e.g. that it is closing)."""

    text: str


@dataclass(frozen=True, slots=True)
class Who(Request):
    """Ask for the member list (answered by :class:`UserList`).

    ``start``: only the page of names from that position in join order (a
    room that offered ``crowd``); None: the whole list.
    """

    start: int | None = None


@dataclass(frozen=True, slots=True)
class Help(Request):
    """Ask for the command list (answered by :class:`Info`)."""


@dataclass(frozen=True, slots=True)
class Typing(Event):
    """``name`` is typing a message (protocol 2 only).

    Sent with ``name=""`` (the ``typing`` request: no cid, never answered);
    received with the typist's name. Not a room event: no id, never stored,
    replayed or sent again (docs/PROTOCOL.md section 9, "Typing").
    """

    name: str = ""


# --- answers and session facts ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Accepted(Event):
    """The room accepted request ``cid``; ``id``/``time`` are the room event it became.

    ``id`` is None for a request that makes no room event (``Who``, ``Help``,
    a private message from a room that does not number them).
    """

    cid: int
    id: int | None = None
    time: float | None = None


@dataclass(frozen=True, slots=True)
class Rejected(Event):
    """The room refused request ``cid``; ``reason`` is a sentence for a person."""

    cid: int
    reason: str


@dataclass(frozen=True, slots=True)
class Welcome(Event):
    """The room accepted our name (and password): we are in.

    ``version`` is the protocol the session speaks: 2 (ids, acknowledgements,
    resume), 1 (an older desktopchat room: events, no ids) or 0 (a plain relay
    such as the tutorial's server: no events at all). ``epoch`` names this run
    of a protocol-2 room; ids from another epoch mean nothing here.
    ``last_id`` is the room's newest id when it let us in.
    """

    name: str
    text: str = ""
    version: int = 2
    epoch: str | None = None
    last_id: int | None = None


@dataclass(frozen=True, slots=True)
class UserList(Event):
    """The names in the room (at joining, and for ``Who``).

    ``unencrypted``: those of ``names`` whose connection is not encrypted
    (protocol 2, a room with TLS; empty where the room does not say).
    ``total`` None: the complete list. Otherwise a page (a big room, a
    ``crowd`` session): ``names`` are those from position ``start`` in join
    order, of ``total`` in the room.
    """

    names: tuple[str, ...]
    unencrypted: frozenset[str] = frozenset()
    total: int | None = None
    start: int = 0


@dataclass(frozen=True, slots=True)
class Info(Event):
    """A notice for us alone (the ``/help`` text, a truncated member list...)."""

    text: str


@dataclass(frozen=True, slots=True)
class ServerError(Event):
    """A complaint from a protocol-1 room about our last command (no cid to tie it to)."""

    text: str


@dataclass(frozen=True, slots=True)
class Gap(Event):
    """Room events ``first``..``last`` are gone from the room's memory.

    ``until`` is the server time of ``last`` (None if unknown): the window says
    "some messages up to HH:MM are no longer available".
    """

    first: int
    last: int
    until: float | None = None


@dataclass(frozen=True, slots=True)
class Replay(Event):
    """Room events replayed at joining, oldest first.

    ``resumed`` is True when they are what we missed since the last id we saw
    (a reconnect), False for the recent history shown to a newcomer.
    ``events`` may hold :class:`Accepted` for our own requests the room took
    before the connection dropped. ``gap`` says what could not be replayed.
    From a protocol-1 room (no ids) ``resumed`` is False and the events may
    repeat lines shown before.
    """

    events: tuple[RoomEvent | Accepted, ...]
    resumed: bool = False
    gap: Gap | None = None


@dataclass(frozen=True, slots=True)
class RoomClosed(Event):
    """The host closed the room (the connection ends next)."""


@dataclass(frozen=True, slots=True)
class Refused(Event):
    """The room refused to let us in (wrong password, name taken...): final for it."""

    reason: str


@dataclass(frozen=True, slots=True)
class AuthRequired(Event):
    """The room asks for a password (the session answers by itself when it has one)."""


# --- handshake, as the server's session reports it -------------------------------


@dataclass(frozen=True, slots=True)
class JoinRequest(Event):
    """A newcomer finished the handshake; the room decides (``Room.join``).

    ``token`` identifies the client across reconnects (protocol 2; a random
    one for older clients); ``resume`` is the (epoch, last id) it saw;
    ``files``: it asked for the files extension and the room offered it.
    """

    name: str
    password: str | None
    version: int
    token: str
    resume: tuple[str, int] | None = None
    #: The client takes coalesced joins and leaves and paged lists (protocol 2 ``crowd``).
    crowd: bool = False
    files: bool = False


@dataclass(frozen=True, slots=True)
class CommandError(Event):
    """A protocol-1 command that could not be parsed; ``reason`` is for the user."""

    reason: str
    cid: int | None = None


# --- the client thread's own facts -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Connected(Event):
    """The room let us in (posted at the welcome, on every (re)connect)."""

    host: str
    port: int
    name: str
    version: int = 2
    resumed: bool = False
    epoch: str | None = None
    #: TLS on this connection, and then the fingerprint of the room's certificate.
    encrypted: bool = False
    fingerprint: str | None = None


@dataclass(frozen=True, slots=True)
class Untrusted(Event):
    """First visit: the room spoke TLS with a certificate we were not told to trust.

    Posted with ``ChatClient(ask_first_use=True)`` and no pin: nothing was
    sent (no name, no password) and the thread ends (``Stopped`` follows).
    Join again with ``pin=fingerprint`` once the user trusts it.
    """

    host: str
    port: int
    fingerprint: str


@dataclass(frozen=True, slots=True)
class PinMismatch(Event):
    """The room did not show the pinned certificate: nothing was sent, no retry.

    ``actual`` is the fingerprint it showed, None if it did not speak TLS at
    all. The thread ends (``Stopped`` follows); only the user re-trusts.
    """

    host: str
    port: int
    expected: str
    actual: str | None


@dataclass(frozen=True, slots=True)
class Sent(Event):
    """Request ``cid`` went out whole to a room that does not acknowledge (protocol 0/1)."""

    cid: int


@dataclass(frozen=True, slots=True)
class Disconnected(Event):
    """The connection ended; ``reason`` says why. A reconnect may follow."""

    reason: str


@dataclass(frozen=True, slots=True)
class Reconnecting(Event):
    """The next connection attempt starts in ``delay`` seconds."""

    delay: float


@dataclass(frozen=True, slots=True)
class Failed(Event):
    """Final: the client gave up (refused, name taken, wrong password...).

    ``unsent`` are the cids of requests that never reached the room.
    """

    reason: str
    unsent: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Stopped(Event):
    """The network thread has ended after ``close()``; ``unsent`` never reached the room."""

    unsent: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Skipped(Event):
    """The window fell behind: ``count`` chat events were dropped before it got them."""

    count: int
