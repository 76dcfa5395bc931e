"""The room refuses names that pass for a present member's (issue 8, finding 2).

In memory (tests/roomkit.py) for every look-alike, as a newcomer and as a
/nick target; then on a real RoomServer with a raw peer and the real client.
The rules themselves are in test_names.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from peer import Peer
from relay import EventLog, MakeClient
from roomkit import START, Clock, Net, joined
from test_names import CYRILLIC, DOTLESS, FULLWIDTH, GRAPHEME_JOINER, HANGUL_FILLER, ZWNJ

from desktopchat.protocol import events as ev
from desktopchat.protocol import name_key, name_skeleton
from desktopchat.protocol.client import ClientState
from desktopchat.server import RoomServer
from desktopchat.server.lookalikes import SLACK, LookAlikes
from desktopchat.server.room import Room


def looks_like(name: str, holder: str = "alice") -> str:
    return f"Name {name} looks the same as {holder}, who is already in the room: choose another."


def invisible(code: str) -> str:
    return f"Name must not contain invisible characters (found {code})."


#: Every look-alike of "alice" from the finding (and two more), with the sentence it gets.
REFUSALS = [
    (ZWNJ, invisible("U+200C ZERO WIDTH NON-JOINER")),
    (
        CYRILLIC,
        "Name must not mix Latin and Cyrillic letters (look-alikes hide that way): "
        "use letters of one script.",
    ),
    (FULLWIDTH, looks_like(FULLWIDTH)),
    (DOTLESS, looks_like(DOTLESS)),
    (HANGUL_FILLER, invisible("U+3164 HANGUL FILLER")),
    (GRAPHEME_JOINER, invisible("U+034F COMBINING GRAPHEME JOINER")),
    ("AIice", looks_like("AIice")),  # capital I for the l
    ("ALICE", "Name ALICE is already taken in this room: choose another."),
]


@pytest.fixture
def net() -> Net:
    return Net(Room(history=100, clock=Clock()))


# --- in memory --------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "reason"), REFUSALS)
def test_finding_2_look_alike_newcomer_is_refused(net: Net, name: str, reason: str) -> None:
    (alice,) = joined(net, "alice")
    impostor = net.connect(name)
    assert impostor.take() == [ev.Refused(reason)]
    assert impostor.conn.state is ClientState.CLOSED
    assert list(net.room.members) == ["alice"]
    assert alice.take() == []


@pytest.mark.parametrize(("name", "reason"), REFUSALS)
def test_finding_2_look_alike_nick_is_refused(net: Net, name: str, reason: str) -> None:
    alice, bob = joined(net, "alice", "bob")
    bob.send(ev.NickChange(name, cid=9))
    assert bob.take() == [ev.Rejected(9, reason)]
    assert bob.conn.name == "bob"
    assert alice.take() == []


def test_finding_2_look_alike_nick_from_a_tutorial_client_is_an_error(net: Net) -> None:
    joined(net, "alice")
    old = net.connect_v1("bob")
    old.take()
    old.write(f"/nick {FULLWIDTH}")
    assert old.take() == [("*error", looks_like(FULLWIDTH))]


def test_a_look_alike_in_one_script_is_refused_too(net: Net) -> None:
    joined(net, "poe")
    cyrillic_poe = "\u0440\u043e\u0435"  # no mixing: all three letters Cyrillic
    assert net.connect(cyrillic_poe).take() == [ev.Refused(looks_like(cyrillic_poe, "poe"))]
    greek_ann = "\u0391\u039d\u039d"  # Greek capitals alpha, nu, nu
    joined(net, "ann")
    assert net.connect(greek_ann).take() == [ev.Refused(looks_like(greek_ann, "ann"))]


def test_a_member_may_take_a_name_that_looks_like_its_own(net: Net) -> None:
    alice, _ = joined(net, "alice", "bob")
    alice.send(ev.NickChange("AIice", cid=1))
    assert alice.take()[0] == ev.NickChange("AIice", old="alice", id=3, time=START)
    alice.send(ev.NickChange("Alice", cid=2))
    assert isinstance(alice.take()[0], ev.NickChange)
    assert alice.conn.name == "Alice"
    assert net.connect(DOTLESS).take() == [ev.Refused(looks_like(DOTLESS, "Alice"))]


def test_a_name_is_free_again_once_its_holder_left_or_renamed(net: Net) -> None:
    alice, _ = joined(net, "alice", "bob")
    net.drop(alice)
    again = net.connect(FULLWIDTH)
    assert again.conn.state is ClientState.CHAT
    again.send(ev.NickChange("carol", cid=1))
    assert again.conn.name == "carol"
    assert net.connect(DOTLESS).conn.state is ClientState.CHAT
    assert net.connect("CAROL").take() == [
        ev.Refused("Name CAROL is already taken in this room: choose another.")
    ]
    assert list(net.room.members) == ["bob", "carol", name_key(DOTLESS)]


def test_distinct_names_are_let_in(net: Net) -> None:
    names = [
        "alice",
        "alicia",
        "Zo\u00eb",
        "Zoe",
        "bob",
        "rob",
        "\u674e\u96f7",
        "\u041c\u0430\u0440\u0438\u044f",
    ]
    assert len(joined(net, *names)) == len(names)


# --- the index ----------------------------------------------------------------------------


@dataclass(eq=False)
class Someone:
    name: str
    key: str = ""

    def __post_init__(self) -> None:
        self.key = name_key(self.name)


def test_the_look_index_stays_as_small_as_the_room_through_churn() -> None:
    index: LookAlikes[Someone] = LookAlikes()
    members: dict[str, Someone] = {}
    stay = Someone("ann")
    members[stay.key] = stay
    index.hold(stay, name_skeleton(stay.name), members)
    for i in range(2_000):  # each visitor joins and leaves: the index is never told
        visitor = Someone(f"visitor{i}")
        assert index.refusal(visitor.name, name_skeleton(visitor.name), members) is None
        members[visitor.key] = visitor
        index.hold(visitor, name_skeleton(visitor.name), members)
        del members[visitor.key]
        assert len(index._held) <= 2 * (len(members) + 1) + SLACK  # the room had 2 members
    assert index.holder(name_skeleton("ANN"), members) is stay
    assert index.refusal("visitor7", name_skeleton("visitor7"), members) is None


# --- a real room --------------------------------------------------------------------------


def test_finding_2_real_room_refuses_look_alikes_to_a_raw_client(room: RoomServer) -> None:
    with Peer.joined(room.address, "alice") as alice:
        with Peer(room.address) as impostor:
            impostor.send(FULLWIDTH)
            assert impostor.closed_with_error() == looks_like(FULLWIDTH)
        with Peer.joined(room.address, "bob") as bob:
            bob.users()
            bob.send(f"/nick {DOTLESS}")
            assert bob.read_until("*error") == looks_like(DOTLESS)
            bob.send("still bob")
            assert alice.read_until("bob") == "still bob"


def test_finding_2_real_client_is_told_why_and_does_not_retry(
    room: RoomServer, make_client: MakeClient
) -> None:
    with Peer.joined(room.address, "alice"):
        c = make_client(room.address, DOTLESS)
        log = EventLog(c.events)
        c.start()
        assert log.wait_for(ev.Failed).reason == looks_like(DOTLESS)
        assert c._thread is not None
        c._thread.join(2.0)
        assert not c._thread.is_alive()
        assert not any(isinstance(e, ev.Reconnecting | ev.Connected) for e in log.drain())
