"""The in-memory room harness of test_room*.py.

Each protocol-2 member is a real ClientConnection wired to a Member (whose
session is a real ServerConnection) by passing bytes; protocol-1 members are
tutorial clients: raw frames in, (sender, text) pairs out. No sockets, no
threads, and the room's clock is a fake (:class:`Clock`). :class:`Net` passes
bytes until nothing moves.

The ``clock``/``room``/``net`` fixtures live in each test module: a module's
own ``room`` must override conftest's (a RoomServer on a socket).
"""

from __future__ import annotations

import itertools

import pytest

from desktopchat.protocol import PairDecoder, encode_frame, wire
from desktopchat.protocol import events as ev
from desktopchat.protocol.client import ClientConnection, ClientState
from desktopchat.protocol.commands import Command
from desktopchat.protocol.server import ServerConnection, ServerState
from desktopchat.server.room import Member, Room

START = 1_700_000_000.0


class Clock:
    """The room's clock: moves only when told."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float = 1.0) -> float:
        self.now += seconds
        return self.now


class Peer:
    """A protocol-2 client and its member in the room."""

    def __init__(self, net: Net, conn: ClientConnection, address: str) -> None:
        self.net = net
        self.conn = conn
        session = ServerConnection(
            password_required=net.room.gate.required, max_message=net.max_message
        )
        self.member = Member(session, address)
        self.events: list[ev.Event] = []
        self.received = bytearray()  # every byte the room sent it
        self.cut = False  # the network is gone but the room does not know yet

    def send(self, request: Command) -> None:
        """Send one request and let everything settle."""
        self.member.session.receive_data(self.conn.send(request))
        self.net.settle()

    def take(self) -> list[ev.Event]:
        """The events received since the last take."""
        got, self.events = self.events, []
        return got

    def pump_client(self) -> bool:
        moved = False
        if self.cut:
            return False
        if self.member.out:
            data = bytes(self.member.out)
            self.member.out.clear()
            self.received += data
            self.conn.receive_data(data)
            moved = True
        while (event := self.conn.next_event()) is not None:
            self.events.append(event)
            moved = True
        data = self.conn.data_to_send()
        if data:
            self.member.session.receive_data(data)
            moved = True
        return moved


class OldPeer:
    """A protocol-1 (tutorial) client: writes frames, reads pairs."""

    def __init__(self, net: Net, address: str) -> None:
        self.net = net
        session = ServerConnection(
            password_required=net.room.gate.required, max_message=net.max_message
        )
        self.member = Member(session, address)
        self.decoder = PairDecoder()
        self.pairs: list[tuple[str, str]] = []
        self.received = bytearray()
        self.cut = False

    def write(self, text: str) -> None:
        self.member.session.receive_data(encode_frame(text))
        self.net.settle()

    def take(self) -> list[tuple[str, str]]:
        got, self.pairs = self.pairs, []
        return got

    def pump_client(self) -> bool:
        if self.cut or not self.member.out:
            return False
        data = bytes(self.member.out)
        self.member.out.clear()
        self.received += data
        self.decoder.receive_data(data)
        self.pairs.extend(self.decoder)
        return True


class Net:
    """A room and its members, wired by passing bytes until nothing moves."""

    def __init__(self, room: Room, *, max_message: int = 65536) -> None:
        self.room = room
        self.max_message = max_message
        self.peers: list[Peer | OldPeer] = []
        self._addresses = 0
        self._tokens = itertools.count()

    def _address(self) -> str:
        self._addresses += 1
        return f"192.0.2.{self._addresses}"

    def connect(
        self,
        name: str,
        password: str | None = None,
        *,
        token: str | None = None,
        resume: tuple[str, int] | None = None,
    ) -> Peer:
        token = token or f"tok{name}{next(self._tokens)}"
        conn = ClientConnection(name, password, token=token, resume=resume)
        peer = Peer(self, conn, self._address())
        self.peers.append(peer)
        self.settle()
        return peer

    def connect_v1(self, name: str, first: str | None = None) -> OldPeer:
        """A tutorial client: its name, then ``first`` or silence until the upgrade wait ends."""
        peer = OldPeer(self, self._address())
        self.peers.append(peer)
        session = peer.member.session
        session.receive_data(encode_frame(name))
        if first is not None:
            session.receive_data(encode_frame(first))
        self.settle()
        if session.state is ServerState.HELLO:
            request = session.upgrade_wait_over()
            assert request is not None
            self.room.handle(peer.member, request)
            self.settle()
        return peer

    def cut(self, peer: Peer | OldPeer) -> None:
        """The network dies silently: the room still holds the member (a ghost)."""
        peer.cut = True

    def drop(self, peer: Peer | OldPeer) -> None:
        """The connection ends: what was queued for it is lost."""
        self.room.leave(peer.member)
        peer.member.session.close()
        peer.member.out.clear()
        self.peers.remove(peer)
        self.settle()

    def serve(self, peer: Peer | OldPeer) -> bool:
        """The server side of one pass for ``peer``: read its requests, act on them."""
        member = peer.member
        session = member.session
        moved = False
        while session.state is not ServerState.CLOSED:
            event = session.next_event()
            # What the session said by itself (the offer) goes out before the room's answer.
            moved |= self._flush_session(member)
            if event is None:
                break
            moved = True
            if isinstance(event, ev.Refused):  # a bad name: the loop answers and closes
                self.room.fanout.send(member, session.send(event))
            else:
                self.room.handle(member, event)
        return moved

    def _flush_session(self, member: Member) -> bool:
        data = member.session.data_to_send()
        self.room.fanout.send(member, data)
        return bool(data)

    def settle(self) -> None:
        for _ in range(10_000):
            moved = False
            for peer in list(self.peers):
                moved |= self.serve(peer)
            for peer in list(self.peers):
                moved |= peer.pump_client()
            if not moved:
                self.room.fanout.touched.clear()
                return
        raise AssertionError("the room never settled")


def joined(net: Net, *names: str) -> list[Peer]:
    """Protocol-2 members, in order, with their joining events already taken."""
    peers = []
    for name in names:
        peer = net.connect(name)
        assert peer.conn.state is ClientState.CHAT, peer.take()
        peers.append(peer)
    for peer in peers:
        peer.take()
    return peers


def ids_in_log(room: Room) -> list[int]:
    return [entry.id for entry in room.log.after(0)]


def spy_encodings(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, ev.Event]]:
    """Record every event the room encodes, as (protocol version, event), from now on."""
    encoded: list[tuple[int, ev.Event]] = []
    real_v1, real_v2 = wire.encode_v1, wire.encode_v2

    def spy_v1(event: ev.Event) -> bytes:
        encoded.append((1, event))
        return real_v1(event)

    def spy_v2(event: ev.Event) -> bytes:
        encoded.append((2, event))
        return real_v2(event)

    monkeypatch.setattr(wire, "encode_v1", spy_v1)
    monkeypatch.setattr(wire, "encode_v2", spy_v2)
    return encoded
