"""What tests/test_room.py leaves out: the fan-out's flush set, a join encoded once,
the capped ``*users`` list, and per-pass fairness of the loop (the password gate:
tests/test_passwords*.py).
"""

from __future__ import annotations

import functools
import socket

import pytest
from peer import Peer
from roomkit import spy_encodings
from waiting import wait_until

from desktopchat import protocol
from desktopchat.protocol import events as ev
from desktopchat.protocol import wire
from desktopchat.protocol.client import ClientConnection
from desktopchat.protocol.server import ServerConnection
from desktopchat.server import RoomServer
from desktopchat.server.limits import FRAMES_PER_PASS
from desktopchat.server.room import MAX_SERVER_TEXT, Member, Room


def enter(room: Room, name: str, *, v2: bool = False) -> Member:
    """A member let in as the loop lets one in: its name, then the upgrade or silence."""
    session = ServerConnection(password_required=False, max_message=protocol.DEFAULT_MAX_PAYLOAD)
    member = Member(session, "192.0.2.1")
    upgrade = protocol.encode_frame(f"/protocol 2 tok{name}") if v2 else b""
    session.receive_data(protocol.encode_frame(name) + upgrade)
    request = session.next_event()
    if request is None:  # a protocol-1 client says nothing after its name
        request = session.upgrade_wait_over()
    assert isinstance(request, ev.JoinRequest), request
    room.handle(member, request)
    assert room.members.get(protocol.name_key(name)) is member
    return member


def pairs(member: Member) -> list[tuple[str, str]]:
    """Decode and clear what the room queued for ``member`` (raw pairs of either version)."""
    decoder = protocol.PairDecoder(max_payload=1 << 20)
    decoder.receive_data(bytes(member.out))
    member.out.clear()
    got = list(decoder)
    assert not decoder.in_frame
    return got


def v2_events(member: Member, name: str) -> list[ev.Event]:
    """What a protocol-2 client makes of everything queued for ``member`` since it joined."""
    conn = ClientConnection(name, token=f"tok{name}")
    conn.receive_data(bytes(member.out))
    member.out.clear()
    got: list[ev.Event] = []
    while (event := conn.next_event()) is not None:
        got.append(event)
    return got


# --- the fan-out --------------------------------------------------------------------------


def test_the_room_marks_whom_the_loop_must_flush() -> None:
    room = Room()
    ann = enter(room, "ann", v2=True)
    bob = enter(room, "bob")
    for member in (ann, bob):
        member.out.clear()
    room.fanout.touched.clear()
    room.handle(ann, ev.Message("hi", cid=1))
    assert room.fanout.touched == {ann, bob}
    assert [meta.split(" ")[:2] for meta, _ in pairs(ann)] == [["ok", "1"]]
    assert pairs(bob) == [("ann", "hi")]
    room.fanout.touched.clear()
    room.handle(ann, ev.Who(cid=2))  # an answer for ann alone
    assert room.fanout.touched == {ann}
    assert not bob.out
    room.handle(ann, ev.Message("again", cid=3))
    room.leave(bob)  # a member that left is not flushed by the room any more
    assert room.fanout.touched == {ann}
    room.leave(bob)  # twice is harmless
    assert [sender for sender, _ in pairs(ann)][-1].startswith("leave ")


def test_a_join_is_encoded_once_per_version(monkeypatch: pytest.MonkeyPatch) -> None:
    room = Room()
    members = [enter(room, f"m{i}", v2=i % 2 == 0) for i in range(6)]
    real_v1, real_v2 = wire.encode_v1, wire.encode_v2
    encoded = spy_encodings(monkeypatch)
    enter(room, "new")
    joins = [(version, event) for version, event in encoded if isinstance(event, ev.Joined)]
    assert sorted(version for version, _ in joins) == [1, 2]
    joined = joins[0][1]
    assert joined.name == "new"
    # Everyone's buffer ends with the very pair of its protocol.
    for member in members:
        assert bytes(member.out).endswith(real_v2(joined) if member.v2 else real_v1(joined))
    assert bytes(members[1].out).endswith(protocol.encode_pair(ev.JOIN, "new"))


def test_users_list_is_capped_at_the_frame_limit() -> None:
    room = Room(history=0)
    names = [f"{i:05d}" + "n" * 27 for i in range(2100)]  # 32 characters each: > 64 KiB
    for i, name in enumerate(names):
        enter(room, name)
        if i % 100 == 0:  # nobody reads these: keep the buffers small
            for member in room.members.values():
                member.out.clear()
    old = enter(room, "old")
    got = pairs(old)
    assert [sender for sender, _ in got] == [ev.HELLO, ev.WELCOME, ev.USERS, ev.INFO]
    listed = got[2][1].split(" ")
    assert len(got[2][1].encode()) <= MAX_SERVER_TEXT
    assert listed == [*names, "old"][: len(listed)]
    assert got[3][1] == f"{len(names) + 1 - len(listed)} more users are in the room but not listed."
    # Protocol 2 gets the same cut, at joining and in answer to Who.
    new = enter(room, "new", v2=True)
    room.handle(new, ev.Who(cid=1))
    welcome, users, info, replay, again, again_info, ok = v2_events(new, "new")
    assert isinstance(welcome, ev.Welcome) and welcome.version == 2
    assert isinstance(users, ev.UserList) and users == again
    assert len(" ".join(users.names).encode()) <= MAX_SERVER_TEXT
    assert list(users.names) == [*names, "old", "new"][: len(users.names)]
    missing = len(names) + 2 - len(users.names)
    assert info == again_info == ev.Info(f"{missing} more users are in the room but not listed.")
    assert replay == ev.Replay(())
    assert ok == ev.Accepted(1)


# --- fairness -------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [1, 2])
def test_one_pass_handles_a_bounded_number_of_requests_per_client(version: int) -> None:
    # Drive the loop by hand: a flood already sitting in the server's socket
    # must not be handled all at once while another client waits. A request is
    # a frame in protocol 1 and a pair in protocol 2.
    srv = RoomServer("127.0.0.1", 0, history=0, upgrade_wait=0.0, rate_limits=None)
    peers: dict[str, Peer] = {}
    try:
        for name in ("alice", "bob", "carol"):
            peer = Peer(srv.address)
            hello = protocol.encode_frame(name)
            if name == "carol" and version == 2:  # in one write: before the upgrade wait ends
                hello += protocol.encode_frame(f"/protocol 2 tok{name}")
            peer.send_raw(hello)
            wait_until(functools.partial(_pass_until, srv, name), what=f"{name} joined")
            peers[name] = peer
        assert [c.v2 for c in srv._conns if c.name == "carol"] == [version == 2]
        if version == 2:
            flood = b"".join(protocol.encode_pair(f"say {i + 1}", f"f{i}") for i in range(1000))
        else:
            flood = b"".join(protocol.encode_frame(f"f{i}") for i in range(1000))
        alice = peers["alice"]
        alice.sock.setblocking(False)
        _read_available(alice.sock)  # the handshake and the others' joins
        peers["carol"].send_raw(flood)
        peers["bob"].send("from bob")
        wait_until(lambda: _readable(srv, "carol", "bob"), what="the flood and bob's line")
        srv._pass()
        alice.decoder.receive_data(_read_available(alice.sock))
        got = [p for p in alice.decoder if not p[0].startswith("*")]
        assert ("bob", "from bob") in got
        assert [t for s, t in got if s == "carol"] == [f"f{i}" for i in range(FRAMES_PER_PASS)]
        srv._pass()
        alice.decoder.receive_data(_read_available(alice.sock))
        more = [t for s, t in alice.decoder if s == "carol"]
        assert more == [f"f{i}" for i in range(FRAMES_PER_PASS, 2 * FRAMES_PER_PASS)]
    finally:
        for peer in peers.values():
            peer.close()
        srv.stop()


def _pass_until(srv: RoomServer, name: str) -> bool:
    """One loop pass; True once ``name`` is in the room."""
    srv._pass()
    return name in srv._room.members


def _readable(srv: RoomServer, *names: str) -> bool:
    """True when the server's sockets of ``names`` all have bytes waiting."""
    socks = [c.sock for c in srv._conns if c.name in names]
    assert len(socks) == len(names)
    for sock in socks:
        try:
            if not sock.recv(1, socket.MSG_PEEK):
                return False
        except BlockingIOError:
            return False
    return True


def _read_available(sock: socket.socket) -> bytes:
    chunks: list[bytes] = []
    while True:
        try:
            data = sock.recv(1 << 20)
        except BlockingIOError:
            return b"".join(chunks)
        assert data
        chunks.append(data)
