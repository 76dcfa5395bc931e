"""Finding 3 of issue 8: what members do cannot make the server's memory grow without end.

A broadcast is stored once and queued by reference for every member; each
member's queue is capped, and so is all the output the server holds, counted
once per shared buffer. Over budget, the connections furthest behind are
dropped, never a member that keeps up.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from functools import partial

import pytest
from peer import Peer
from waiting import wait_until

from desktopchat import protocol
from desktopchat.protocol import events as ev
from desktopchat.protocol.server import ServerConnection
from desktopchat.server import RoomServer
from desktopchat.server.outqueue import BUFFER_COST, REF_COST, SEND_MAX, OutQueue
from desktopchat.server.room import Member, Room

# --- the queue ---------------------------------------------------------------------------


def queue(*chunks: bytes) -> OutQueue:
    out = OutQueue()
    for i, data in enumerate(chunks):
        out.put(data, i)
    return out


def test_a_queue_sends_its_chunks_in_order_across_partial_sends() -> None:
    out = queue(b"abc", b"defg", b"hi")
    assert (bytes(out), out.queued, out.cost()) == (b"abcdefghi", 9, 9 + 3 * REF_COST)
    assert out.private == 9 + 3 * BUFFER_COST  # queue() puts private chunks
    assert bytes(out.head()) == b"abcdefghi"
    assert out.consume(2) == (0, 0)  # inside the first chunk
    assert bytes(out.head()) == b"cdefghi"
    assert out.consume(3) == (1, 3 + BUFFER_COST)  # the rest of "abc" and "de"
    assert (bytes(out), out.oldest()) == (b"fghi", 1)
    assert out.consume(4) == (2, 6 + 2 * BUFFER_COST)
    assert not out and out.queued == out.offset == out.private == 0


def test_a_single_chunk_goes_out_without_a_copy() -> None:
    big = b"x" * (3 * SEND_MAX)
    out = queue(big)
    assert out.head() is big
    out.consume(10)
    view = out.head()
    assert isinstance(view, memoryview) and view.obj is big and len(view) == len(big) - 10


def test_a_long_queue_offers_about_send_max_at_a_time() -> None:
    chunks = [f"{i:04d}".encode() * 250 for i in range(400)]  # 1,000 bytes each
    out = queue(*chunks)
    first = out.head()
    assert SEND_MAX <= len(first) < SEND_MAX + 1000
    assert first == b"".join(chunks[: len(first) // 1000])
    out.consume(len(first) - 500)  # half of the last chunk offered is left
    assert bytes(out.head())[:500] == chunks[len(first) // 1000 - 1][500:]
    assert bytes(out) == b"".join(chunks)[len(first) - 500 :]


def enter(room: Room, name: str, *, v2: bool) -> Member:
    session = ServerConnection(password_required=False, max_message=protocol.DEFAULT_MAX_PAYLOAD)
    member = Member(session, "192.0.2.1")
    upgrade = protocol.encode_frame(f"/protocol 2 tok{name}") if v2 else b""
    session.receive_data(protocol.encode_frame(name) + upgrade)
    request = session.next_event() or session.upgrade_wait_over()
    assert isinstance(request, ev.JoinRequest)
    room.handle(member, request)
    member.out.clear()
    return member


def test_a_broadcast_is_stored_once_and_queued_by_reference() -> None:
    room = Room(history=0)
    members = [enter(room, f"m{i}", v2=i % 2 == 0) for i in range(6)]
    sender = enter(room, "sender", v2=True)
    for member in members:
        member.out.clear()  # the later joins
    refs, position = room.fanout.refs, room.fanout.position
    room.handle(sender, ev.Message("x" * 50_000, cid=1))
    v2 = [m.out[0][0] for m in members if m.v2]
    v1 = [m.out[0][0] for m in members if not m.v2]
    assert all(data is v2[0] for data in v2) and all(data is v1[0] for data in v1)
    # Counted once per encoding for the server, in full for each member.
    assert room.fanout.position - position < len(v1[0]) + len(v2[0]) + 2 * 1024
    assert room.fanout.refs - refs == len(members) + 1  # six copies of the event, one ok
    assert all(m.out.queued == len(m.out[0][0]) for m in members)


# --- the server's budget ------------------------------------------------------------------

BUDGET = 4 * 1024 * 1024
MESSAGE = "z" * 60_000


class Reader:
    """A member that reads everything on a thread: it keeps up with the room."""

    def __init__(self, address: tuple[str, int], name: str) -> None:
        self.peer = Peer.joined(address, name)
        self.texts: list[str] = []
        self.leaves: list[str] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while True:
            try:
                sender, text = self.peer.pair(timeout=30)
            except (AssertionError, OSError):
                return
            if sender == ev.LEAVE:
                self.leaves.append(text)
            elif not sender.startswith("*"):
                self.texts.append(text[:4])

    def has(self, count: int) -> bool:
        return len(self.texts) >= count

    def close(self) -> None:
        self.peer.close()
        self._thread.join(5)


def non_reader(address: tuple[str, int], name: str) -> Peer:
    """A member that never reads a byte after joining."""
    peer = Peer(address)
    peer.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    peer.enter(name)
    return peer


def chat(chatter: Peer, reader: Reader, first: int, count: int) -> None:
    """Send ``count`` messages one after another, each once the reader has the one before."""
    for i in range(first, first + count):
        chatter.send(f"{i:04d}" + MESSAGE)
        wait_until(partial(reader.has, i + 1), what=f"message {i} at the reader")


@pytest.fixture
def server() -> Iterator[RoomServer]:
    with RoomServer(
        "127.0.0.1", 0, history=0, output_budget=BUDGET, rate_limits=None, max_per_address=None
    ) as srv:
        yield srv


def test_members_that_never_read_are_dropped_before_the_budget_is_passed(
    server: RoomServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="desktopchat")
    reader = Reader(server.address, "reader")
    chatter = Peer.joined(server.address, "chatter")
    lazy = [non_reader(server.address, f"lazy{i}") for i in range(30)]
    wait_until(lambda: len(server._room.members) == 32)
    # Some MB fill each non-reader's socket buffers; then every message waits
    # for all 30 of them, by reference: about 120 KB of server memory each.
    chat(chatter, reader, 0, 200)
    wait_until(lambda: sorted(reader.leaves) == sorted(p.name for p in lazy), what="leaves")
    assert reader.texts == [f"{i:04d}" for i in range(200)]  # all of it, in order
    output = server._output
    assert output.peak <= BUDGET
    assert output.dropped == 30
    dropped = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert len(dropped) == 30 and all("furthest behind" in line for line in dropped)
    # Each was dropped well before its own limit: the budget did it.
    assert all(int(line.split("(")[2].split(" ")[0]) < output.member_limit for line in dropped)
    for peer in (chatter, *lazy):
        peer.close()
    reader.close()


def test_answers_count_until_they_are_read(server: RoomServer) -> None:
    asker = Peer.joined(server.address, "asker")
    asker.users()
    for _ in range(200):
        asker.send("/help")
    for _ in range(200):
        asker.expect(ev.INFO)
    # Read, so gone: 200 answers of about 200 bytes no longer count at all.
    fanout = server._room.fanout
    wait_until(lambda: fanout.private == fanout.refs == 0, what="nothing left waiting")
    asker.close()


def test_the_furthest_behind_goes_first(server: RoomServer) -> None:
    reader = Reader(server.address, "reader")
    chatter = Peer.joined(server.address, "chatter")
    early = non_reader(server.address, "early")
    chat(chatter, reader, 0, 60)  # early's socket buffers fill up; output waits for it
    late = non_reader(server.address, "late")
    chat(chatter, reader, 60, 200)
    wait_until(lambda: len(reader.leaves) == 2, what="both non-readers dropped")
    assert reader.leaves == ["early", "late"]
    assert server._output.peak <= BUDGET
    for peer in (chatter, early, late):
        peer.close()
    reader.close()


def test_the_budget_grows_with_the_message_limit() -> None:
    big = 10 * 1024 * 1024
    with RoomServer("127.0.0.1", 0, max_message=big) as server:
        assert server._output.budget > 4 * 2 * big
        assert server._output.member_limit > 16 * 2 * big
    with pytest.raises(ValueError, match="output_budget must be at least"):
        RoomServer("127.0.0.1", 0, output_budget=1024 * 1024)
