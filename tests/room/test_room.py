"""The room, in memory (roomkit's Net): joining, names and passwords, leaving,
and protocol-1 and protocol-2 members side by side (one encoding per event).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from roomkit import START, Clock, Net, OldPeer, ids_in_log, joined, spy_encodings

from desktopchat.protocol import PairDecoder, encode_frame, wire
from desktopchat.protocol import events as ev
from desktopchat.protocol.client import ClientState
from desktopchat.protocol.commands import Command
from desktopchat.protocol.server import EARLY_FRAME_DROPPED, ServerConnection, ServerState
from desktopchat.server.room import Member, Room

# --- joining ------------------------------------------------------------------------------


def test_protocol_2_newcomer_is_welcomed(net: Net, room: Room, clock: Clock) -> None:
    ann = net.connect("ann")
    assert ann.take() == [
        ev.Welcome("ann", "Welcome to the room, ann! Type /help for commands.", 2, room.epoch, 1),
        ev.UserList(("ann",)),
        ev.Replay((), resumed=False),
    ]
    assert ann.member.v2
    assert ann.member.token == ann.conn.token
    assert (ann.conn.epoch, ann.conn.last_id) == (room.epoch, 1)
    clock.tick()
    bob = net.connect("bob")
    assert bob.take()[:2] == [
        ev.Welcome("bob", "Welcome to the room, bob! Type /help for commands.", 2, room.epoch, 2),
        ev.UserList(("ann", "bob")),
    ]
    assert ann.take() == [ev.Joined("bob", id=2, time=START + 1)]


def test_protocol_1_newcomer_gets_the_tutorial_pairs(net: Net) -> None:
    (ann,) = joined(net, "ann")
    old = net.connect_v1("bob")
    assert old.take() == [
        ("*hello", "desktopchat 2"),
        ("*welcome", "Welcome to the room, bob! Type /help for commands."),
        ("*users", "ann bob"),
    ]
    assert not old.member.v2
    assert old.member.token.startswith("v1-")
    assert ann.take() == [ev.Joined("bob", id=2, time=START)]


def test_protocol_1_first_message_before_the_welcome_is_not_relayed(net: Net) -> None:
    (ann,) = joined(net, "ann")
    old = net.connect_v1("bob", first="hunter2")  # a password this room never asked for
    assert ann.take() == [ev.Joined("bob", id=2, time=START)]
    assert net.room.log.chat() == []
    assert old.take() == [
        ("*hello", "desktopchat 2"),
        ("*welcome", "Welcome to the room, bob! Type /help for commands."),
        ("*users", "ann bob"),
        ("*info", EARLY_FRAME_DROPPED),
    ]
    old.write("hello, I was quick")  # what it sends once in is chat as usual
    assert [type(e) for e in ann.take()] == [ev.Message]


def test_name_taken_is_refused_in_any_case(net: Net) -> None:
    (ann,) = joined(net, "Ann")
    again = net.connect("aNN")
    assert again.take() == [ev.Refused("Name aNN is already taken in this room: choose another.")]
    assert again.conn.state is ClientState.CLOSED
    assert again.member.session.state is ServerState.CLOSED
    assert list(net.room.members) == ["ann"]
    assert ann.take() == []
    assert ids_in_log(net.room) == [1]  # a refused join makes no room event


def test_invalid_name_is_refused_before_the_room_hears_of_it(net: Net) -> None:
    bad = net.connect("*star")
    assert bad.take() == [
        ev.Refused("Name must not start with *, @ or /: those mark events and commands.")
    ]
    assert net.room.members == {}
    assert ids_in_log(net.room) == []


def test_password_room(clock: Clock) -> None:
    net = Net(Room(password="s3cret", clock=clock))
    ann = net.connect("ann", "s3cret")
    assert [type(e) for e in ann.take()] == [ev.AuthRequired, ev.Welcome, ev.UserList, ev.Replay]
    assert ann.conn.version == 2
    wrong = net.connect("bob", "guess")
    assert wrong.take() == [ev.AuthRequired(), ev.Refused("Wrong password.")]
    assert wrong.member.session.state is ServerState.CLOSED
    nopw = net.connect("carol")
    assert nopw.take() == [ev.Refused("This room needs a password")]
    old = OldPeer(net, "192.0.2.99")  # a tutorial client answers *auth with the password
    net.peers.append(old)
    old.member.session.receive_data(encode_frame("dave") + encode_frame("s3cret"))
    net.settle()
    assert old.take()[:3] == [
        ("*hello", "desktopchat 2"),
        ("*auth", "password required"),
        ("*welcome", "Welcome to the room, dave! Type /help for commands."),
    ]
    assert list(net.room.members) == ["ann", "dave"]


@pytest.mark.parametrize("password", ["pw", None])
def test_offer_comes_before_the_welcome_when_driven_like_the_server_loop(
    clock: Clock, password: str | None
) -> None:
    room = Room(password=password, clock=clock)
    session = ServerConnection(password_required=password is not None, max_message=65536)
    member = Member(session, "192.0.2.7")
    session.receive_data(encode_frame("dave") + encode_frame(password or "hello"))
    # As RoomServer._process does: handle every event, then write what the session said.
    while (event := session.next_event()) is not None:
        room.handle(member, event)
    room.fanout.send(member, session.data_to_send())
    decoder = PairDecoder()
    decoder.receive_data(bytes(member.out))
    senders = [sender for sender, _ in decoder]
    assert senders[:2] == (["*hello", "*auth"] if password else ["*hello", "*welcome"])


def test_leave_is_told_to_the_others_once(net: Net, clock: Clock) -> None:
    ann, bob = joined(net, "ann", "bob")
    clock.tick()
    net.drop(bob)
    assert ann.take() == [ev.Left("bob", id=3, time=START + 1)]
    net.room.leave(bob.member)  # twice is harmless
    net.settle()
    assert ann.take() == []
    assert ids_in_log(net.room) == [1, 2, 3]
    assert list(net.room.members) == ["ann"]


# --- protocol 1 and 2 side by side ---------------------------------------------------------


def test_both_protocols_get_the_same_event_encoded_once(net: Net, clock: Clock) -> None:
    ann, carol = joined(net, "ann", "carol")
    old = net.connect_v1("bob")
    old.take()
    ann.take()
    carol.take()
    start_ann, start_old = len(ann.received), len(old.received)
    clock.tick(7)
    ann.send(ev.Message("héllo 👋", cid=1))
    entry = list(net.room.log.after(0))[-1]
    assert entry.id == 4
    assert entry.v1 == wire.encode_v1(ev.Message("héllo 👋", sender="ann"))
    assert entry.v2 == wire.encode_v2(ev.Message("héllo 👋", sender="ann", id=4, time=START + 7))
    # Every recipient's bytes are exactly the entry's encoding of its protocol.
    assert bytes(old.received[start_old:]) == entry.v1
    assert bytes(carol.received).endswith(entry.v2)
    assert bytes(ann.received[start_ann:]) == wire.encode_v2(ev.Accepted(1, 4, START + 7))
    assert old.take() == [("ann", "héllo 👋")]
    assert carol.take() == [ev.Message("héllo 👋", sender="ann", id=4, time=START + 7)]


@pytest.mark.parametrize(
    ("request_", "v1_pair", "v2_event"),
    [
        (ev.Action("waves", cid=1), ("*action", "ann waves"), ev.Action("waves", sender="ann")),
        (ev.NickChange("al", cid=1), ("*nick", "ann al"), ev.NickChange("al", old="ann")),
    ],
)
def test_both_protocols_see_the_same_room_event(
    net: Net, request_: Command, v1_pair: tuple[str, str], v2_event: ev.RoomEvent
) -> None:
    ann, carol = joined(net, "ann", "carol")
    old = net.connect_v1("bob")
    old.take()
    carol.take()
    ann.send(request_)
    assert old.take() == [v1_pair]
    got = carol.take()
    assert len(got) == 1
    assert got == [replace(v2_event, id=4, time=START)]


def test_v1_join_and_leave_reach_v2_members_and_back(net: Net) -> None:
    (ann,) = joined(net, "ann")
    old = net.connect_v1("bob")
    old.take()
    assert ann.take() == [ev.Joined("bob", id=2, time=START)]
    carol = net.connect("carol")
    assert old.take() == [("*join", "carol")]
    net.drop(carol)
    assert old.take() == [("*leave", "carol")]
    net.drop(old)
    assert ann.take()[-1] == ev.Left("bob", id=5, time=START)


def test_each_broadcast_is_encoded_once_per_version(
    net: Net, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = joined(net, "ann", "bob", "carol", "dave")
    olds = [net.connect_v1(name) for name in ("eve", "fay", "gus")]
    encoded = spy_encodings(monkeypatch)
    members[0].send(ev.Message("to all", cid=1))
    said = [(v, e) for v, e in encoded if isinstance(e, ev.Message)]
    assert sorted(v for v, _ in said) == [1, 2]
    for peer in members[1:]:
        assert [type(e) for e in peer.take()][-1] is ev.Message
    for old in olds:
        assert old.take()[-1] == ("ann", "to all")
