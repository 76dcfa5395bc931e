"""Finding 5 of issue 8: connection slots and the memory they pin are bounded.

One address may hold only so many connections (127.0.0.1 and 127.0.0.2 are
two addresses: Linux routes all of 127/8 to loopback); a frame that stops
halfway is dropped after a while; a member whose program stopped reading
(it sends nothing and takes none of what waits for it) is dropped, while one
that only reads stays.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from functools import partial

import pytest
from peer import Peer
from relay import EventLog, MakeClient
from waiting import wait_until

from desktopchat import __main__ as cli
from desktopchat.protocol import events
from desktopchat.server import RoomServer, limits

REFUSAL = "Too many connections from your address (at most 3): close one and try again."


def connections(server: RoomServer, address: str) -> int:
    return sum(1 for conn in server._conns if conn.peer[0] == address)


def test_one_address_is_capped_while_others_still_come_in() -> None:
    with RoomServer("127.0.0.1", 0, history=0, max_per_address=3) as server:
        first = [Peer(server.address, source="127.0.0.1") for _ in range(3)]
        first[0].enter("alice")
        first[1].enter("bob")  # first[2] is still in its handshake: it counts too
        # The fourth is told why, in a pair the tutorial's console client prints.
        refused = Peer(server.address, source="127.0.0.1", tutorial=True)
        assert refused.pair() == (events.ERROR, REFUSAL)
        refused.close()
        # Another address is not affected.
        carol = Peer(server.address, source="127.0.0.2")
        carol.enter("carol")
        carol.send("hello from another address")
        first[0].read_until("carol", "hello from another address")
        # A slot that frees up can be taken again.
        first[1].close()
        first[0].read_until(events.LEAVE, "bob")
        wait_until(lambda: connections(server, "127.0.0.1") == 2, what="the refusal closed")
        again = Peer(server.address, source="127.0.0.1")
        again.enter("bob")
        for peer in (*first, carol, again):
            peer.close()


def test_our_client_reports_the_refusal(make_client: MakeClient) -> None:
    with RoomServer("127.0.0.1", 0, history=0, max_per_address=1) as server:
        held = Peer.joined(server.address, "held")
        c = make_client(server.address, "ann")
        log = EventLog(c.events)
        c.start()
        assert log.wait_for(events.Failed).reason == REFUSAL.replace("3)", "1)")
        held.close()


def test_refusals_that_pile_up_are_closed_without_a_word(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="desktopchat")
    with RoomServer("127.0.0.1", 0, history=0, max_per_address=2) as server:
        held = [Peer(server.address, source="127.0.0.3") for _ in range(2)]
        # Refusals linger to deliver their reason while the client keeps them open...
        lingering = [Peer(server.address, source="127.0.0.3") for _ in range(2)]
        for peer in lingering:
            assert peer.pair() == (events.ERROR, REFUSAL.replace("3)", "2)"))
        # ... but only a cap's worth: beyond that the connection is just closed.
        blunt = Peer(server.address, source="127.0.0.3")
        assert blunt.until_closed() == []
        assert connections(server, "127.0.0.3") == 4
        for peer in (*held, *lingering, blunt):
            peer.close()
        wait_until(lambda: connections(server, "127.0.0.3") == 0)
    # One line for the operator, not one per refused connection.
    refusals = [r.getMessage() for r in caplog.records if "refusing" in r.getMessage()]
    assert refusals == [
        "127.0.0.3: refusing connections over the limit of 2 per address (logged once a minute)"
    ]


def test_the_cap_is_on_by_default_and_on_the_command_line() -> None:
    assert limits.MAX_PER_ADDRESS == 32
    parser = cli.build_parser()
    assert parser.parse_args(["--serve"]).max_per_address == limits.MAX_PER_ADDRESS
    assert parser.parse_args(["--serve", "--max-per-address", "0"]).max_per_address == 0
    with pytest.raises(ValueError, match="max_per_address"):
        RoomServer("127.0.0.1", 0, max_per_address=0)


# --- a frame that stops halfway ------------------------------------------------------------

STALL = 1.0


def test_members_stalled_mid_frame_are_dropped_and_let_go_of_their_memory() -> None:
    with RoomServer("127.0.0.1", 0, history=0, stall_timeout=STALL) as server:
        alice = Peer.joined(server.address, "alice")
        alice.users()
        stuck = []
        for i in range(5):
            peer = Peer(server.address)
            peer.enter(f"stuck{i}")
            alice.read_until(events.JOIN, f"stuck{i}")
            stuck.append(peer)
        started = time.monotonic()
        for peer in stuck:  # 60 KB of a 64 KB frame, then nothing more
            peer.send_raw(f"{65_000:<10}".encode() + b"x" * 60_000)
        reason = f"Protocol error: incomplete frame: nothing more arrived for {STALL:g} s."
        assert stuck[0].closed_with_error() == reason
        assert time.monotonic() - started >= STALL  # counted from its last byte
        for peer in stuck[1:]:
            assert peer.closed_with_error() == reason
        left = {alice.read_until(events.LEAVE) for _ in stuck}
        assert left == {f"stuck{i}" for i in range(5)}
        wait_until(lambda: len(server._conns) == 1, what="the stalled connections closed")
        for peer in stuck:
            peer.close()
        alice.close()


def test_a_slow_sender_that_keeps_going_is_not_stalled() -> None:
    with RoomServer("127.0.0.1", 0, history=0, stall_timeout=STALL) as server:
        alice = Peer.joined(server.address, "alice")
        slow = Peer.joined(server.address, "slow")
        alice.read_until(events.JOIN, "slow")
        text = b"one byte at a time, for longer than the stall timeout"
        data = f"{len(text):<10}".encode() + text
        pause = 2.5 * STALL / len(data)  # the whole frame takes 2.5 stall timeouts
        for i in range(len(data)):
            slow.send_raw(data[i : i + 1])
            time.sleep(pause)  # the pace under test, not a wait for something
        assert alice.read_until("slow") == text.decode()
        slow.close()
        alice.close()


# --- idle members --------------------------------------------------------------------------

IDLE = 0.5


def test_a_member_that_stopped_reading_is_dropped_and_a_reader_stays(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="desktopchat")
    with RoomServer("127.0.0.1", 0, history=0, idle_limit=IDLE, rate_limits=None) as server:
        alice = Peer.joined(server.address, "alice")
        reader = Peer.joined(server.address, "reader")  # reads everything, never says a word
        lazy = Peer(server.address)
        lazy.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        lazy.enter("lazy")
        alice.read_until(events.JOIN, "reader")
        alice.read_until(events.JOIN, "lazy")
        got: list[str] = []
        done = threading.Event()

        def read_all() -> None:
            while not done.is_set():
                sender, text = reader.pair(timeout=10)
                got.append(sender if sender.startswith("*") else text[:4])
                if sender == events.LEAVE:
                    done.set()

        thread = threading.Thread(target=read_all, daemon=True)
        thread.start()

        def lazy_waits() -> bool:
            return any(c.writing for c in server._conns if c.name == "lazy")

        def delivered(count: int) -> bool:
            return sum(1 for item in got if not item.startswith("*")) == count

        # Fill lazy's socket buffers until output waits for it in the server,
        # one message at a time (the reader has each before the next is sent).
        sent = 0
        while not lazy_waits():
            assert sent < 300, "lazy never had output waiting"
            alice.send(f"{sent:04d}" + "z" * 60_000)
            sent += 1
            wait_until(partial(delivered, sent), what=f"message {sent} at the reader")
        assert alice.read_until(events.LEAVE) == "lazy"
        thread.join(10)
        assert [item for item in got if not item.startswith("*")] == [
            f"{i:04d}" for i in range(sent)
        ]
        idle = [r.getMessage() for r in caplog.records if "dropped: idle" in r.getMessage()]
        assert len(idle) == 1 and idle[0].startswith("lazy ("), idle
        assert "dropped: idle for 0.5 s (sent nothing, took none of" in idle[0]
        alice.send("/who")
        assert set(alice.expect(events.USERS).split()) == {"alice", "reader"}
        for peer in (alice, reader, lazy):
            peer.close()
