"""The room with an identity: TLS and plaintext on one port, marks, refusals, bad handshakes.

Real RoomServers on 127.0.0.1; raw sockets (``peer.Peer``) as tutorial-style
plaintext clients, raw TLS sockets and our ChatClient as encrypted ones.
"""

from __future__ import annotations

import socket
import ssl
import time

import pytest
from peer import Peer
from relay import EventLog, MakeClient
from waiting import wait_until

from desktopchat import protocol
from desktopchat.net import tls
from desktopchat.net.tls import Identity
from desktopchat.protocol import events as ev
from desktopchat.protocol import wire
from desktopchat.server import RoomServer
from desktopchat.server.tlsconn import ENCRYPTED_ONLY, SEAL_MAX


def _tls_socket(address: tuple[str, int]) -> ssl.SSLSocket:
    sock = socket.create_connection(address, timeout=5)
    return tls.client_context().wrap_socket(sock)


def test_properties(tls_room: RoomServer, identity: Identity, room: RoomServer) -> None:
    assert tls_room.fingerprint == identity.fingerprint
    assert room.fingerprint is None
    assert tls_room.member_count == 0
    with Peer.joined(tls_room.address, "bob"):
        wait_until(lambda: tls_room.member_count == 1)
    wait_until(lambda: tls_room.member_count == 0)


def test_encrypted_only_needs_an_identity() -> None:
    with pytest.raises(ValueError, match="identity"):
        RoomServer("127.0.0.1", 0, encrypted_only=True)


def test_plaintext_member_chats_with_tls_members_and_is_marked_for_them(
    tls_room: RoomServer, make_client: MakeClient
) -> None:
    ann = make_client(tls_room.address, "ann", pin=tls_room.fingerprint)
    log = EventLog(ann.events)
    ann.start()
    assert log.wait_for(ev.Connected).encrypted
    users = log.wait_for(ev.UserList)
    assert users == ev.UserList(("ann",), frozenset())
    with Peer(tls_room.address, tutorial=True) as bob:
        bob.send("bob")  # like the tutorial's console client: the name, then chat
        joined = log.wait_for(ev.Joined)
        assert joined.name == "bob" and joined.encrypted is False
        bob.send("hello from the console")
        assert log.wait_for(ev.Message).text == "hello from the console"
        ann.send("hello console")
        assert bob.read_until("ann") == "hello console"
        ann.send("/who")
        users = log.wait_for(ev.UserList)
        assert users.names == ("ann", "bob") and users.unencrypted == {"bob"}
    with Peer.joined(tls_room.address, "carl") as carl:  # protocol 1 sees nothing new
        assert carl.users() == ["ann", "carl"]
        joined = log.wait_for(ev.Joined, lambda e: e.name == "carl")
        assert joined.encrypted is False
    with _tls_socket(tls_room.address) as raw:  # an encrypted member is marked as such
        raw.sendall(protocol.encode_frame("dora"))
        joined = log.wait_for(ev.Joined, lambda e: e.name == "dora")
        assert joined.encrypted is True


def test_a_room_without_identity_marks_nobody(room: RoomServer, make_client: MakeClient) -> None:
    ann = make_client(room.address, "ann")
    log = EventLog(ann.events)
    ann.start()
    log.wait_for(ev.Connected)
    with Peer.joined(room.address, "bob"):
        assert log.wait_for(ev.Joined).encrypted is None
        ann.send("/who")
        assert log.wait_for(ev.UserList).unencrypted == frozenset()


def test_encrypted_only_refuses_a_console_client_clearly(identity: Identity) -> None:
    with RoomServer("127.0.0.1", 0, identity=identity, encrypted_only=True) as server:
        with Peer(server.address, "bob") as bob:
            assert bob.closed_with_error() == ENCRYPTED_ONLY
        with _tls_socket(server.address) as raw:  # TLS members are welcome
            raw.sendall(protocol.encode_frame("ann"))
            decoder = protocol.PairDecoder()
            while (pair := decoder.next_pair()) is None or pair[0] == ev.HELLO:
                decoder.receive_data(raw.recv(65536))
            assert pair[0] == ev.WELCOME
    wire_bytes = protocol.encode_pair(ev.ERROR, ENCRYPTED_ONLY)
    assert wire_bytes.startswith(b"6         *error82        This room accepts")


def test_garbage_after_a_tls_first_byte_ends_only_that_connection(tls_room: RoomServer) -> None:
    with Peer.joined(tls_room.address, "bob") as bob:
        bob.users()
        with socket.create_connection(tls_room.address, timeout=5) as bad:
            bad.sendall(b"\x16\x03\x01\x00\x05hello, this is not a ClientHello" * 3)
            bad.settimeout(5)
            _read_until_closed(bad)  # closed by the room (returns once it is)
        with Peer.joined(tls_room.address, "carl") as carl:
            carl.users()
            bob.send("and talking")
            assert carl.read_until("bob", "and talking") == "and talking"
    wait_until(lambda: tls_room.member_count == 0)


def _read_until_closed(sock: socket.socket) -> bytes:
    got = b""
    while True:
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            return got
        if not data:
            return got
        got += data


def test_a_stalled_tls_handshake_is_closed_at_the_handshake_limit(identity: Identity) -> None:
    with RoomServer("127.0.0.1", 0, identity=identity, handshake_timeout=0.5) as server:
        with socket.create_connection(server.address, timeout=5) as stalled:
            stalled.sendall(b"\x16\x03\x01\x00")  # the start of a ClientHello, then nothing
            started = time.monotonic()
            stalled.settimeout(5)
            _read_until_closed(stalled)
            assert time.monotonic() - started < 4
        with Peer.joined(server.address, "bob") as bob:  # the room is fine
            assert bob.users() == ["bob"]


def test_without_identity_a_tls_hello_is_a_bad_frame_as_before(room: RoomServer) -> None:
    with Peer(room.address) as peer:
        peer.send_raw(b"\x16\x03\x01\x00\xdc\x01\x00\x00\xd8\x03")
        assert peer.closed_with_error().startswith("Protocol error: malformed frame header")


def test_large_output_to_a_tls_member_arrives_whole(
    identity: Identity, make_client: MakeClient
) -> None:
    server = RoomServer("127.0.0.1", 0, identity=identity, rate_limits=None)
    with server, Peer.joined(server.address, "bob") as bob:
        bob.users()
        ann = make_client(server.address, "ann", pin=server.fingerprint)
        log = EventLog(ann.events)
        ann.start()
        log.wait_for(ev.Replay)
        text = "x" * 60_000
        for i in range(40):  # 2.4 MB at once, many times SEAL_MAX
            bob.send(f"{i} {text}")
        assert 10 * SEAL_MAX < 40 * 60_000
        for i in range(40):
            said = log.wait_for(ev.Message, timeout=10)
            assert said.text == f"{i} {text}"


def test_a_tls_member_that_reads_nothing_is_dropped_by_the_output_limit(
    identity: Identity,
) -> None:
    with RoomServer("127.0.0.1", 0, identity=identity, rate_limits=None) as server:
        raw = socket.create_connection(server.address, timeout=5)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow = tls.client_context().wrap_socket(raw)
        slow.sendall(protocol.encode_frame("slow"))
        wait_until(lambda: server.member_count == 1)
        with Peer.joined(server.address, "bob") as bob:
            bob.users()
            text = "y" * 60_000
            for _ in range(200):  # 12 MB: over the 4 MiB a member may have waiting
                bob.send(text)
            wait_until(lambda: server.member_count == 1, timeout=20)
        slow.close()


@pytest.mark.parametrize(
    "event",
    [
        ev.UserList(("a", "b", "c"), frozenset({"a", "c"})),
        ev.UserList(("a",)),
        ev.Joined("x", True, id=4, time=1.5),
        ev.Joined("x", False, id=4, time=1.5),
        ev.Joined("x", id=4, time=1.5),
    ],
)
def test_marks_round_trip_on_the_wire(event: ev.Event) -> None:
    data = wire.encode_v2(event)
    decoder = protocol.PairDecoder()
    decoder.receive_data(data)
    pair = decoder.next_pair()
    assert pair is not None
    assert wire.parse_room_v2(*pair) == event


@pytest.mark.parametrize(
    ("meta", "body"),
    [
        ("users plain=2", "a b"),
        ("users plain=0,1,0", "a b"),
        ("users plain=", "a"),
        ("users plain=x", "a"),
        ("users tls", "a"),
        ("join 1 1000 x maybe", ""),
    ],
)
def test_malformed_marks_are_protocol_errors(meta: str, body: str) -> None:
    with pytest.raises(protocol.RemoteProtocolError):
        wire.parse_room_v2(meta, body)


def test_marks_name_only_listed_members() -> None:
    assert wire.encode_v2(ev.UserList(("a",), frozenset({"zed"}))).startswith(b"5         users")
