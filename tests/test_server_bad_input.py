"""Bad input from one client ends that client only; two others keep chatting.

Each case runs against a room where alice and bob are chatting; after the bad
client has been dealt with, alice and bob must still reach each other, and the
bad client (if it had joined) must have left cleanly.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator

import pytest
from peer import Peer
from waiting import wait_until

from desktopchat.protocol import events
from desktopchat.server import RoomServer


class Room:
    """A running server with alice and bob chatting."""

    def __init__(self, server: RoomServer) -> None:
        self.server = server
        self.alice = Peer(server.address)
        self.alice.enter("alice")
        self.bob = Peer(server.address)
        self.bob.enter("bob")
        self.alice.expect(events.JOIN, "bob")
        self.rounds = 0

    def chat(self) -> None:
        """Both directions still work, and nothing unexpected arrived."""
        self.rounds += 1
        self.alice.send(f"ping {self.rounds}")
        self.bob.expect("alice", f"ping {self.rounds}")
        self.bob.send(f"pong {self.rounds}")
        self.alice.expect("bob", f"pong {self.rounds}")

    def joined_peer(self, name: str) -> Peer:
        peer = Peer(self.server.address)
        peer.enter(name)
        self.alice.expect(events.JOIN, name)
        self.bob.expect(events.JOIN, name)
        return peer

    def saw_leave(self, name: str) -> None:
        self.alice.expect(events.LEAVE, name)
        self.bob.expect(events.LEAVE, name)


@pytest.fixture
def room() -> Iterator[Room]:
    # No rate limits: the floods here test the loop's per-pass fairness (test_fairness.py
    # has the limits).
    with RoomServer("127.0.0.1", 0, handshake_timeout=0.5, history=0, rate_limits=None) as server:
        r = Room(server)
        r.chat()
        yield r
        r.chat()


def frame(payload: bytes) -> bytes:
    return f"{len(payload):<10}".encode() + payload


# --- before joining: each gets *error and is closed ------------------------------------

HANDSHAKE_CASES: dict[str, tuple[bytes, str]] = {
    "non-numeric header": (b"abc       hello", "Protocol error: malformed frame header"),
    "negative header": (b"-5        hello", "Protocol error: malformed frame header"),
    "oversize header": (b"99999999  ", "Protocol error: frame of 99999999 bytes exceeds"),
    "huge name frame": (frame(b"x" * 5000), "Protocol error: frame of 5000 bytes exceeds"),
    "invalid UTF-8 name": (frame(b"al\xffice"), "Protocol error: name is not valid UTF-8."),
    "empty name": (frame(b""), "Name is empty"),
    "blank name": (frame(b"   "), "Name is empty"),
    "name with a space": (frame(b"ann lee"), "Name must not contain spaces"),
    "name starting with *": (frame(b"*welcome"), "Name must not start with *, @ or /"),
    "name starting with @": (frame(b"@bob"), "Name must not start with *, @ or /"),
    "name starting with /": (frame(b"/who"), "Name must not start with *, @ or /"),
    "name too long": (frame(b"n" * 33), "Name is too long (33 characters)"),
    "control character": (frame(b"bell\x07"), "Name must not contain control characters"),
    "duplicate name, other case": (frame(b"ALICE"), "already taken"),
}


@pytest.mark.parametrize("case", sorted(HANDSHAKE_CASES))
def test_bad_handshake_input(room: Room, case: str) -> None:
    data, reason = HANDSHAKE_CASES[case]
    bad = Peer(room.server.address)
    bad.send_raw(data)
    assert reason in bad.closed_with_error()


def test_silent_connection_times_out(room: Room) -> None:
    silent = Peer(room.server.address)
    room.chat()  # the room does not wait for it
    assert silent.closed_with_error() == "Handshake timed out after 0.5 s."


def test_half_a_header_times_out(room: Room) -> None:
    slowloris = Peer(room.server.address)
    slowloris.send_raw(b"5    ")
    room.chat()
    assert slowloris.closed_with_error() == "Handshake timed out after 0.5 s."


def test_name_then_silence_times_out_in_a_password_room() -> None:
    with RoomServer("127.0.0.1", 0, password="pw", handshake_timeout=0.5) as server:
        alice = Peer(server.address)
        alice.enter("alice", password="pw")
        quiet = Peer(server.address)
        quiet.send("quiet")
        assert quiet.answer() == (events.AUTH, "password required")
        assert quiet.closed_with_error() == "Handshake timed out after 0.5 s."
        alice.send("/who")
        alice.expect(events.USERS, "alice")


def test_wrong_password_while_others_chat() -> None:
    with RoomServer("127.0.0.1", 0, password="right") as server:
        alice = Peer(server.address)
        alice.enter("alice", password="right")
        bob = Peer(server.address)
        bob.enter("bob", password="right")
        alice.expect(events.JOIN, "bob")
        bad = Peer(server.address)
        bad.send("eve")
        assert bad.answer()[0] == events.AUTH
        bad.send("wrong")
        assert bad.closed_with_error() == "Wrong password."
        bad_utf8 = Peer(server.address)
        bad_utf8.send("eve")
        assert bad_utf8.answer()[0] == events.AUTH
        bad_utf8.send(b"\xc3")
        assert bad_utf8.closed_with_error() == "Protocol error: password is not valid UTF-8."
        alice.send("still here")
        bob.expect("alice", "still here")


# --- after joining ------------------------------------------------------------------------


def test_invalid_utf8_message(room: Room) -> None:
    bad = room.joined_peer("bad")
    bad.send(b"caf\xe9")
    assert bad.closed_with_error() == "Protocol error: message is not valid UTF-8."
    room.saw_leave("bad")


def test_oversize_message(room: Room) -> None:
    bad = room.joined_peer("bad")
    bad.send_raw(f"{70_000:<10}".encode())
    assert "exceeds the limit of 65536 bytes" in bad.closed_with_error()
    room.saw_leave("bad")


@pytest.mark.parametrize("header", [b"12x       ", b"-1        ", b"\x00" * 10, b"1e3       "])
def test_bad_header_after_joining(room: Room, header: bytes) -> None:
    bad = room.joined_peer("bad")
    bad.send_raw(header)
    assert bad.closed_with_error().startswith("Protocol error: malformed frame header")
    room.saw_leave("bad")


def test_truncated_frame_then_close(room: Room) -> None:
    bad = room.joined_peer("bad")
    bad.send_raw(b"100       only part of it")
    bad.sock.shutdown(socket.SHUT_WR)
    assert bad.until_closed() == []
    room.saw_leave("bad")


def test_connection_reset_mid_frame(room: Room) -> None:
    bad = room.joined_peer("bad")
    bad.send_raw(b"100       only part")
    room.chat()  # the partial frame is in the server's decoder now
    # SO_LINGER with a zero timeout makes close() send a reset.
    bad.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    bad.close()
    room.saw_leave("bad")


def test_reset_during_handshake(room: Room) -> None:
    bad = Peer(room.server.address)
    bad.send_raw(b"5         ab")
    bad.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    bad.close()


def test_joined_client_silent_mid_frame_does_not_block_others(room: Room) -> None:
    stuck = room.joined_peer("stuck")
    stuck.send_raw(b"5    ")
    room.chat()
    stuck.send_raw(b"     hello")
    room.alice.expect("stuck", "hello")
    room.bob.expect("stuck", "hello")
    stuck.close()
    room.saw_leave("stuck")


def test_client_that_never_reads_is_dropped_while_others_flood(room: Room) -> None:
    lazy = Peer(room.server.address)
    lazy.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    lazy.enter("lazy")
    room.alice.expect(events.JOIN, "lazy")
    room.bob.expect(events.JOIN, "lazy")
    # alice floods 18 MB; bob reads it all on a thread; lazy reads nothing.
    big = "z" * 60_000
    count = 300
    got: list[str] = []
    others: list[tuple[str, str]] = []

    def bob_reads() -> None:
        while len(got) < count or not others:
            sender, text = room.bob.pair()
            if sender == "alice":
                got.append(text[:4])
            else:
                others.append((sender, text))

    reader = threading.Thread(target=bob_reads, daemon=True)
    reader.start()
    for i in range(count):
        room.alice.send(f"{i:04d}{big}")
    reader.join(30)
    assert got == [f"{i:04d}" for i in range(count)]
    assert others == [(events.LEAVE, "lazy")]
    room.alice.expect(events.LEAVE, "lazy")
    wait_until(lambda: len(room.server._conns) == 2)


def test_flooding_client_does_not_starve_others(room: Room) -> None:
    # carol writes 100,000 small messages at once; bob's message to alice must
    # overtake part of that flood instead of queueing behind all of it.
    total = 100_000
    carol = room.joined_peer("carol")
    flood = b"".join(frame(f"flood {i}".encode()) for i in range(total))
    sender = threading.Thread(target=carol.send_raw, args=(flood,), daemon=True)
    sender.start()
    wait_until(lambda: room.alice.sock.recv(16, socket.MSG_PEEK))  # the flood is on
    room.bob.send("/msg alice between the floods")
    seen = 0
    while True:
        who, text = room.alice.pair()
        if who == "@bob":
            assert text == "between the floods"
            break
        assert who == "carol"
        seen += 1
    assert seen < total, seen
    sender.join(10)
    for _ in range(total - seen):
        assert room.alice.pair()[0] == "carol"
    for _ in range(total):
        assert room.bob.pair()[0] == "carol"
    carol.close()
    room.saw_leave("carol")


CLOSERS: dict[str, Callable[[Peer], None]] = {
    "close": lambda p: p.close(),
    "shutdown": lambda p: p.sock.shutdown(socket.SHUT_RDWR),
}


@pytest.mark.parametrize("how", sorted(CLOSERS))
def test_clean_leave(room: Room, how: str) -> None:
    peer = room.joined_peer("brief")
    CLOSERS[how](peer)
    room.saw_leave("brief")
