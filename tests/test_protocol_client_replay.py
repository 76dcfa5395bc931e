"""ClientConnection, sans IO: history replays (protocol 1 and 2, gaps), the last
id seen and the room's epoch, and the resume point.
"""

from __future__ import annotations

import pytest
from sessionkit import EPOCH, TOKEN, T, chat_client, drain_client, msg, welcome_v2

from desktopchat.protocol import RemoteProtocolError, encode_pair, wire
from desktopchat.protocol import events as ev
from desktopchat.protocol.client import MAX_REPLAY, ClientConnection
from desktopchat.protocol.server import HELLO_PAIR

# --- client: replays -----------------------------------------------------------------------


def test_protocol_1_history_is_collected() -> None:
    conn = chat_client(1)
    stream = (
        encode_pair("*history", "3")
        + encode_pair("bob", "one")
        + encode_pair("*action", "bob two")
        + encode_pair("carol", "three")
        + encode_pair("bob", "live")
    )
    assert drain_client(conn, stream) == [
        ev.Replay(
            (
                ev.Message("one", sender="bob"),
                ev.Action("two", sender="bob"),
                ev.Message("three", sender="carol"),
            ),
            resumed=False,
        ),
        ev.Message("live", sender="bob"),
    ]


def test_protocol_1_history_ends_early_at_another_pair() -> None:
    conn = chat_client(1)
    stream = (
        encode_pair("*history", "5")
        + encode_pair("bob", "one")
        + encode_pair("*join", "carol")
        + encode_pair("@bob", "psst")
    )
    assert drain_client(conn, stream) == [
        ev.Replay((ev.Message("one", sender="bob"),)),
        ev.Joined("carol"),
        ev.Private("psst", to="ann", sender="bob"),
    ]
    # and a private message also ends it
    conn = chat_client(1)
    stream = encode_pair("*history", "2") + encode_pair("@bob", "psst") + encode_pair("bob", "a")
    assert drain_client(conn, stream) == [
        ev.Replay(()),
        ev.Private("psst", to="ann", sender="bob"),
        ev.Message("a", sender="bob"),
    ]


def test_protocol_1_empty_history() -> None:
    conn = chat_client(1)
    assert drain_client(conn, encode_pair("*history", "0") + encode_pair("bob", "a")) == [
        ev.Replay(()),
        ev.Message("a", sender="bob"),
    ]


def test_protocol_2_replay_with_a_gap() -> None:
    conn = chat_client(2, resume=(EPOCH, 3), last_id=20)
    gap = ev.Gap(4, 9, T + 9)
    mine = ev.Accepted(5, 11, T + 11)
    stream = (
        wire.meta_pair("replay 4 1")
        + wire.encode_v2(gap)
        + wire.encode_v2(msg(10))
        + wire.encode_v2(mine)
        + wire.encode_v2(msg(12, "to you"))
        + wire.encode_v2(msg(21, "live"))
    )
    assert drain_client(conn, stream) == [
        ev.Replay((msg(10), mine, msg(12, "to you")), resumed=True, gap=gap),
        msg(21, "live"),
    ]


def test_protocol_2_replay_of_a_newcomer() -> None:
    conn = chat_client(2)
    stream = wire.meta_pair("replay 2 0") + wire.encode_v2(msg(1)) + wire.encode_v2(msg(2))
    assert drain_client(conn, stream) == [ev.Replay((msg(1), msg(2)), resumed=False)]


def test_protocol_2_replay_ends_early_at_another_pair() -> None:
    conn = chat_client(2)
    stream = (
        wire.meta_pair("replay 5 0")
        + wire.encode_v2(msg(1))
        + wire.encode_v2(ev.UserList(("ann",)))
        + wire.encode_v2(msg(6))
    )
    assert drain_client(conn, stream) == [
        ev.Replay((msg(1),), resumed=False),
        ev.UserList(("ann",)),
        msg(6),
    ]


def test_protocol_2_empty_replay() -> None:
    conn = chat_client(2)
    assert drain_client(conn, wire.meta_pair("replay 0 1") + wire.encode_v2(msg(6))) == [
        ev.Replay((), resumed=True),
        msg(6),
    ]


@pytest.mark.parametrize("meta", ["replay", "replay x 0", "replay 1 2", "replay 1", "replay 1 0 x"])
def test_malformed_replay_is_a_remote_error(meta: str) -> None:
    conn = chat_client(2)
    conn.receive_data(wire.meta_pair(meta))
    with pytest.raises(RemoteProtocolError):
        conn.next_event()


def test_room_closed_during_a_replay_is_reported() -> None:
    conn = chat_client(2)
    stream = wire.meta_pair("replay 3 0") + wire.encode_v2(msg(1)) + wire.encode_v2(ev.RoomClosed())
    assert drain_client(conn, stream) == [ev.Replay((msg(1),)), ev.RoomClosed()]


# --- client: ids and epochs -----------------------------------------------------------------


def test_last_id_follows_the_newest_room_id() -> None:
    conn = chat_client(2, last_id=5)
    assert (conn.epoch, conn.last_id) == (EPOCH, 5)
    drain_client(conn, wire.meta_pair("replay 1 0") + wire.encode_v2(msg(2)))
    assert conn.last_id == 5  # an older replayed id does not move it back
    drain_client(conn, wire.encode_v2(msg(6)))
    assert conn.last_id == 6
    drain_client(conn, wire.encode_v2(ev.Accepted(1, 8, T)))
    assert conn.last_id == 8
    drain_client(conn, wire.encode_v2(ev.Accepted(2)))  # no room event: no id
    assert conn.last_id == 8
    drain_client(conn, wire.encode_v2(ev.Joined("carol", id=7, time=T)))
    assert conn.last_id == 8
    drain_client(conn, wire.encode_v2(ev.Private("p", to="ann", sender="bob", id=9, time=T)))
    assert conn.last_id == 9
    drain_client(conn, wire.encode_v2(ev.Info("no id")) + wire.encode_v2(ev.Rejected(3, "no")))
    assert conn.last_id == 9


def test_resume_in_the_same_epoch_keeps_the_last_id_seen() -> None:
    conn = ClientConnection("ann", token=TOKEN, resume=(EPOCH, 3))
    assert (conn.epoch, conn.last_id) == (EPOCH, 3)
    drain_client(conn, HELLO_PAIR + welcome_v2(last_id=10))
    assert (conn.epoch, conn.last_id) == (EPOCH, 3)  # not the welcome's: we missed 4..10
    drain_client(conn, wire.meta_pair("replay 1 1") + wire.encode_v2(msg(7)))
    assert conn.last_id == 7


def test_resume_from_another_epoch_starts_over() -> None:
    conn = ClientConnection("ann", token=TOKEN, resume=("0ldepoch", 30))
    drain_client(conn, HELLO_PAIR + welcome_v2(last_id=10, epoch="n3wepoch"))
    assert (conn.epoch, conn.last_id) == ("n3wepoch", 0)
    drain_client(
        conn, wire.meta_pair("replay 2 1") + wire.encode_v2(msg(1)) + wire.encode_v2(msg(4))
    )
    assert conn.last_id == 4


def test_protocol_1_room_has_no_ids() -> None:
    conn = ClientConnection("ann", token=TOKEN, resume=(EPOCH, 3))
    drain_client(conn, encode_pair("*welcome", "hi") + encode_pair("bob", "x"))
    assert conn.version == 1
    assert conn.last_id == 3  # untouched: nothing numbered came


def test_resume_point_waits_for_the_replay() -> None:
    # A first visit cut before its history replay arrived must ask again as a
    # newcomer (resuming "after the newest id" would skip that history).
    first = chat_client(2, last_id=5)
    assert (first.last_id, first.resume_point) == (5, None)  # a tuple: no narrowing for mypy
    assert drain_client(first, wire.meta_pair("replay 0 0")) == [ev.Replay(())]
    assert first.resume_point == (EPOCH, 5)

    # A resumed session cut mid-replay resumes from where it started.
    again = chat_client(2, resume=(EPOCH, 5), last_id=9)
    drain_client(again, wire.meta_pair("replay 2 1") + wire.meta_pair("say 6 1000 bob", "hi"))
    assert again.last_id == 6
    assert again.resume_point == (EPOCH, 5)


def test_a_replay_announcing_too_many_events_is_a_protocol_error() -> None:
    conn = chat_client(2)
    with pytest.raises(RemoteProtocolError):
        drain_client(conn, wire.meta_pair(f"replay {MAX_REPLAY + 1} 0"))
    old = chat_client(1)
    with pytest.raises(RemoteProtocolError):
        drain_client(old, encode_pair("*history", str(MAX_REPLAY + 1)))
