"""Room server behaviour over real sockets on 127.0.0.1: chat, events, commands, history."""

from __future__ import annotations

import errno
import select
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from peer import Peer
from waiting import wait_until

from desktopchat import protocol
from desktopchat.net.lan import join_addresses
from desktopchat.protocol import events
from desktopchat.protocol.commands import HELP_TEXT
from desktopchat.server import RoomServer
from desktopchat.server.history import HISTORY_MAX_BYTES
from desktopchat.server.limits import UPGRADE_WAIT
from desktopchat.sockopts import KEEPALIVE_COUNT, KEEPALIVE_IDLE, KEEPALIVE_INTERVAL


@pytest.fixture
def server() -> Iterator[RoomServer]:
    with RoomServer("127.0.0.1", 0) as srv:
        yield srv


def joined(server: RoomServer, *names: str) -> list[Peer]:
    """Connect and join each name in turn; earlier peers consume the *join events."""
    peers: list[Peer] = []
    for name in names:
        peer = Peer(server.address)
        peer.enter(name)
        for earlier in peers:
            earlier.expect(events.JOIN, name)
        peers.append(peer)
    return peers


def sync(peer: Peer) -> str:
    """Round trip through the server: everything sent to ``peer`` before is read by now."""
    peer.send("/who")
    return peer.expect(events.USERS)


# --- the tutorial's client ---------------------------------------------------------


def test_tutorial_client_chats_and_sees_join_leave(server: RoomServer) -> None:
    tut = Peer(server.address, "tut", tutorial=True)
    assert tut.answer()[0] == events.WELCOME
    assert tut.pair() == (events.USERS, "tut")
    bob = Peer(server.address)
    assert bob.enter("bob") == ["tut", "bob"]
    assert tut.pair() == (events.JOIN, "bob")
    tut.send("hello from the console")
    bob.expect("tut", "hello from the console")
    bob.send("héllo back 👋")
    assert tut.pair() == ("bob", "héllo back 👋")
    bob.close()
    assert tut.pair() == (events.LEAVE, "bob")
    tut.close()


def test_sender_is_not_echoed(server: RoomServer) -> None:
    alice, bob = joined(server, "alice", "bob")
    alice.send("one")
    bob.expect("alice", "one")
    assert sync(alice) == "alice bob"  # the next thing alice reads is the answer, not "one"


# --- framing edge cases --------------------------------------------------------------


def test_bytes_written_one_at_a_time(server: RoomServer) -> None:
    (bob,) = joined(server, "bob")
    slow = Peer(server.address)
    for byte in b"4         slow":
        slow.send_raw(bytes([byte]))
    bob.expect(events.JOIN, "slow")
    assert slow.answer()[0] == events.WELCOME
    for byte in b"11        hello there":
        slow.send_raw(bytes([byte]))
    bob.expect("slow", "hello there")


def test_frames_coalesced_into_one_write(server: RoomServer) -> None:
    (bob,) = joined(server, "bob")
    fast = Peer(server.address)
    frames = [b"fast", b"one", b"two", b"three"]
    fast.send_raw(b"".join(f"{len(f):<10}".encode() + f for f in frames))
    bob.expect(events.JOIN, "fast")
    for text in ("two", "three"):  # "one" came before the welcome: not relayed
        bob.expect("fast", text)


def test_sixty_kilobyte_message(server: RoomServer) -> None:
    alice, bob = joined(server, "alice", "bob")
    text = ("0123456789abcdé€😀" * 4000)[: 60_000 // 2] + "x" * 10_000
    assert len(text.encode()) > 50_000
    alice.send(text)
    bob.expect("alice", text)


def test_empty_message_is_relayed(server: RoomServer) -> None:
    alice, bob = joined(server, "alice", "bob")
    alice.send("")
    bob.expect("alice", "")
    alice.send("after")
    bob.expect("alice", "after")


def test_pairs_arrive_whole_in_one_send(server: RoomServer) -> None:
    # The tutorial's client reads as soon as the socket is readable. Written in
    # one send with Nagle off, a pair arrives whole, so that first read has it all.
    alice, bob = joined(server, "alice", "bob")
    for text in ("ping", "x" * 5000, "é" * 100):
        alice.send(text)
        assert select.select([bob.sock], [], [], 5)[0]
        assert bob.sock.recv(1 << 20) == protocol.encode_pair("alice", text)


# --- commands -----------------------------------------------------------------------


def test_who_and_help(server: RoomServer) -> None:
    alice, _bob = joined(server, "alice", "bob")
    alice.send("/who")
    alice.expect(events.USERS, "alice bob")
    alice.send("/HELP")
    assert alice.expect(events.INFO) == HELP_TEXT


def test_private_message(server: RoomServer) -> None:
    alice, bob, carol = joined(server, "alice", "bob", "carol")
    alice.send("/msg BOB psst, secret")
    bob.expect("@alice", "psst, secret")
    assert sync(alice) == "alice bob carol"  # sender got nothing back
    assert sync(carol) == "alice bob carol"  # nor did anyone else


def test_private_message_errors(server: RoomServer) -> None:
    (alice,) = joined(server, "alice")
    alice.send("/msg nobody hi")
    alice.expect(events.ERROR, "No such user: nobody.")
    alice.send("/msg alice")
    alice.expect(events.ERROR, "Usage: /msg NAME TEXT")


def test_me_action(server: RoomServer) -> None:
    alice, bob = joined(server, "alice", "bob")
    alice.send("/me waves at everyone")
    bob.expect(events.ACTION, "alice waves at everyone")
    assert sync(alice) == "alice bob"
    alice.send("/me")
    alice.expect(events.ERROR, "Usage: /me TEXT")


def test_nick_reaches_everyone_including_the_renamer(server: RoomServer) -> None:
    alice, bob = joined(server, "alice", "bob")
    alice.send("/nick Ally")
    alice.expect(events.NICK, "alice Ally")
    bob.expect(events.NICK, "alice Ally")
    alice.send("under my new name")
    bob.expect("Ally", "under my new name")
    assert sync(bob) == "Ally bob"
    alice.send("/nick BOB")
    assert "taken" in alice.expect(events.ERROR)
    alice.send("/nick *star")
    assert alice.expect(events.ERROR).startswith("Name must not start with")
    bob.send("/nick Bob")  # a change of case is allowed
    bob.expect(events.NICK, "bob Bob")
    alice.expect(events.NICK, "bob Bob")
    # The old name is free again.
    carol = Peer(server.address)
    carol.enter("alice")


def test_unknown_command_and_double_slash(server: RoomServer) -> None:
    alice, bob = joined(server, "alice", "bob")
    alice.send("/frobnicate now")
    alice.expect(events.ERROR, "Unknown command /frobnicate: type /help for the list.")
    alice.send("//etc is full")
    bob.expect("alice", "/etc is full")


# --- history ------------------------------------------------------------------------


def test_history_replayed_after_users(server: RoomServer) -> None:
    alice, bob = joined(server, "alice", "bob")
    alice.send("first")
    alice.send("/me sighs")
    bob.expect("alice", "first")
    bob.expect(events.ACTION, "alice sighs")
    bob.send("second")
    bob.send("/msg alice private, not history")
    sync(bob)
    bob.close()
    alice.expect("bob", "second")
    alice.expect("@bob")
    alice.expect(events.LEAVE, "bob")
    carol = Peer(server.address)
    assert carol.enter("carol") == ["alice", "carol"]
    carol.expect(events.HISTORY, "3")
    carol.expect("alice", "first")
    carol.expect(events.ACTION, "alice sighs")
    carol.expect("bob", "second")
    assert sync(carol) == "alice carol"  # no joins, leaves or private messages replayed


def test_history_is_bounded_and_can_be_off() -> None:
    with RoomServer("127.0.0.1", 0, history=3) as srv:
        (alice,) = joined(srv, "alice")
        for i in range(10):
            alice.send(f"m{i}")
        sync(alice)
        late = Peer(srv.address)
        late.enter("late")
        late.expect(events.HISTORY, "3")
        assert [late.expect("alice") for _ in range(3)] == ["m7", "m8", "m9"]
        assert sync(late) == "alice late"
    with RoomServer("127.0.0.1", 0, history=0) as srv:
        (alice,) = joined(srv, "alice")
        alice.send("gone")
        sync(alice)
        late = Peer(srv.address)
        late.enter("late")
        assert sync(late) == "alice late"


def test_history_of_big_messages_fits_the_replay() -> None:
    # 100 messages of 60 KB exceed the byte cap: the newest that fit are kept,
    # and replaying them does not trip the slow-client limit.
    # (Without rate limits: 6 MB at once is far over what one member may send.)
    with RoomServer("127.0.0.1", 0, rate_limits=None) as server:
        (alice,) = joined(server, "alice")
        big = "y" * 60_000
        for i in range(100):
            alice.send(f"{i:03d}{big}")
        sync(alice)
        late = Peer(server.address)
        late.enter("late")
        count = int(late.expect(events.HISTORY))
        late.send("/who")
        replay = []
        while True:
            sender, text = late.pair()
            if sender != "alice":
                assert sender == events.USERS
                break
            replay.append(int(text[:3]))
        assert replay == list(range(100 - len(replay), 100))
        assert len(replay) == count
        assert 10 <= len(replay) * 60_000 <= HISTORY_MAX_BYTES


def test_history_count_pair_precedes_the_replay_and_only_a_non_empty_one() -> None:
    with RoomServer("127.0.0.1", 0) as srv:
        first = Peer(srv.address)
        first.enter("first")
        assert sync(first) == "first"  # an empty room: no *history pair at all
        first.send("hello")
        first.send("/me waves")
        sync(first)
        raw = Peer(srv.address)
        raw.send("raw")
        assert raw.answer()[0] == events.WELCOME
        assert raw.pair() == (events.USERS, "first raw")
        assert raw.pair() == (events.HISTORY, "2")
        assert raw.pair() == ("first", "hello")
        assert raw.pair() == (events.ACTION, "first waves")
        # The tutorial's console client reads the count as just another pair.
        tut = Peer(srv.address, "tut", tutorial=True)
        pairs = [tut.answer(), *(tut.pair() for _ in range(4))]
        assert pairs[2:] == [
            (events.HISTORY, "2"),
            ("first", "hello"),
            (events.ACTION, "first waves"),
        ]
        tut.close()


def test_accepted_connections_have_tcp_keepalive(server: RoomServer) -> None:
    # A member whose network vanished must not hold its name for hours.
    (alice,) = joined(server, "alice")
    (conn,) = server._conns
    sock = conn.sock
    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
    if hasattr(socket, "TCP_KEEPIDLE"):
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == KEEPALIVE_IDLE
    if hasattr(socket, "TCP_KEEPINTVL"):
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == KEEPALIVE_INTERVAL
    if hasattr(socket, "TCP_KEEPCNT"):
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == KEEPALIVE_COUNT
    alice.close()


# --- handshake ------------------------------------------------------------------------


def test_names_are_unique_case_insensitively(server: RoomServer) -> None:
    (ann,) = joined(server, "Ann")
    dup = Peer(server.address)
    dup.send("aNN")
    assert dup.closed_with_error() == "Name aNN is already taken in this room: choose another."
    assert sync(ann) == "Ann"


def test_password_room() -> None:
    with RoomServer("127.0.0.1", 0, password="sesame") as srv:
        alice = Peer(srv.address)
        assert alice.enter("alice", password="sesame") == ["alice"]
        wrong = Peer(srv.address)
        wrong.send("mallory")
        assert wrong.answer() == (events.AUTH, "password required")
        wrong.send("guess")
        assert wrong.closed_with_error() == "Wrong password."
        assert sync(alice) == "alice"
        eager = Peer(srv.address)  # password sent without waiting for *auth
        eager.send_raw(protocol.encode_frame("eager") + protocol.encode_frame("sesame"))
        assert eager.answer() == (events.AUTH, "password required")
        eager.expect(events.WELCOME)
        assert eager.expect(events.USERS) == "alice eager"


def test_handshake_timeout_closes_silent_connections() -> None:
    # Above the protocol-2 upgrade wait (0.3 s), after which a client that
    # named itself and said nothing more joins as protocol 1.
    timeout = 1.0
    assert timeout > UPGRADE_WAIT
    with RoomServer("127.0.0.1", 0, handshake_timeout=timeout) as srv:
        # alice connects first, so her handshake deadline comes before the silent one's.
        alice = Peer(srv.address)
        start = time.monotonic()
        silent = Peer(srv.address)
        alice.enter("alice")
        assert silent.closed_with_error() == "Handshake timed out after 1 s."
        assert timeout <= time.monotonic() - start < timeout + 3
        # A joined member has no deadline: alice's passed before the silent one's.
        assert sync(alice) == "alice"


# --- lifecycle ----------------------------------------------------------------------------


def test_stop_from_another_thread_closes_the_room() -> None:
    srv = RoomServer("127.0.0.1", 0)
    srv.start()
    thread = next(t for t in threading.enumerate() if t.name == "desktopchat-server")
    alice, bob = joined(srv, "alice", "bob")
    half = Peer(srv.address)  # mid-handshake connections are told too
    half.send_raw(b"5    ")
    wait_until(lambda: len(srv._conns) == 3)  # accepted (else it just sees the listener close)
    stopper = threading.Thread(target=srv.stop)
    start = time.monotonic()
    stopper.start()
    stopper.join(2)
    thread.join(2)
    assert not thread.is_alive()
    assert time.monotonic() - start < 1.0
    for peer in (alice, bob, half):
        assert peer.until_closed() == [(events.INFO, events.ROOM_CLOSED)]
    srv.stop()  # idempotent
    with pytest.raises(OSError):
        Peer(srv.address)


def test_serve_forever_in_calling_thread_and_context_manager() -> None:
    srv = RoomServer("127.0.0.1", 0)
    runner = threading.Thread(target=srv.serve_forever)
    runner.start()
    (alice,) = joined(srv, "alice")
    srv.stop()
    runner.join(2)
    assert not runner.is_alive()
    assert alice.until_closed() == [(events.INFO, events.ROOM_CLOSED)]


def test_stop_before_start_releases_the_port() -> None:
    srv = RoomServer("127.0.0.1", 0)
    port = srv.address[1]
    srv.stop()
    RoomServer("127.0.0.1", port).stop()


def test_busy_port_raises_from_the_constructor(server: RoomServer) -> None:
    with pytest.raises(OSError) as info:
        RoomServer("127.0.0.1", server.address[1])
    assert info.value.errno == errno.EADDRINUSE


def test_join_addresses() -> None:
    assert join_addresses(("127.0.0.1", 5555)) == ["127.0.0.1:5555"]
    everywhere = join_addresses(("0.0.0.0", 5555))
    assert everywhere
    for entry in everywhere:
        ip, port = entry.rsplit(":", 1)
        assert port == "5555"
        socket.inet_aton(ip)
    assert everywhere == ["127.0.0.1:5555"] or not any(e.startswith("127.") for e in everywhere)


def test_accepted_sockets_have_nagle_off(server: RoomServer) -> None:
    _peers = joined(server, "alice", "bob")
    conns = list(server._conns)
    assert len(conns) == 2
    for conn in conns:
        assert conn.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        assert not conn.sock.getblocking()
