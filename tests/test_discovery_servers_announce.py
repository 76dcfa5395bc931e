"""A room on several servers in discovery, announcing: the Announcer (on a stand-in
zeroconf: no multicast here) and Publicity re-announcing the room's other servers as they
come and go, redisopts' peers, and the browser's table reading changed rooms again.
The record and the merge are in test_discovery_servers.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from test_discovery_servers import FP, ROOM, server
from test_discovery_threads import FakeZeroconf
from waiting import wait_until

from desktopchat import redisopts
from desktopchat.net import discovery
from desktopchat.net.discovery import Announcer, RoomTable
from desktopchat.net.hosting import Publicity
from desktopchat.net.roomrecord import room_id

# --- announcing ---------------------------------------------------------------------


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeZeroconf]:
    fake = FakeZeroconf()
    monkeypatch.setattr(discovery, "_start_zeroconf", lambda: fake)
    yield fake


def test_announcer_sends_and_updates_the_other_servers(recorder: FakeZeroconf) -> None:
    announcer = Announcer(
        "Lab",
        1234,
        FP,
        False,
        False,
        addresses=["10.0.0.5"],
        min_interval=0.05,
        alternatives=[("10.0.0.6", 1235)],
        room=ROOM,
    )
    announcer.start()
    assert announcer.wait_announced(5)
    first = recorder.last()
    assert (first[b"alt"], first[b"room"], first[b"n"]) == (b"10.0.0.6:1235", ROOM.encode(), b"0")
    announcer.update(0, alternatives=[("10.0.0.6", 1235), ("10.0.0.7", 1236)])
    wait_until(lambda: recorder.last().get(b"alt") == b"10.0.0.6:1235,10.0.0.7:1236")
    announcer.update(2)  # the count alone: the servers stay as they were
    wait_until(lambda: recorder.last().get(b"n") == b"2")
    assert recorder.last()[b"alt"] == b"10.0.0.6:1235,10.0.0.7:1236"
    announcer.update(2, alternatives=[], room=ROOM)  # the last other server went
    wait_until(lambda: b"alt" not in recorder.last())
    count = len(recorder.calls)
    announcer.update(2, alternatives=[], room=ROOM)  # nothing new: nothing sent
    time.sleep(0.2)
    assert len(recorder.calls) == count
    assert announcer.close(timeout=5)


@dataclass
class FakeServer:
    address: tuple[str, int]
    fingerprint: str | None = FP
    member_count: int = 0


class FakeAnnouncer:
    """What Publicity hands its announcer, recorded."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args, self.kwargs = args, kwargs
        self.updates: list[tuple[int, dict[str, Any]]] = []

    def start(self) -> None:
        pass

    def update(self, members: int, **kwargs: Any) -> None:
        self.updates.append((members, kwargs))

    def close(self, timeout: float = 0.0) -> bool:
        return True


def test_publicity_announces_the_rooms_other_servers_as_they_change() -> None:
    answers: list[tuple[str, list[tuple[str, int]]] | Exception] = [
        (ROOM, [("192.0.2.7", 4000), ("192.0.2.8", 4001)]),  # ours is left out
        OSError("Redis is away"),  # the last answer stands
        (ROOM, []),
    ]
    last: list[tuple[str, list[tuple[str, int]]]] = []

    def peers() -> tuple[str, list[tuple[str, int]]]:
        answer = answers.pop(0) if answers else last[-1]
        if isinstance(answer, Exception):
            raise answer
        last.append(answer)
        return answer

    made: list[FakeAnnouncer] = []

    def factory(*args: Any, **kwargs: Any) -> FakeAnnouncer:
        made.append(FakeAnnouncer(*args, **kwargs))
        return made[-1]

    room = FakeServer(("192.0.2.7", 4000), member_count=2)
    publicity = Publicity(
        room,
        "Lab",
        password_needed=False,
        announcer_factory=factory,
        check=lambda *args: None,
        member_poll=0.02,
        peers=peers,
    )
    publicity.start()
    try:
        [announcer] = made
        assert announcer.kwargs == {
            "members": 2,
            "room": ROOM,
            "alternatives": (("192.0.2.8", 4001),),
        }
        wait_until(lambda: len(announcer.updates) >= 3)
        away, gone, still = announcer.updates[:3]
        # Redis away: the servers read last time stand.
        assert away == (2, {"room": ROOM, "alternatives": (("192.0.2.8", 4001),)})
        assert gone == still == (2, {"room": ROOM, "alternatives": ()})
    finally:
        publicity.close()


def test_a_room_on_one_server_announces_no_other_servers() -> None:
    made: list[FakeAnnouncer] = []

    def factory(*args: Any, **kwargs: Any) -> FakeAnnouncer:
        made.append(FakeAnnouncer(*args, **kwargs))
        return made[-1]

    publicity = Publicity(
        FakeServer(("192.0.2.7", 4000)),
        "Lab",
        password_needed=False,
        announcer_factory=factory,
        check=lambda *args: None,
        member_poll=0.02,
    )
    publicity.start()
    try:
        wait_until(lambda: made and made[0].updates)
        assert made[0].kwargs == {"members": 0}
        assert made[0].updates[0] == (0, {})
    finally:
        publicity.close()


class FakeLink:
    """What redisopts reads of a RedisLink."""

    prefix = "desktopchat:lab4:"
    sid = "me"

    def __init__(self) -> None:
        self.epoch = "5f1c0a9e7b21"
        self.addresses = ""
        self.registered = {
            "me": "192.0.2.7:4000",
            "b": "192.0.2.8:4001,10.1.1.1:4001",
            "c": "not an address,192.0.2.7:4000",
            "d": "192.0.2.9:4002",
            "e": "0.0.0.0:4003",  # just started: its bound address, not yet its own
        }

    def servers(self) -> dict[str, str]:
        return dict(self.registered)


def test_redis_peers_are_the_other_registered_servers_and_the_rooms_id() -> None:
    from desktopchat.net.invite import Invitation

    class Server:
        link = FakeLink()

    link = Server.link
    invite = redisopts.invitation(Server(), Invitation("Lab", [("192.0.2.7", 4000)], FP))
    read = redisopts.peers(Server())
    assert read is not None
    room, others = read()
    assert room == room_id("desktopchat:lab4:5f1c0a9e7b21")
    # One address of each server first: each of ten servers is in alt=.
    assert others == [("192.0.2.8", 4001), ("192.0.2.9", 4002), ("10.1.1.1", 4001)]
    assert invite.addresses == [
        ("192.0.2.7", 4000),
        ("192.0.2.8", 4001),
        ("10.1.1.1", 4001),
        ("192.0.2.9", 4002),
    ]
    link.registered.pop("b")
    link.registered.pop("d")
    link.registered.pop("e")
    link.epoch = "0a0a0a0a0a0a"  # Redis lost the room: a new epoch, a new id
    room, others = read()
    assert others == [] and room == room_id("desktopchat:lab4:0a0a0a0a0a0a") != ROOM
    assert redisopts.peers(object()) is None  # not a Redis room


def test_a_changed_room_is_read_again_a_moment_later() -> None:
    # zeroconf's cache may hand out the old record for a second after a change,
    # and no further event comes: the table asks for the name once more.
    table = RoomTable(recheck=0.05)
    table.heard("a")
    job = table.next_name()
    assert job is not None
    table.settle("a", job[1], server("10.0.0.5", 1, 1))
    table.heard("a")  # its record changed
    first = table.next_name()
    assert first is not None
    table.settle("a", first[1], server("10.0.0.5", 1, 1))  # the stale record, say
    started = time.monotonic()
    again = table.next_name()
    assert again is not None and again[0] == "a" and time.monotonic() - started >= 0.04
    table.settle("a", again[1], server("10.0.0.5", 1, 2))
    assert table.rooms()[0].members == 2
    table.heard("b")  # a new name is not read twice
    job = table.next_name()
    assert job is not None and job[0] == "b"
    table.gone("b")
    done = threading.Timer(0.3, table.close)
    done.start()
    assert table.next_name() is None  # nothing more to read: waits until closed


def test_listed_rooms_are_read_again_now_and_then_and_a_failed_reread_keeps_them() -> None:
    # A record that changes back to an earlier copy (a count 1 -> 2 -> 1)
    # raises no event in zeroconf: only reading again finds it.
    table = RoomTable(refresh=0.05)
    table.heard("a")
    job = table.next_name()
    assert job is not None
    table.settle("a", job[1], server("10.0.0.5", 1, 2))
    again = table.next_name()  # no event: the refresh
    assert again is not None and again[0] == "a"
    table.settle("a", again[1], None)  # nothing answered this time: still listed
    assert [r.members for r in table.rooms()] == [2]
    again = table.next_name()
    assert again is not None
    table.settle("a", again[1], server("10.0.0.5", 1, 1))
    assert [r.members for r in table.rooms()] == [1]
    table.heard("a")  # an event whose resolve finds nothing: the room is gone
    job = table.next_name()
    assert job is not None
    table.settle("a", job[1], None)
    assert table.rooms() == []
    table.close()
