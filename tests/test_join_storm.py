"""Big rooms on a real server (docs/PROTOCOL.md, "Big rooms"): coalesced joins and
leaves, the member list in pages, the ``crowd`` offer, raw clients of each kind.

The rooms here are big above 5 members. The first join or leave after a quiet
second is announced at once; the room then holds the next ones for a second.
Tests stretch that second to a minute (``crowd.interval``) and let a rename,
which announces what is pending first, decide when the held ones go out: what
is coalesced does not depend on how fast the machine is.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from peer import Peer
from waiting import wait_until

from desktopchat.protocol import events, wire
from desktopchat.server import RoomServer

QUIET = 5
_tokens = itertools.count(1)


class Raw:
    """A raw protocol-2 client: the handshake by hand, then (meta, body) pairs."""

    def __init__(self, address: tuple[str, int], name: str, *, accept: bool = True) -> None:
        self.peer = Peer(address, name)
        sender, offer = self.peer.pair()
        assert sender == events.HELLO, (sender, offer)
        #: The room offered ``crowd`` (and we took it up, unless ``accept`` is False).
        self.offered = "crowd" in offer.split(" ")
        self.crowd = self.offered and accept
        token = f"tok{next(_tokens)}"
        self.peer.send(wire.format_upgrade(token, None, crowd=self.crowd))
        meta, _ = self.peer.pair()
        assert meta.startswith("welcome "), meta
        self.users = self.peer.pair()
        assert self.users[0].startswith("users"), self.users
        assert self.peer.pair() == ("replay 0 0", "")
        self.name = name

    def next(self, kind: str) -> tuple[list[str], str]:
        """Skip to the next pair whose meta starts with ``kind``: (meta words, body)."""
        while True:
            meta, body = self.peer.pair()
            if meta.split(" ")[0] == kind:
                return meta.split(" "), body

    def request(self, meta: str, body: str = "") -> None:
        self.peer.send(meta)
        self.peer.send(body)

    def close(self) -> None:
        self.peer.close()


@pytest.fixture
def big_room() -> Iterator[RoomServer]:
    """A room that is big above 5 members, its coalescing second stretched to a minute."""
    with RoomServer(
        "127.0.0.1", 0, quiet_above=QUIET, rate_limits=None, upgrade_wait=0.05
    ) as server:
        server._room.crowd.interval = 60.0
        yield server


def fill(address: tuple[str, int], count: int, prefix: str = "m") -> list[Peer]:
    """``count`` protocol-1 members (they take up nothing)."""
    members = []
    for i in range(count):
        peer = Peer.joined(address, f"{prefix}{i}")
        peer.users()
        members.append(peer)
    return members


def test_a_small_room_offers_nothing_new_and_announces_each_join(big_room: RoomServer) -> None:
    members = fill(big_room.address, QUIET - 1)
    newcomer = Raw(big_room.address, "ann")  # the fifth: still a small room
    assert not newcomer.offered
    assert newcomer.users == ("users", " ".join([f"m{i}" for i in range(QUIET - 1)] + ["ann"]))
    assert [members[0].read_until(events.JOIN) for _ in range(QUIET - 1)] == [
        "m1",
        "m2",
        "m3",
        "ann",
    ]
    newcomer.close()
    for peer in members:
        peer.close()


def test_protocol_1_members_get_one_readable_line_per_kind(big_room: RoomServer) -> None:
    members = fill(big_room.address, QUIET + 1)  # the sixth made the room big
    watcher = members[0]
    assert watcher.read_until(events.INFO) == "m5 joined"  # after a quiet second: at once
    late = fill(big_room.address, 7, prefix="late")
    # A rename announces what is pending first: one line for the seven.
    members[1].send("/nick renamed")
    line = watcher.read_until(events.INFO)
    assert line == "7 joined: late0, late1, late2, late3, late4 and 2 more"
    assert watcher.expect(events.NICK) == "m1 renamed"
    for peer in late[:3]:
        peer.close()
    wait_until(lambda: big_room.member_count == 10)
    members[1].send("/nick again")
    assert watcher.read_until(events.INFO) == "3 left: late0, late1, late2"
    assert watcher.expect(events.NICK) == "renamed again"
    for peer in members + late[3:]:
        peer.close()


def test_a_protocol_1_newcomer_of_a_big_room_gets_the_whole_list(big_room: RoomServer) -> None:
    members = fill(big_room.address, 8)
    newcomer = Peer.joined(big_room.address, "zoe")
    assert newcomer.users() == [f"m{i}" for i in range(8)] + ["zoe"]
    newcomer.close()
    for peer in members:
        peer.close()


def test_crowd_members_get_coalesced_events_with_exact_names(big_room: RoomServer) -> None:
    members = fill(big_room.address, QUIET)
    ann = Raw(big_room.address, "ann")  # the sixth: the room is big now, and offers crowd
    assert ann.offered
    meta, names = ann.users
    assert meta == "users from=0 of=6" and names == "m0 m1 m2 m3 m4"
    # Her own join was announced at once; every crowd member sees it.
    words, body = ann.next("joins")
    assert words[3:] == ["1", "6"] and body == "ann"
    late = fill(big_room.address, 7, prefix="late")
    for peer in late[:2]:
        peer.close()
    wait_until(lambda: big_room.member_count == 11)
    members[0].send("/nick first")
    words, body = ann.next("joins")
    assert words[3:] == ["5", "11"]  # late0 and late1 came and went: not announced
    assert body == "late2 late3 late4 late5 late6"  # the names: a page at most
    assert ann.next("nick")[0][3:] == ["m0", "first"]
    members[1].close()
    wait_until(lambda: big_room.member_count == 10)
    late[2].close()
    wait_until(lambda: big_room.member_count == 9)
    members[2].send("/nick third")
    words, body = ann.next("leaves")
    assert words[3:] == ["2", "9"] and body.split(" ") == ["m1", "late2"]
    for peer in [*members, *late[3:]]:
        peer.close()
    ann.close()


def test_the_ids_of_coalesced_events_are_those_of_the_newest_numbered_event(
    big_room: RoomServer,
) -> None:
    members = fill(big_room.address, QUIET)
    ann = Raw(big_room.address, "ann")
    words, _ = ann.next("joins")
    members[0].send("hello")
    said, _ = ann.next("say")
    assert int(said[1]) > int(words[1])
    late = fill(big_room.address, 2, prefix="late")
    members[0].send("/nick first")
    joins, _ = ann.next("joins")
    nick, _ = ann.next("nick")
    assert int(joins[1]) < int(nick[1])  # the rename is numbered after what it waited for
    for peer in [*members, *late]:
        peer.close()
    ann.close()


def test_pages_of_the_member_list_on_request(big_room: RoomServer) -> None:
    members = fill(big_room.address, 12)
    ann = Raw(big_room.address, "ann")
    ann.request("who 1 5")
    meta, body = ann.next("users")
    assert meta == ["users", "from=5", "of=13"]
    assert body.split(" ") == [f"m{i}" for i in range(5, 10)]
    assert ann.next("ok")[0][:2] == ["ok", "1"]
    ann.request("who 2 10")
    meta, body = ann.next("users")
    assert meta == ["users", "from=10", "of=13"] and body.split(" ") == ["m10", "m11", "ann"]
    ann.request("who 3 99")
    assert ann.next("users") == (["users", "from=13", "of=13"], "")
    ann.request("who 4")  # without a position: the whole list, as always
    meta, body = ann.next("users")
    assert meta == ["users"] and len(body.split(" ")) == 13
    for peer in [*members, ann.peer]:
        peer.close()


def test_a_protocol_2_member_without_crowd_keeps_getting_each_event(
    big_room: RoomServer,
) -> None:
    old = Raw(big_room.address, "old")  # let in while the room was small: no crowd
    assert not old.offered
    members = fill(big_room.address, QUIET + 2)
    refuser = Raw(big_room.address, "refuser", accept=False)  # offered, not taken up
    assert refuser.offered and refuser.users[0] == "users"  # the whole list
    assert len(refuser.users[1].split(" ")) == QUIET + 4
    members[0].send("/nick first")
    got: list[str] = []
    while len(got) < QUIET + 3:
        words, _ = old.next("join")
        got.append(words[3])
    assert got == [f"m{i}" for i in range(QUIET + 2)] + ["refuser"]
    for peer in members:
        peer.close()
    refuser.close()
    old.close()
