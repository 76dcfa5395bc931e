"""The server's side of one connection, without I/O (docs/PROTOCOL.md sections 2 and 9).

:class:`ServerConnection` reads the handshake (name, the protocol-2 upgrade,
password) and then requests; it reports them as events and encodes what the
room says to this one member. It decides nothing about the room: a
:class:`~.events.JoinRequest` is the room's to accept (:meth:`accept`) or
refuse (``send(Refused(...))``). Broadcasts are encoded once by the room with
:mod:`.wire`, not here.

States: NAME -> HELLO -> (AUTH) -> JOINING -> CHAT -> CLOSED. After the name
the session offers protocol 2 with ``(*hello, "desktopchat 2")``, plus
``max=N`` when the room's message limit is not the default (and asks
for the password at once in a password room). The next frame is either the
upgrade, or -- from a client that does not know protocol 2 -- the password,
or in a room without a password a first message: that client joins as
protocol 1, and the frame is dropped (it may be a password the room does not
ask for) and the client told so after the welcome (:data:`EARLY_FRAME_DROPPED`).
A client that says nothing joins as protocol 1 when the caller's timer calls
:meth:`upgrade_wait_over`.

Files (section 14): a room made with ``files_max`` offers ``files=N`` too; a
client whose upgrade ends with the word ``files`` is a files member
(:attr:`ServerConnection.files`): its requests of the extension come out as
:mod:`.fileevents` events (a ``data`` body as the bytes that came, never
decoded), and its frames may be 64 KiB long even when the message limit is
lower, but only a ``data`` body may pass that limit.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from desktopchat.protocol import events as ev
from desktopchat.protocol import filewire, wire
from desktopchat.protocol.commands import BadCommand, parse_command
from desktopchat.protocol.crowd import CROWD_WORD
from desktopchat.protocol.fileevents import FILES_WORD
from desktopchat.protocol.framing import (
    DEFAULT_MAX_PAYLOAD,
    HANDSHAKE_MAX_PAYLOAD,
    HEADER_LENGTH,
    FrameDecoder,
    LocalProtocolError,
    RemoteProtocolError,
    decode_text,
    encode_pair,
)
from desktopchat.protocol.names import InvalidName, validate_name

__all__ = [
    "EARLY_FRAME_DROPPED",
    "HANDSHAKE_MAX_PAYLOAD",
    "HELLO_PAIR",
    "ServerConnection",
    "ServerState",
    "hello_pair",
]

#: The offer of protocol 2, sent right after a valid name (default message limit).
HELLO_PAIR = encode_pair(ev.HELLO, "desktopchat 2")
_AUTH_PAIR = encode_pair(ev.AUTH, "password required")
#: Told (``*info``) to a protocol-1 client whose frame after the name let it in.
EARLY_FRAME_DROPPED = (
    "Your first message arrived before the room let you in and was not relayed: send it again."
)


def hello_pair(max_message: int, files_max: int = 0, crowd: bool = False) -> bytes:
    """The offer; a room whose message limit is not the default says it: ``max=N``;
    a room that allows files says its largest: ``files=MAXBYTES`` (section 14);
    a big room offers coalesced presence: ``crowd`` (section 9, "Big rooms")."""
    if max_message == DEFAULT_MAX_PAYLOAD and not files_max and not crowd:
        return HELLO_PAIR
    words = ["desktopchat 2"]
    if max_message != DEFAULT_MAX_PAYLOAD:
        words.append(f"max={max_message}")
    if files_max:
        words.append(f"{FILES_WORD}={files_max}")
    if crowd:
        words.append(CROWD_WORD)
    return encode_pair(ev.HELLO, " ".join(words))


class ServerState(enum.Enum):
    """Where the conversation with one client is."""

    NAME = "name"  # waiting for the name frame
    HELLO = "hello"  # offered protocol 2: upgrade, password or first message next
    AUTH = "auth"  # upgraded in a password room: the password frame next
    JOINING = "joining"  # JoinRequest reported; the room decides
    CHAT = "chat"  # in the room: requests
    CLOSED = "closed"  # refused or closed: nothing more is read or sent


class ServerConnection:
    """One client's session as the server sees it. See the module docstring."""

    __slots__ = (
        "_crowd",
        "_decoder",
        "_dropped",
        "_files_max",
        "_joining",
        "_max_message",
        "_meta",
        "_out",
        "_password_required",
        "_upgrade",
        "crowd",
        "files",
        "name",
        "state",
        "version",
    )

    def __init__(
        self,
        *,
        password_required: bool,
        max_message: int,
        files_max: int = 0,
        crowd: Callable[[], bool] | None = None,
    ) -> None:
        self._password_required = password_required
        # Asked when the name arrives: is the room big enough to offer ``crowd``?
        self._crowd = crowd
        #: The client took up ``crowd`` (coalesced presence, pages of names).
        self.crowd = False
        self._max_message = max_message
        # The room's largest file (0: no files): offered as ``files=N``.
        self._files_max = files_max
        #: The client asked for files in a room that offers them (section 14).
        self.files = False
        self._decoder = FrameDecoder(HANDSHAKE_MAX_PAYLOAD)
        self.state = ServerState.NAME
        #: 1 until the client takes up protocol 2.
        self.version = 1
        #: The validated name from the handshake (the room may rename it later).
        self.name = ""
        self._upgrade: tuple[str, tuple[str, int] | None, bool] | None = None
        # A protocol-1 client's frame after its name was dropped: tell it once in CHAT.
        self._dropped = False
        self._joining: ev.JoinRequest | None = None
        self._meta: str | None = None  # protocol 2: the meta frame of a half-read pair
        self._out = bytearray()

    @property
    def in_frame(self) -> bool:
        """True when part of a frame (or of a request pair) has arrived."""
        return self._decoder.in_frame or self._meta is not None

    @property
    def waiting_for_upgrade(self) -> bool:
        """True while a silent client should get :meth:`upgrade_wait_over` after a while."""
        return self.state is ServerState.HELLO and not self._password_required

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Bytes read from the client."""
        self._decoder.receive_data(data)

    def data_to_send(self) -> bytes:
        """Bytes the session produced by itself: the offer, the password question,
        and once the client is in, the notice that its early frame was dropped."""
        out, self._out = bytes(self._out), bytearray()
        if self._dropped and self.state is ServerState.CHAT:
            self._dropped = False
            out += wire.encode_v1(ev.Info(EARLY_FRAME_DROPPED))
        return out

    def next_event(self) -> ev.Event | None:
        """The next event, or None until more bytes arrive (or the room accepts).

        Returns :class:`~.events.Refused` for a name that breaks the rules
        (the caller sends it and closes), a :class:`~.events.JoinRequest` when
        the handshake is complete, then requests; :class:`~.events.CommandError`
        for a protocol-1 command that cannot be carried out. Raises
        :class:`RemoteProtocolError` for bytes that break the protocol.
        """
        while True:
            state = self.state
            if state is ServerState.JOINING:
                # The room may keep a join waiting (the password gate): bound what piles up.
                if self._decoder.buffered > 2 * (HEADER_LENGTH + self._max_message):
                    raise RemoteProtocolError("too much data before the room let the client in")
                return None
            if state is ServerState.CLOSED:
                return None
            if state is ServerState.CHAT:
                return self._next_request()
            frame = self._decoder.next_frame()
            if frame is None:
                return None
            event = self._handshake(state, frame)
            if event is not None:
                return event

    def _handshake(self, state: ServerState, frame: bytes) -> ev.Event | None:
        if state is ServerState.NAME:
            try:
                self.name = validate_name(decode_text(frame, "name"))
            except InvalidName as exc:
                return ev.Refused(str(exc))
            self.state = ServerState.HELLO
            crowd = self._crowd is not None and self._crowd()
            self._out += hello_pair(self._max_message, self._files_max, crowd) + (
                _AUTH_PAIR if self._password_required else b""
            )
            return None
        if state is ServerState.HELLO:
            what = "password" if self._password_required else "message"
            upgrade = wire.parse_upgrade_files(decode_text(frame, what))
            if upgrade is not None:
                self.version = 2
                self._upgrade = upgrade
                self.files = upgrade[2] and self._files_max > 0
                self.crowd = wire.upgrade_wants_crowd(frame.decode())
                if self._password_required:
                    self.state = ServerState.AUTH
                    return None
                return self._join(None)
            if self._password_required:
                return self._join(decode_text(frame, "password"))
            self._dropped = True  # never relayed: it may be a password sent blindly
            return self._join(None)
        return self._join(decode_text(frame, "password"))  # AUTH

    def upgrade_wait_over(self) -> ev.JoinRequest | None:
        """The client stayed silent after the offer: it joins as protocol 1."""
        if not self.waiting_for_upgrade:
            return None
        return self._join(None)

    def _join(self, password: str | None) -> ev.JoinRequest:
        self.state = ServerState.JOINING
        token, resume, _ = self._upgrade if self._upgrade is not None else ("", None, False)
        self._joining = ev.JoinRequest(
            self.name, password, self.version, token, resume, crowd=self.crowd, files=self.files
        )
        return self._joining

    def accept(self) -> None:
        """The room let the client in: requests may follow, up to the message limit."""
        if self.state is not ServerState.JOINING:
            raise LocalProtocolError(f"accept() in state {self.state.name}")
        self.state = ServerState.CHAT
        # A files member sends data pairs of up to CHUNK bytes whatever the message limit.
        limit = self._max_message
        self._decoder.max_payload = max(limit, DEFAULT_MAX_PAYLOAD) if self.files else limit

    def _next_request(self) -> ev.Event | None:
        if (frame := self._decoder.next_frame()) is None:
            return None
        if self.version == 1:
            text = decode_text(frame, "message")
            if text.startswith(wire.UPGRADE_WORD) and wire.parse_upgrade(text) is not None:
                # Too late: the client was let in as protocol 1 while it was busy
                # (it sees the protocol-1 welcome and speaks protocol 1 too).
                return self._next_request()
            try:
                return parse_command(text)
            except BadCommand as exc:
                return ev.CommandError(str(exc))
        if (
            self.files
            and len(frame) > self._max_message
            and not (self._meta is not None and filewire.is_data_meta(self._meta))
        ):
            # Only a data body may use the frame size the files extension allows.
            raise RemoteProtocolError(
                f"frame of {len(frame)} bytes exceeds the limit of {self._max_message} bytes"
            )
        if self._meta is None:
            self._meta = decode_text(frame, "request")
            return self._next_request()
        meta, self._meta = self._meta, None
        if self.files and meta.partition(" ")[0] in filewire.FILE_REQUEST_KINDS:
            return filewire.parse_file_request(meta, frame)  # a data body stays bytes
        return wire.parse_request_v2(meta, decode_text(frame, "message"))

    def send(self, event: ev.Event) -> bytes:
        """Bytes that tell this client ``event`` (in its protocol version).

        Bytes the session still has of its own (the offer, the password
        question) come first, so they always precede what the room says.
        ``Refused`` closes the session: nothing is read after it.
        """
        if self.state is ServerState.CLOSED:
            raise LocalProtocolError("send() on a closed session")
        if isinstance(event, ev.Refused):
            self.state = ServerState.CLOSED
        encoded = wire.encode_v2(event) if self.version == 2 else wire.encode_v1(event)
        if not self._out:
            return encoded
        own, self._out = bytes(self._out), bytearray()
        return own + encoded

    def replay_head(self, count: int, resumed: bool) -> bytes:
        """The pair announcing ``count`` replayed pairs (nothing for an empty v1 replay)."""
        if self.version == 2:
            return wire.meta_pair(f"replay {count} {int(resumed)}")
        return encode_pair(ev.HISTORY, str(count)) if count else b""

    def close(self) -> None:
        """Nothing more is read or sent (the connection is going away)."""
        self.state = ServerState.CLOSED
