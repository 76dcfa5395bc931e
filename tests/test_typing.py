"""The ``typing`` hint (docs/PROTOCOL.md 9): relayed to the other protocol-2 members only,
never numbered, stored or answered, at most one per member per 2 s, counted in the
request rate. The wire forms, the room in memory, then real client threads and a server."""

from __future__ import annotations

import queue

import pytest
from peer import Peer as RawPeer
from roomkit import Clock, Net, ids_in_log, joined
from waiting import wait_until

from desktopchat.client import ChatClient
from desktopchat.protocol import RemoteProtocolError, wire
from desktopchat.protocol import events as ev
from desktopchat.protocol.client import ClientConnection
from desktopchat.server import RoomServer
from desktopchat.server.rates import RateLimits
from desktopchat.server.room import Room
from desktopchat.server.typingrelay import TYPING_INTERVAL

# --- the wire ------------------------------------------------------------------------------


def test_the_request_and_the_event_byte_by_byte() -> None:
    assert wire.meta_pair("typing") == b"6         typing0         "
    assert wire.encode_v2(ev.Typing("ann")) == b"10        typing ann0         "
    assert wire.parse_request_v2("typing", "") == ev.Typing()
    assert wire.parse_room_v2("typing ann", "") == ev.Typing("ann")
    assert wire.encode_v1(ev.Typing("ann")) == b""  # protocol 1 has no form for it


@pytest.mark.parametrize(("meta", "body"), [("typing", "x"), ("typing 7", ""), ("typing  ", "")])
def test_a_malformed_typing_request_is_a_protocol_error(meta: str, body: str) -> None:
    with pytest.raises(RemoteProtocolError):
        wire.parse_request_v2(meta, body)


@pytest.mark.parametrize(
    ("meta", "body"), [("typing", ""), ("typing ann bob", ""), ("typing ann", "x")]
)
def test_a_malformed_typing_event_is_a_protocol_error(meta: str, body: str) -> None:
    with pytest.raises(RemoteProtocolError):
        wire.parse_room_v2(meta, body)


def test_a_client_sends_nothing_before_the_welcome() -> None:
    assert ClientConnection("ann", token="t1").typing() == b""


# --- the room, in memory ------------------------------------------------------------------


class Monotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make_net(rates: RateLimits | None = None) -> tuple[Net, Monotonic]:
    mono = Monotonic()
    return Net(Room(history=50, clock=Clock(), rates=rates, monotonic=mono)), mono


def type_in(peer: object) -> None:
    from roomkit import Peer

    assert isinstance(peer, Peer)
    peer.member.session.receive_data(peer.conn.typing())
    peer.net.settle()


def test_others_in_protocol_2_hear_it_protocol_1_members_and_the_history_do_not() -> None:
    net, _ = make_net()
    ann, bob = joined(net, "ann", "bob")
    carol = net.connect_v1("carol")
    carol.take()
    bob.take()
    ann.take()
    ids = ids_in_log(net.room)
    type_in(ann)
    assert bob.take() == [ev.Typing("ann")]
    assert ann.take() == []  # no answer, no echo
    assert carol.take() == []  # the tutorial's client would print it as a line
    assert ids_in_log(net.room) == ids  # no id, nothing stored for replays


def test_at_most_one_per_member_every_two_seconds_the_rest_dropped_silently() -> None:
    net, mono = make_net()
    ann, bob, dave = joined(net, "ann", "bob", "dave")
    for _ in range(5):
        type_in(ann)
    type_in(dave)  # the interval is per member
    assert bob.take() == [ev.Typing("ann"), ev.Typing("dave")]
    assert ann.take() == [ev.Typing("dave")]
    mono.now += TYPING_INTERVAL - 0.01
    type_in(ann)
    assert bob.take() == []
    mono.now += 0.01
    type_in(ann)
    assert bob.take() == [ev.Typing("ann")]
    assert net.room.typing.dropped == 5


def test_typing_counts_in_the_request_rate_and_over_it_is_never_answered() -> None:
    net, _ = make_net(RateLimits(messages=0.001, message_burst=3))
    ann, bob = joined(net, "ann", "bob")
    for _ in range(3):  # the whole burst: one relayed, two dropped by the interval
        type_in(ann)
    type_in(ann)  # over the request limit: dropped, and no "Slow down" for it
    assert ann.take() == []
    assert bob.take() == [ev.Typing("ann")]
    ann.send(ev.Message("hi", cid=1))  # the typing hints used up the requests
    (refused,) = ann.take()
    assert isinstance(refused, ev.Rejected) and refused.reason.startswith("Slow down")


def test_a_member_who_left_is_forgotten() -> None:
    net, _ = make_net()
    ann, _bob = joined(net, "ann", "bob")
    type_in(ann)
    net.drop(ann)
    assert net.room.typing._last == {}


# --- real client threads and a real server ----------------------------------------------


def events_of(client: ChatClient, kind: type[ev.Event]) -> list[ev.Event]:
    got: list[ev.Event] = []
    while True:
        try:
            event = client.events.get_nowait()
        except queue.Empty:
            return got
        if isinstance(event, kind):
            got.append(event)


def test_chat_clients_hear_each_other_type(room: RoomServer) -> None:
    with RawPeer.joined(room.address, "carol") as carol:
        ann = ChatClient(*room.address, "ann")
        bob = ChatClient(*room.address, "bob")
        try:
            ann.start()
            bob.start()
            wait_until(lambda: ann.connected and bob.connected, what="both in")
            seen: list[ev.Event] = []

            def bob_heard() -> bool:
                seen.extend(events_of(bob, ev.Typing))
                return bool(seen)

            def ann_types() -> bool:
                ann.typing()  # again until heard: the first may go before bob is listed
                return bob_heard()

            wait_until(ann_types, what="bob hears ann typing")
            assert seen[0] == ev.Typing("ann")
            ann.send("done typing")
            # carol (protocol 1) gets the message, and no typing pair before it
            assert carol.read_until("ann") == "done typing"
        finally:
            ann.close()
            bob.close()
