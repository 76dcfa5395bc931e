"""The room's rules without sockets, the password gate, and per-pass fairness."""

from __future__ import annotations

import socket

import pytest
from peer import Peer

from desktopchat import protocol
from desktopchat.protocol import events
from desktopchat.server import RoomServer
from desktopchat.server.gate import PasswordGate
from desktopchat.server.limits import FRAMES_PER_PASS
from desktopchat.server.room import MAX_SERVER_TEXT, Member, Rejected, Room


def pairs(member: Member) -> list[tuple[str, str]]:
    """Decode and clear what the room queued for ``member``."""
    decoder = protocol.PairDecoder(max_payload=1 << 20)
    decoder.receive_data(bytes(member.out))
    member.out.clear()
    got = list(decoder)
    assert not decoder.in_frame
    return got


def test_room_without_sockets() -> None:
    room = Room(history=2)
    ann, bob = Member(), Member()
    room.join(ann, "ann")
    room.join(bob, "bob")
    assert pairs(ann)[-1] == (events.JOIN, "bob")
    assert pairs(bob)[1] == (events.USERS, "ann bob")
    room.handle(ann, b"hi")
    assert pairs(bob) == [("ann", "hi")]
    assert pairs(ann) == []
    assert room.fanout.touched == {ann, bob}
    with pytest.raises(Rejected, match="already taken"):
        room.join(Member(), "ANN")
    room.leave(bob)
    assert pairs(ann) == [(events.LEAVE, "bob")]
    room.leave(bob)  # twice is harmless
    assert pairs(ann) == []


def test_join_is_encoded_once_for_everyone() -> None:
    # The fan-out appends the same bytes object's contents; here we check the
    # observable part: everyone's buffer ends with the identical pair.
    room = Room()
    members = [Member() for _ in range(5)]
    for i, m in enumerate(members):
        room.join(m, f"m{i}")
    newcomer = Member()
    room.join(newcomer, "new")
    expected = protocol.encode_pair(events.JOIN, "new")
    assert all(bytes(m.out).endswith(expected) for m in members)


def test_users_list_is_capped_at_the_frame_limit() -> None:
    room = Room()
    names = [f"{i:05d}" + "n" * 27 for i in range(3000)]  # 32 characters each
    for name in names:
        room.join(Member(), name)
    who = Member()
    room.join(who, "who")
    got = pairs(who)
    assert got[0][0] == events.WELCOME
    assert got[1][0] == events.USERS
    listed = got[1][1].split(" ")
    assert len(got[1][1].encode()) <= MAX_SERVER_TEXT
    assert listed == [*names, "who"][: len(listed)]
    assert got[2] == (
        events.INFO,
        f"{3001 - len(listed)} more users are in the room but not listed.",
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_password_gate_locks_out_after_free_attempts() -> None:
    clock = Clock()
    gate = PasswordGate("s3cret", clock=clock)
    assert gate.required
    for _ in range(PasswordGate.FREE_ATTEMPTS):
        assert gate.check("10.0.0.1", "guess") == "Wrong password."
    assert gate.check("10.0.0.1", "guess") == "Wrong password."  # 4th: now locked for 1 s
    locked = gate.check("10.0.0.1", "s3cret")
    assert locked is not None and locked.startswith("Too many wrong passwords")
    assert gate.check("10.0.0.2", "s3cret") is None  # other addresses are not affected
    clock.now += 1.01
    assert gate.check("10.0.0.1", "guess") == "Wrong password."  # 5th: locked for 2 s
    clock.now += 1.5
    assert gate.check("10.0.0.1", "s3cret") == (
        "Too many wrong passwords from your address: try again in 1 s."
    )
    clock.now += 0.6
    assert gate.check("10.0.0.1", "s3cret") is None  # the right one resets the record
    assert gate.check("10.0.0.1", "guess") == "Wrong password."


def test_password_gate_lock_is_capped_and_table_bounded() -> None:
    clock = Clock()
    gate = PasswordGate("pw", clock=clock)
    for _ in range(40):
        gate.check("10.0.0.1", "x")
        clock.now += PasswordGate.MAX_LOCK + 0.01
    assert gate.check("10.0.0.1", "pw") is None
    for i in range(PasswordGate.MAX_TRACKED + 50):
        gate.check(f"addr{i}", "x")
    assert len(gate._failures) == PasswordGate.MAX_TRACKED
    assert PasswordGate(None).check("any", "thing") is None
    assert not PasswordGate("").required


def test_one_pass_handles_a_bounded_number_of_frames_per_client() -> None:
    # Drive the loop by hand: a flood already sitting in the server's socket
    # must not be handled all at once while another client waits.
    srv = RoomServer("127.0.0.1", 0, history=0)
    try:
        peers = {}
        for name in ("alice", "bob", "carol"):
            peer = Peer(srv.address)
            peer.send(name)
            while not srv._room.members.get(name):
                srv._pass()
            peers[name] = peer
        flood = b"".join(protocol.encode_frame(f"f{i}") for i in range(1000))
        peers["carol"].send_raw(flood)
        peers["bob"].send("from bob")
        srv._pass()
        alice = peers["alice"]
        alice.sock.setblocking(False)
        alice.decoder.receive_data(_read_available(alice.sock))
        got = [p for p in alice.decoder if not p[0].startswith("*")]
        assert ("bob", "from bob") in got
        assert [t for s, t in got if s == "carol"] == [f"f{i}" for i in range(FRAMES_PER_PASS)]
        srv._pass()
        alice.decoder.receive_data(_read_available(alice.sock))
        more = [t for s, t in alice.decoder if s == "carol"]
        assert more == [f"f{i}" for i in range(FRAMES_PER_PASS, 2 * FRAMES_PER_PASS)]
    finally:
        srv.stop()


def _read_available(sock: socket.socket) -> bytes:
    chunks: list[bytes] = []
    while True:
        try:
            data = sock.recv(1 << 20)
        except BlockingIOError:
            return b"".join(chunks)
        assert data
        chunks.append(data)
