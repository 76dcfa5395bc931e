"""The chat room's rules, without sockets: names, commands, history, fan-out.

The server (``server.py``) owns sockets and the event loop; this module owns
what a room *means*. A connection becomes a :class:`Member` once the room has
accepted its name; everything the room says to members is appended to their
``out`` buffers through one small seam, :class:`LocalFanout`, and the server
flushes the buffers of ``fanout.touched`` once per loop pass.

Invariants:

* Every pair is encoded once, however many members receive it.
* Names are unique under :func:`protocol.name_key` (case-insensitive, NFC).
* History holds only chat and ``/me`` action pairs, newest last, bounded by a
  message count *and* :data:`HISTORY_MAX_BYTES`, so replaying it to a newcomer
  always fits under the server's out-buffer limit. A non-empty replay is
  preceded by (``*history``, "N"), N being the number of pairs that follow, so
  a reconnecting client can tell what it has already shown.
* Chat text is never logged above DEBUG.

Decisions where the contract is silent (docs/PROTOCOL.md has the full list):

* A message starting with ``//`` is chat, sent with one slash removed, so a
  user can say "/etc is full" by typing "//etc is full".
* An empty message is relayed like any other (the server does not judge text).
* ``/nick`` to a name that differs only in case from your own is allowed.
* ``/msg`` to yourself is delivered to yourself.
* ``*users`` lists names up to :data:`MAX_SERVER_TEXT` bytes; if the room is
  larger, an ``*info`` pair says how many were left out.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from desktopchat import events, protocol
from desktopchat.protocol import HEADER_LENGTH, InvalidName, decode_text, encode_pair

__all__ = [
    "HISTORY_MAX_BYTES",
    "MAX_SERVER_TEXT",
    "LocalFanout",
    "Member",
    "PasswordGate",
    "Rejected",
    "Room",
]

log = logging.getLogger(__name__)

#: Most bytes of encoded history kept for replay. 1 MiB holds 100 typical
#: messages many times over and bounds what a join makes us buffer (the server's
#: out-buffer limit is set well above it, so a replay never trips that limit).
HISTORY_MAX_BYTES = 1024 * 1024

#: Largest text the server itself generates (``*users``): the default frame
#: limit, which every client's decoder accepts.
MAX_SERVER_TEXT = protocol.DEFAULT_MAX_PAYLOAD

HELP_TEXT = (
    "Commands: /who (list users), /msg NAME TEXT (private message), "
    "/me TEXT (action), /nick NEW (change name), /help (this list). "
    "Start a message with // to send text that begins with /."
)


class Rejected(Exception):
    """The room refuses a newcomer; ``str(exc)`` is the reason sent as ``*error``."""


class Member:
    """What the room knows about one joined connection.

    The server's connection class extends this; ``out`` is its outgoing
    buffer, which the room appends to and the server drains.
    """

    __slots__ = ("key", "name", "name_frame", "out")

    def __init__(self) -> None:
        self.name = ""
        self.key = ""
        # The encoded sender frame, reused for every message this member sends.
        self.name_frame = b""
        self.out = bytearray()


class LocalFanout:
    """The seam between the room and delivery: who gets which bytes.

    Every byte the room sends goes through :meth:`broadcast` or :meth:`send`.
    This implementation appends to in-process members' buffers and records
    them in ``touched`` for the server to flush. A relay across several server
    processes would wrap or replace this class and leave the connection code
    alone.
    """

    __slots__ = ("members", "touched")

    def __init__(self) -> None:
        #: name_key -> member, in join order.
        self.members: dict[str, Member] = {}
        #: Members with new output since the server last flushed.
        self.touched: set[Member] = set()

    def broadcast(self, data: bytes, exclude: Member | None = None) -> None:
        """Append ``data`` to every member's buffer except ``exclude``'s."""
        members = self.members.values()
        for member in members:
            if member is not exclude:
                member.out += data
        self.touched.update(members)

    def send(self, member: Member, data: bytes) -> None:
        """Append ``data`` to one member's buffer."""
        member.out += data
        self.touched.add(member)


class PasswordGate:
    """Room password check: constant-time compare, throttled per address.

    Each address gets :attr:`FREE_ATTEMPTS` wrong guesses; after that every
    further wrong guess locks the address out for twice as long as the last
    (1 s, 2 s, 4 s ... up to :attr:`MAX_LOCK` s). While locked, attempts are
    refused without being compared. A right password clears the record.
    """

    #: Wrong passwords allowed before the lock-out starts (typos happen).
    FREE_ATTEMPTS = 3
    #: Longest lock-out, in seconds.
    MAX_LOCK = 60.0
    #: Addresses remembered at most, so a scan cannot grow this table forever.
    MAX_TRACKED = 10_000

    __slots__ = ("_clock", "_failures", "_password")

    def __init__(self, password: str | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._password = password.encode("utf-8") if password else None
        self._clock = clock
        # address -> (wrong attempts, locked until); oldest first.
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()

    @property
    def required(self) -> bool:
        """True when newcomers must send a password."""
        return self._password is not None

    def check(self, address: str, attempt: str) -> str | None:
        """Return None if ``attempt`` opens the room, else the reason to send."""
        if self._password is None:
            return None
        now = self._clock()
        count, locked_until = self._failures.get(address, (0, 0.0))
        if now < locked_until:
            return (
                "Too many wrong passwords from your address: "
                f"try again in {int(locked_until - now) + 1} s."
            )
        if hmac.compare_digest(attempt.encode("utf-8"), self._password):
            self._failures.pop(address, None)
            return None
        count += 1
        if count > self.FREE_ATTEMPTS:
            lock = min(self.MAX_LOCK, 2.0 ** (count - self.FREE_ATTEMPTS - 1))
            locked_until = now + lock
        self._failures.pop(address, None)
        self._failures[address] = (count, locked_until)
        while len(self._failures) > self.MAX_TRACKED:
            self._failures.popitem(last=False)
        return "Wrong password."


class Room:
    """Names, commands, history and fan-out for one room.

    All methods run on the server's loop thread. Output goes to
    ``fanout``; nothing here blocks or touches a socket.
    """

    __slots__ = ("_commands", "_history", "_history_bytes", "_history_max", "fanout")

    def __init__(self, history: int = 100, fanout: LocalFanout | None = None) -> None:
        if history < 0:
            raise ValueError("history must not be negative")
        self.fanout = fanout if fanout is not None else LocalFanout()
        self._history_max = history
        self._history: deque[bytes] = deque()
        self._history_bytes = 0
        self._commands: dict[str, Callable[[Member, str], None]] = {
            "who": self._cmd_who,
            "msg": self._cmd_msg,
            "me": self._cmd_me,
            "nick": self._cmd_nick,
            "help": self._cmd_help,
        }

    # --- membership -----------------------------------------------------------

    @property
    def members(self) -> dict[str, Member]:
        """name_key -> member, in join order (read-only by convention)."""
        return self.fanout.members

    def join(self, member: Member, name: str) -> None:
        """Admit ``member`` as ``name`` (already validated) or raise :class:`Rejected`.

        The newcomer gets ``*welcome``, ``*users`` and the history (after a
        ``*history`` count pair); everyone
        else gets ``*join``.
        """
        key = protocol.name_key(name)
        if key in self.fanout.members:
            raise Rejected(f"Name {name} is already taken in this room: choose another.")
        self._set_name(member, name, key)
        fanout = self.fanout
        fanout.broadcast(encode_pair(events.JOIN, name))
        fanout.members[key] = member
        greeting = f"Welcome to the room, {name}! Type /help for commands."
        fanout.send(member, encode_pair(events.WELCOME, greeting) + self._users_pairs())
        if self._history:
            # The count first, so a client can tell the replay from live chat.
            count = encode_pair(events.HISTORY, str(len(self._history)))
            fanout.send(member, count + b"".join(self._history))
        log.info("%s joined (%d in the room)", name, len(fanout.members))

    def leave(self, member: Member) -> None:
        """Remove ``member`` (if it joined) and tell everyone else."""
        if self.fanout.members.get(member.key) is not member:
            return
        del self.fanout.members[member.key]
        self.fanout.touched.discard(member)
        self.fanout.broadcast(encode_pair(events.LEAVE, member.name))
        log.info("%s left (%d in the room)", member.name, len(self.fanout.members))

    def clear(self) -> None:
        """Forget every member without telling anyone (the room is closing)."""
        self.fanout.members.clear()
        self.fanout.touched.clear()

    # --- messages -----------------------------------------------------------------

    def handle(self, member: Member, payload: bytes) -> None:
        """Act on one frame from a joined member: a command or a chat message.

        Raises :class:`protocol.RemoteProtocolError` if the payload is not UTF-8.
        """
        text = decode_text(payload, "message")
        if text.startswith("/"):
            if not text.startswith("//"):
                self._command(member, text)
                return
            payload = payload[1:]
            text = text[1:]
        if log.isEnabledFor(logging.DEBUG):
            log.debug("<%s> %s", member.name, text)
        pair = member.name_frame + f"{len(payload):<{HEADER_LENGTH}}".encode("ascii") + payload
        self.fanout.broadcast(pair, exclude=member)
        self._remember(pair)

    def _command(self, member: Member, text: str) -> None:
        word, _, rest = text[1:].partition(" ")
        handler = self._commands.get(word.lower())
        if handler is None:
            self._error(member, f"Unknown command /{word}: type /help for the list.")
            return
        handler(member, rest)

    def _cmd_who(self, member: Member, rest: str) -> None:
        self.fanout.send(member, self._users_pairs())

    def _cmd_help(self, member: Member, rest: str) -> None:
        self.fanout.send(member, encode_pair(events.INFO, HELP_TEXT))

    def _cmd_msg(self, member: Member, rest: str) -> None:
        parts = rest.split(None, 1)
        if len(parts) < 2:
            self._error(member, "Usage: /msg NAME TEXT")
            return
        target_name, body = parts
        target = self.fanout.members.get(protocol.name_key(target_name))
        if target is None:
            self._error(member, f"No such user: {target_name}.")
            return
        if log.isEnabledFor(logging.DEBUG):
            log.debug("<%s -> %s> %s", member.name, target.name, body)
        self.fanout.send(target, encode_pair(events.PRIVATE_PREFIX + member.name, body))

    def _cmd_me(self, member: Member, rest: str) -> None:
        if not rest.strip():
            self._error(member, "Usage: /me TEXT")
            return
        if log.isEnabledFor(logging.DEBUG):
            log.debug("* %s %s", member.name, rest)
        pair = encode_pair(events.ACTION, f"{member.name} {rest}")
        self.fanout.broadcast(pair, exclude=member)
        self._remember(pair)

    def _cmd_nick(self, member: Member, rest: str) -> None:
        if not rest.strip():
            self._error(member, "Usage: /nick NEW")
            return
        try:
            new = protocol.validate_name(rest)
        except InvalidName as exc:
            self._error(member, str(exc))
            return
        if new == member.name:
            self.fanout.send(member, encode_pair(events.INFO, f"You are already called {new}."))
            return
        key = protocol.name_key(new)
        holder = self.fanout.members.get(key)
        if holder is not None and holder is not member:
            self._error(member, f"Name {new} is already taken in this room: choose another.")
            return
        old, old_key = member.name, member.key
        self._set_name(member, new, key)
        # Rebuild in place (others hold this dict) so the member keeps its place
        # in the join order that *users shows.
        members = self.fanout.members
        entries = [(key if k == old_key else k, m) for k, m in members.items()]
        members.clear()
        members.update(entries)
        self.fanout.broadcast(encode_pair(events.NICK, f"{old} {new}"))
        log.info("%s is now %s", old, new)

    # --- helpers --------------------------------------------------------------------

    def _error(self, member: Member, reason: str) -> None:
        self.fanout.send(member, encode_pair(events.ERROR, reason))

    @staticmethod
    def _set_name(member: Member, name: str, key: str) -> None:
        member.name = name
        member.key = key
        member.name_frame = protocol.encode_frame(name)

    def _users_pairs(self) -> bytes:
        """``*users`` with as many names as fit, plus ``*info`` if some did not."""
        names = [m.name for m in self.fanout.members.values()]
        text = " ".join(names)
        data = text.encode("utf-8")
        if len(data) <= MAX_SERVER_TEXT:
            return encode_pair(events.USERS, text)
        cut = data.rfind(b" ", 0, MAX_SERVER_TEXT + 1)
        listed = data[:cut].count(b" ") + 1
        return encode_pair(events.USERS, data[:cut].decode("utf-8")) + encode_pair(
            events.INFO, f"{len(names) - listed} more users are in the room but not listed."
        )

    def _remember(self, pair: bytes) -> None:
        if not self._history_max or len(pair) > HISTORY_MAX_BYTES:
            return
        history = self._history
        history.append(pair)
        self._history_bytes += len(pair)
        while len(history) > self._history_max or self._history_bytes > HISTORY_MAX_BYTES:
            self._history_bytes -= len(history.popleft())
