"""Finding 8a of issue 8: our client takes on the message limit the room announces.

A room run with another ``--max-message`` says so in its offer (``*hello``
``desktopchat 2 max=N``, docs/PROTOCOL.md section 5): our client then reads
frames up to N (a big message in the history no longer makes it reconnect
for ever) and refuses, before sending, what the room would not take.
"""

from __future__ import annotations

import pytest
from peer import Peer
from relay import EventLog, MakeClient
from sessionkit import drain_client

from desktopchat.protocol import encode_frame, encode_pair, wire
from desktopchat.protocol import events as ev
from desktopchat.protocol.client import MAX_ROOM_MESSAGE, ClientConnection, ClientState
from desktopchat.protocol.framing import LocalProtocolError
from desktopchat.protocol.server import HELLO_PAIR, hello_pair
from desktopchat.server import RoomServer

BIG_ROOM = 256 * 1024
BIG = 200_000


def no_drop(log: EventLog) -> None:
    """The client never lost its connection (no reconnect loop)."""
    dropped = [e for e in log.seen if isinstance(e, ev.Disconnected | ev.Reconnecting | ev.Failed)]
    assert dropped == [], dropped


def test_a_big_message_in_the_history_of_a_bigger_room_is_replayed_and_we_stay(
    make_client: MakeClient,
) -> None:
    with RoomServer("127.0.0.1", 0, max_message=BIG_ROOM) as server:
        with Peer.joined(server.address, "bob") as bob:
            bob.users()
            bob.send("b" * BIG)
            bob.send("/who")
            bob.read_until("*users")
        ann = make_client(server.address, "ann")
        log = EventLog(ann.events)
        ann.start()
        replay = log.wait_for(ev.Replay, allow_failed=True)
        no_drop(log)
        assert [(e.sender, len(e.text)) for e in replay.events if isinstance(e, ev.Message)] == [
            ("bob", BIG)
        ]
        assert ann.room_max == BIG_ROOM and ann.message_limit == BIG_ROOM
        # Still the same session: what we say is acknowledged, nothing reconnected.
        cid = ann.send("hello")
        log.wait_for(ev.Accepted, lambda a: a.cid == cid)
        no_drop(log)
        assert ann.connected


def test_we_may_send_up_to_the_rooms_limit_and_it_arrives(make_client: MakeClient) -> None:
    with (
        RoomServer("127.0.0.1", 0, max_message=BIG_ROOM) as server,
        Peer.joined(server.address, "bob") as bob,
    ):
        ann = make_client(server.address, "ann")
        log = EventLog(ann.events)
        ann.start()
        log.wait_for(ev.Replay)
        cid = ann.send("a" * BIG)
        log.wait_for(ev.Accepted, lambda a: a.cid == cid)
        assert bob.read_until("ann") == "a" * BIG
        with pytest.raises(LocalProtocolError, match=f"exceeds the limit of {BIG_ROOM}"):
            ann.send("a" * (BIG_ROOM + 1))
        no_drop(log)


def test_a_smaller_room_refuses_long_text_before_it_is_sent(make_client: MakeClient) -> None:
    with RoomServer("127.0.0.1", 0, max_message=1000) as server:
        ann = make_client(server.address, "ann")
        log = EventLog(ann.events)
        early = ann.send("x" * 2000)  # queued before we know the room's limit
        ann.start()
        refused = log.wait_for(ev.Rejected, lambda r: r.cid == early)
        assert refused.reason == "too long for this room, which takes at most 1000 bytes"
        with pytest.raises(LocalProtocolError, match="exceeds the limit of 1000"):
            ann.send("x" * 1001)
        cid = ann.send("x" * 1000)
        log.wait_for(ev.Accepted, lambda a: a.cid == cid)
        no_drop(log)


def test_the_offer_names_a_limit_only_when_it_is_not_the_default() -> None:
    assert hello_pair(64 * 1024) == HELLO_PAIR == encode_pair("*hello", "desktopchat 2")
    assert hello_pair(BIG_ROOM) == encode_pair("*hello", f"desktopchat 2 max={BIG_ROOM}")
    with RoomServer("127.0.0.1", 0, max_message=BIG_ROOM, max_file_size=0) as server:
        # The tutorial's console client just prints the offer and chats on (no files
        # here: a room with files says files=N too, docs/PROTOCOL.md section 14).
        tut = Peer(server.address, "tut", tutorial=True)
        assert tut.pair() == ("*hello", f"desktopchat 2 max={BIG_ROOM}")
        assert tut.pair()[0] == "*welcome"
        tut.close()


def offered(text: str) -> tuple[ClientConnection, list[ev.Event]]:
    conn = ClientConnection("ann", token="t0k")
    conn.data_to_send()
    return conn, drain_client(conn, encode_pair("*hello", text))


@pytest.mark.parametrize(
    ("text", "room_max"),
    [
        ("desktopchat 2", None),
        ("desktopchat 2 max=300000", 300_000),
        ("desktopchat 2 later=1 max=1000", 1000),
        ("desktopchat 2 max=", None),
        ("desktopchat 2 max=-5", None),
        ("desktopchat 2 max=1e9", None),
        ("desktopchat 2 max=٣٠٠", None),  # digits, but not ASCII ones
        (f"desktopchat 2 max={MAX_ROOM_MESSAGE}", MAX_ROOM_MESSAGE),
    ],
)
def test_the_client_reads_max_from_the_offer(text: str, room_max: int | None) -> None:
    conn, events = offered(text)
    assert events == [] and conn.version == 2 and conn.room_max == room_max
    assert conn.data_to_send() == encode_frame(wire.format_upgrade("t0k", None))


def test_a_frame_up_to_the_announced_limit_is_read() -> None:
    conn, _ = offered("desktopchat 2 max=300000")
    conn.data_to_send()
    welcome = encode_pair("welcome e1 1 ann", "hi") + encode_pair("users", "ann")
    history = encode_pair("replay 1 0", "") + encode_pair("say 1 1 bob", "z" * 300_000, 300_000)
    events = drain_client(conn, welcome + history)
    assert conn.state is ClientState.CHAT
    replay = events[-1]
    assert isinstance(replay, ev.Replay)
    assert [len(e.text) for e in replay.events if isinstance(e, ev.Message)] == [300_000]


@pytest.mark.parametrize("limit", [MAX_ROOM_MESSAGE + 1, 10**30])
def test_a_room_announcing_more_than_we_read_is_refused_at_once(limit: int) -> None:
    conn, events = offered(f"desktopchat 2 max={limit}")
    assert conn.state is ClientState.CLOSED
    (refused,) = events
    assert isinstance(refused, ev.Refused)
    assert refused.reason.endswith("; this client reads at most 16777216 bytes.")
