"""What the network thread tells the Tk thread: small frozen event dataclasses.

``client.ChatClient`` turns the server's (sender, text) pairs into these and
puts them on a ``queue.Queue``; the GUI drains the queue on the Tk thread and
dispatches with ``match``/``isinstance``. Nothing here does I/O or imports Tk.

The wire names of room events (``*join`` and friends) and the sender prefix of
private messages (``@``) are defined here as constants so that the server and
the client spell them the same way; docs/PROTOCOL.md describes each one.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- wire vocabulary shared by server and client -------------------------------

EVENT_PREFIX = "*"  # a sender starting with this is a room event
PRIVATE_PREFIX = "@"  # a sender starting with this is a private message from that user
COMMAND_PREFIX = "/"  # a message starting with this is a command for the server

WELCOME = "*welcome"  # text: greeting for the newcomer
USERS = "*users"  # text: every name in the room, separated by single spaces
JOIN = "*join"  # text: the name that joined
LEAVE = "*leave"  # text: the name that left
NICK = "*nick"  # text: "OLD NEW"
ACTION = "*action"  # text: "NAME does something" (from /me)
ERROR = "*error"  # text: what went wrong (fatal during the handshake)
INFO = "*info"  # text: anything else the room says (e.g. "room closed")
AUTH = "*auth"  # text: "password required"; the client answers with one frame
HISTORY = "*history"  # text: "N", the number of history pairs that follow at once

#: The *info text a server sends to every client when it shuts down.
ROOM_CLOSED = "room closed"


# --- events posted by the client thread -------------------------------------


@dataclass(frozen=True, slots=True)
class Event:
    """Base class of everything the network thread posts."""


@dataclass(frozen=True, slots=True)
class Connected(Event):
    """The name was sent over a fresh connection (a reconnect posts this again)."""

    host: str
    port: int
    name: str


@dataclass(frozen=True, slots=True)
class Welcome(Event):
    """The server accepted us and greeted us (absent with the tutorial's server)."""

    text: str


@dataclass(frozen=True, slots=True)
class ChatMessage(Event):
    """A message to the whole room."""

    sender: str
    text: str


@dataclass(frozen=True, slots=True)
class PrivateMessage(Event):
    """A message sent to us alone (``/msg``)."""

    sender: str
    text: str


@dataclass(frozen=True, slots=True)
class Action(Event):
    """A ``/me`` action: ``sender`` does ``text``."""

    sender: str
    text: str


@dataclass(frozen=True, slots=True)
class History(Event):
    """The room's recent messages, replayed right after the welcome.

    A room replays its history to every newcomer, a client that merely
    reconnected included; the GUI shows only what it has not shown yet.
    """

    messages: tuple[ChatMessage | Action, ...]


@dataclass(frozen=True, slots=True)
class Joined(Event):
    """Someone entered the room."""

    name: str


@dataclass(frozen=True, slots=True)
class Left(Event):
    """Someone left the room."""

    name: str


@dataclass(frozen=True, slots=True)
class UserList(Event):
    """The complete list of names in the room."""

    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NickChanged(Event):
    """Someone (maybe us) changed name."""

    old: str
    new: str


@dataclass(frozen=True, slots=True)
class Info(Event):
    """A notice from the room."""

    text: str


@dataclass(frozen=True, slots=True)
class ServerError(Event):
    """A non-fatal complaint from the server (e.g. an unknown command)."""

    text: str


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
    """Final: the client gave up (refused, name taken, wrong password...)."""

    reason: str
