"""The client's side of one connection, without I/O (docs/PROTOCOL.md sections 2, 8, 9).

:class:`ClientConnection` writes the name, takes up the protocol-2 offer
(with the client's token and, on a reconnect, the last room id it saw),
answers the password question, takes on the message limit the offer
announces, and turns the room's pairs into events.
Requests go out through :meth:`send`. The caller owns the socket and the
clock: it calls :meth:`grace_expired` when a server said nothing for a while
after the name (a plain relay such as the tutorial's server).

States: HANDSHAKE -> CHAT -> CLOSED. ``version`` is None until known, then 2
(our room), 1 (an older desktopchat room: events, no ids) or 0 (no events).

Files (section 14): made with ``files=True``, the session asks for the files
extension when the room's offer has ``files=MAXBYTES``; then :attr:`files_max`
is that size, the room's file pairs come out as :mod:`.fileevents` events
(a ``data`` body as bytes, never decoded) and :meth:`send_file` encodes the
extension's requests.
"""

from __future__ import annotations

import enum

from desktopchat.protocol import events as ev
from desktopchat.protocol import filewire, wire
from desktopchat.protocol.commands import Command, command_text
from desktopchat.protocol.crowd import CROWD_WORD
from desktopchat.protocol.fileevents import FILES_WORD
from desktopchat.protocol.framing import (
    DEFAULT_MAX_PAYLOAD,
    HANDSHAKE_MAX_PAYLOAD,
    LocalProtocolError,
    PairDecoder,
    RemoteProtocolError,
    decode_text,
    encode_frame,
)
from desktopchat.protocol.names import name_key

__all__ = ["MAX_REPLAY", "MAX_ROOM_MESSAGE", "ClientConnection", "ClientState"]

#: Most events a replay may announce: far above what a room keeps (1,000 by
#: default, ``--history`` if larger), low enough that a hostile room cannot
#: make us collect events without end.
MAX_REPLAY = 100_000

#: Largest message limit a room may announce (``*hello`` ``max=N``) that we
#: take on: far above any chat, low enough that one frame cannot take all
#: our memory. A room announcing more is refused at the handshake.
MAX_ROOM_MESSAGE = 16 * 1024 * 1024


class ClientState(enum.Enum):
    """Where our conversation with the room is."""

    HANDSHAKE = "handshake"  # name sent; waiting to be let in
    CHAT = "chat"  # in the room
    CLOSED = "closed"  # refused or ended


class ClientConnection:
    """One connection's session as the client sees it. See the module docstring."""

    def __init__(
        self,
        name: str,
        password: str | None = None,
        *,
        token: str,
        resume: tuple[str, int] | None = None,
        max_message: int = DEFAULT_MAX_PAYLOAD,
        files: bool = False,
    ) -> None:
        self.name = name
        # Ask for the files extension if the room offers it.
        self._files_wanted = files
        #: The room's largest file (its offer's ``files=N``) once we asked for
        #: files; None: no files on this connection.
        self.files_max: int | None = None
        #: The room is big and offered ``crowd``, which we took up: presence
        #: comes coalesced (``Joins``, ``Leaves``), names in pages.
        self.crowd = False
        self.password = password
        self.token = token
        self.resume = resume
        self.max_message = max_message
        #: The room's message limit as its offer announced it (None: not said,
        #: the protocol's default); requests over it are refused in :meth:`send`.
        self.room_max: int | None = None
        self.state = ClientState.HANDSHAKE
        self.version: int | None = None
        #: The room's epoch and the newest room id seen (protocol 2).
        self.epoch: str | None = resume[0] if resume else None
        self.last_id: int | None = resume[1] if resume else None
        # The room grows its history frames with its own limit; we accept what
        # it says it sends, up to a sane ceiling (docs/PROTOCOL.md section 5).
        self._decoder = PairDecoder(max(max_message, DEFAULT_MAX_PAYLOAD))
        self._out = bytearray(encode_frame(name, max_message))
        self._heard_event = False
        self._replay: list[ev.RoomEvent | ev.Accepted] | None = None
        self._replay_left = 0
        self._replay_resumed = False
        self._replay_gap: ev.Gap | None = None
        # A pair read past the end of a replay, handled next.
        self._pushback: tuple[str, str] | None = None
        # A protocol-2 event (and its meta) read past the end of a replay, handled next.
        self._held: tuple[ev.Event, str] | None = None
        self._replay_done = False  # this session's replay has been reported

    # --- bytes ------------------------------------------------------------------------

    def data_to_send(self) -> bytes:
        """Handshake bytes to write (the name first, then the upgrade and password)."""
        out, self._out = bytes(self._out), bytearray()
        return out

    @property
    def in_frame(self) -> bool:
        """True when part of a pair has arrived."""
        return self._decoder.in_frame

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Bytes read from the room."""
        self._decoder.receive_data(data)

    def next_event(self) -> ev.Event | None:
        """The next event, or None until more bytes arrive.

        Raises :class:`RemoteProtocolError` for bytes that break the protocol.
        """
        while True:
            if self._held is not None:
                (held, meta), self._held = self._held, None
                return self._on_v2_event(held, meta)
            pair, self._pushback = self._pushback, None
            if pair is None:
                if (raw := self._decoder.next_raw_pair()) is None:
                    return None
                meta, body = raw
                if self.files_max is not None and self._is_file_pair(meta):
                    event = self._on_file_pair(meta, body)
                    if event is not None:
                        return event
                    continue
                pair = (meta, decode_text(body, "message text"))
            event = self._on_pair(*pair)
            if event is not None:
                return event

    def grace_expired(self) -> ev.Welcome | None:
        """The server said nothing after our name: a plain relay; we are in."""
        if self.state is not ClientState.HANDSHAKE or self._heard_event:
            return None
        return self._welcome(ev.Welcome(self.name, "", 0))

    @property
    def resume_point(self) -> tuple[str, int] | None:
        """(epoch, last id) a reconnect should ask to resume from.

        Only once this session's replay is in: a connection cut before or
        during it has not shown what it was about to, so the next one asks
        from the same point as this one did (or as a newcomer again).
        """
        if self._replay_done and self.epoch is not None and self.last_id is not None:
            return (self.epoch, self.last_id)
        return self.resume

    @property
    def waiting_for_grace(self) -> bool:
        """True while silence from the server would mean it is a plain relay."""
        return self.state is ClientState.HANDSHAKE and not self._heard_event

    # --- requests ---------------------------------------------------------------------

    @property
    def message_limit(self) -> int:
        """Largest text :meth:`send` takes: the room's announced limit, else ``max_message``."""
        return self.room_max if self.room_max is not None else self.max_message

    def send(self, request: Command) -> bytes:
        """Bytes for one request (protocol 2: tagged with its cid).

        Raises :class:`LocalProtocolError` before the room let us in, and for
        a text over the room's message limit (:attr:`message_limit`).
        """
        if self.state is not ClientState.CHAT:
            raise LocalProtocolError(f"send() in state {self.state.name}")
        limit = self.message_limit
        if self.version != 2:
            return encode_frame(command_text(request), limit)
        cid = request.cid if request.cid is not None else 0
        match request:
            case ev.Message(text=text):
                meta, body = f"say {cid}", text
            case ev.Action(text=text):
                meta, body = f"me {cid}", text
            case ev.Private(text=text, to=to):
                meta, body = f"msg {cid} {to}", text
            case ev.NickChange(new=new):
                meta, body = f"nick {cid}", new
            case ev.Who(start=start):
                page = f" {start}" if start is not None and self.crowd else ""
                meta, body = f"who {cid}{page}", ""
            case ev.Help():
                meta, body = f"help {cid}", ""
        return encode_frame(meta) + encode_frame(body, limit)

    def send_file(self, request: ev.Event) -> bytes:
        """Bytes for one request of the files extension (:mod:`.fileevents`).

        Raises :class:`LocalProtocolError` unless we are in a room that gave us
        files (:attr:`files_max`); see :func:`.filewire.encode_file_request`.
        """
        if self.state is not ClientState.CHAT or self.files_max is None:
            raise LocalProtocolError("send_file() without files on this connection")
        return filewire.encode_file_request(request)

    def typing(self) -> bytes:
        """The ``typing`` request's bytes in a protocol-2 room, else b"" (never sent there)."""
        if self.state is not ClientState.CHAT or self.version != 2:
            return b""
        return wire.meta_pair("typing")

    # --- pairs ------------------------------------------------------------------------

    def _welcome(self, welcome: ev.Welcome) -> ev.Welcome:
        self.state = ClientState.CHAT
        self.version = welcome.version
        self.name = welcome.name
        if welcome.version == 2:
            if self.resume is None or self.resume[0] != welcome.epoch:
                # A first visit, or the room restarted (old ids mean nothing): we
                # start at its newest id; a replay of this run may still follow.
                self.last_id = welcome.last_id if self.resume is None else 0
            self.epoch = welcome.epoch
        return welcome

    def _on_pair(self, sender: str, text: str) -> ev.Event | None:
        if self.state is ClientState.CLOSED:
            return None
        if self.version == 2 and not sender.startswith(ev.EVENT_PREFIX):
            return self._on_v2(sender, text)
        if self.state is ClientState.HANDSHAKE:
            return self._on_handshake(sender, text)
        return self._on_v1(sender, text)

    def _on_handshake(self, sender: str, text: str) -> ev.Event | None:
        if not sender.startswith(ev.EVENT_PREFIX):
            if self._heard_event:  # a protocol-1 room sends no chat before the welcome
                raise RemoteProtocolError(f"message from {sender!r} before the welcome")
            self._pushback = (sender, text)  # shown right after we count as let in
            return self._welcome(ev.Welcome(self.name, "", 0))  # chat at once: a plain relay
        self._heard_event = True
        if sender == ev.HELLO and self.version is None:
            words = text.split(" ")
            if words[:2] == ["desktopchat", "2"]:
                refused = self._room_limit(words[2:])
                if refused is not None:
                    return refused
                self.version = 2
                self.crowd = CROWD_WORD in words[2:]
                upgrade = wire.format_upgrade(
                    self.token, self.resume, self.files_max is not None, self.crowd
                )
                self._out += encode_frame(upgrade)
            return None
        if sender == ev.AUTH:
            if self.password is None:
                self.state = ClientState.CLOSED
                return ev.Refused("This room needs a password")
            try:
                self._out += encode_frame(self.password, HANDSHAKE_MAX_PAYLOAD)
            except LocalProtocolError:
                self.state = ClientState.CLOSED
                return ev.Refused("The password is too long")
            return ev.AuthRequired()
        if sender == ev.ERROR:
            self.state = ClientState.CLOSED
            return ev.Refused(text or "The room refused the connection")
        if sender == ev.WELCOME:
            return self._welcome(ev.Welcome(self.name, text, 1))
        return None  # an event this version does not know, before the welcome

    def _room_limit(self, words: list[str]) -> ev.Refused | None:
        """Take on the ``max=N`` of the room's offer (other words are for later versions)."""
        for word in words:
            if self._files_wanted and word.startswith(f"{FILES_WORD}="):
                size = word[len(FILES_WORD) + 1 :]
                if size.isascii() and size.isdigit() and len(size) <= 18 and int(size) > 0:
                    self.files_max = int(size)
                continue
            digits = word.removeprefix("max=")
            if digits == word or not (digits.isascii() and digits.isdigit()):
                continue
            if len(digits) > 12 or int(digits) > MAX_ROOM_MESSAGE:
                self.state = ClientState.CLOSED
                return ev.Refused(
                    f"The room takes messages of up to {digits[:20]} bytes; this client "
                    f"reads at most {MAX_ROOM_MESSAGE} bytes."
                )
            limit = self.room_max = int(digits)
            # Its history and messages come in frames up to its limit.
            self._decoder.max_payload = max(self._decoder.max_payload, limit)
        return None

    def _on_v1(self, sender: str, text: str) -> ev.Event | None:
        if self._replay is not None:
            if sender == ev.ACTION:
                who, _, what = text.partition(" ")
                return self._replayed(ev.Action(what, sender=who))
            if not sender.startswith((ev.EVENT_PREFIX, ev.PRIVATE_PREFIX)):
                return self._replayed(ev.Message(text, sender=sender))
            # Not a history pair: the replay is over, whatever the count said.
            replay = self._end_replay()
            self._pushback = (sender, text)
            return replay
        if sender.startswith(ev.PRIVATE_PREFIX):
            return ev.Private(text, to=self.name, sender=sender[len(ev.PRIVATE_PREFIX) :])
        if not sender.startswith(ev.EVENT_PREFIX):
            return ev.Message(text, sender=sender)
        if self.version == 0:  # a plain relay: "*x" is somebody's odd name
            return ev.Message(text, sender=sender)
        match sender:
            case ev.HISTORY if text.isascii() and text.isdigit():
                return self._start_replay(int(text), resumed=False)
            case ev.USERS:
                return ev.UserList(tuple(n for n in text.split(" ") if n))
            case ev.JOIN:
                return ev.Joined(text)
            case ev.LEAVE:
                return ev.Left(text)
            case ev.NICK:
                old, _, new = text.partition(" ")
                return self._nick(ev.NickChange(new, old=old))
            case ev.ACTION:
                who, _, what = text.partition(" ")
                return ev.Action(what, sender=who)
            case ev.ERROR:
                return ev.ServerError(text)
            case ev.INFO if text == ev.ROOM_CLOSED:
                self.state = ClientState.CLOSED
                return ev.RoomClosed()
            case ev.INFO | ev.WELCOME:
                return ev.Info(text)
        # An event this version does not know: show it rather than lose it.
        return ev.Info(f"{sender[len(ev.EVENT_PREFIX) :]}: {text}")

    def _nick(self, event: ev.NickChange) -> ev.NickChange:
        if event.new and name_key(event.old) == name_key(self.name):
            self.name = event.new
        return event

    def _on_v2(self, meta: str, body: str) -> ev.Event | None:
        if meta.startswith("replay "):
            words = meta.split(" ")
            if len(words) != 3 or not words[1].isdigit() or words[2] not in ("0", "1"):
                raise RemoteProtocolError(f"malformed event {meta[:80]!r}")
            return self._start_replay(int(words[1]), resumed=words[2] == "1")
        return self._on_v2_event(wire.parse_room_v2(meta, body), meta)

    @staticmethod
    def _is_file_pair(meta: str) -> bool:
        return meta.partition(" ")[0] in filewire.FILE_EVENT_KINDS

    def _on_file_pair(self, meta: str, body: bytes) -> ev.Event | None:
        """A pair of the files extension (only on a connection that asked for files)."""
        if self.state is ClientState.CLOSED:
            return None
        if self.state is not ClientState.CHAT:
            raise RemoteProtocolError(f"{meta.split(' ')[0]!r} before the welcome")
        return self._on_v2_event(filewire.parse_file_event(meta, body), meta)

    def _on_v2_event(self, event: ev.Event, meta: str) -> ev.Event | None:
        if self._replay is not None and not isinstance(event, ev.RoomEvent | ev.Accepted | ev.Gap):
            replay = self._end_replay()  # a pair of another kind ends the replay early
            self._held = (event, meta)
            return replay
        if self.state is ClientState.HANDSHAKE:
            if isinstance(event, ev.Refused):
                self.state = ClientState.CLOSED
                return event
            if not isinstance(event, ev.Welcome):
                raise RemoteProtocolError(f"{meta.split(' ')[0]!r} before the welcome")
            return self._welcome(event)
        match event:
            case ev.RoomEvent(id=id_) if id_ is not None:
                if self.last_id is None or id_ > self.last_id:
                    self.last_id = id_
                if isinstance(event, ev.NickChange):
                    self._nick(event)
            case ev.Accepted(id=id_) if id_ is not None:
                if self.last_id is None or id_ > self.last_id:
                    self.last_id = id_
            case ev.RoomClosed():
                self.state = ClientState.CLOSED
        if self._replay is not None:
            if isinstance(event, ev.Gap):
                self._replay_gap = event
                return self._replayed(None)
            assert isinstance(event, ev.RoomEvent | ev.Accepted)
            return self._replayed(event)
        return event

    # --- replays ------------------------------------------------------------------------

    def _start_replay(self, count: int, *, resumed: bool) -> ev.Event | None:
        if count > MAX_REPLAY:
            raise RemoteProtocolError(f"a replay of {count} events (at most {MAX_REPLAY})")
        self._replay, self._replay_left = [], count
        self._replay_resumed, self._replay_gap = resumed, None
        return self._end_replay() if count == 0 else None

    def _replayed(self, event: ev.RoomEvent | ev.Accepted | None) -> ev.Event | None:
        assert self._replay is not None
        if event is not None:
            self._replay.append(event)
        self._replay_left -= 1
        return self._end_replay() if self._replay_left <= 0 else None

    def _end_replay(self) -> ev.Replay:
        self._replay_done = True
        events, self._replay = tuple(self._replay or ()), None
        return ev.Replay(events, self._replay_resumed, self._replay_gap)
