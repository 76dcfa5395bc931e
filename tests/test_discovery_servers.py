"""A room on several servers in discovery: TXT alt= and room=, merging, re-announcing.

Pure parts (the record, the merge, Publicity's and redisopts' bookkeeping) and
the Announcer on a stand-in zeroconf: no multicast here (the real thing runs
in a private namespace, test_discovery_netns_servers.py).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from waiting import wait_until

from desktopchat import redisopts
from desktopchat.net import discovery
from desktopchat.net.discovery import Announcer, RoomTable
from desktopchat.net.hosting import Publicity
from desktopchat.net.invite import MAX_ALTERNATIVES, parse_join_target
from desktopchat.net.roommerge import merge_rooms
from desktopchat.net.roomrecord import (
    MAX_TXT_ALTERNATIVES,
    FoundRoom,
    room_from_record,
    room_id,
    room_line,
    txt_record,
)

FP = "0123456789abcdef" * 4
OTHER_FP = "fedcba9876543210" * 4
ROOM = room_id("desktopchat:lab4:5f1c0a9e7b21")


def wire(record: dict[str, str]) -> dict[bytes, bytes | None]:
    return {key.encode(): value.encode() for key, value in record.items()}


def server(
    host: str,
    port: int,
    members: int | None = 0,
    *,
    room: str = ROOM,
    alt: tuple[tuple[str, int], ...] = (),
    fp: str = FP,
    name: str = "Lab",
    password: bool = False,
) -> FoundRoom:
    """One server's record of a room, read back as a browser reads it."""
    record = txt_record(
        name,
        fp,
        password_needed=password,
        encrypted_only=False,
        members=members or 0,
        alternatives=alt,
        room=room,
    )
    if members is None:
        del record["n"]
    found = room_from_record(wire(record), port, [host], key=f"{name} ({host}:{port})")
    assert found is not None
    return found


# --- the record --------------------------------------------------------------------


def test_record_with_alt_and_room_round_trips() -> None:
    alt = (("192.168.1.21", 1235), ("10.0.0.9", 1236))
    record = txt_record(
        "Lab",
        FP,
        password_needed=True,
        encrypted_only=False,
        members=4,
        alternatives=alt,
        room=ROOM,
    )
    assert record["alt"] == "192.168.1.21:1235,10.0.0.9:1236"
    assert record["room"] == ROOM and len(ROOM) == 16
    room = room_from_record(wire(record), 1234, ["192.168.1.20"])
    assert room is not None
    assert room.others == alt
    assert room.room_id == ROOM
    assert room.alternatives == alt
    target = room.join_target()
    assert (target.host, target.port, target.fingerprint) == ("192.168.1.20", 1234, FP)
    assert target.alternatives == list(alt)
    assert parse_join_target(room.link()).alternatives == list(alt)


def test_a_room_on_one_server_sends_neither_key() -> None:
    record = txt_record("Lab", FP, password_needed=False, encrypted_only=False, members=0)
    assert "alt" not in record and "room" not in record
    room = room_from_record(wire(record), 1234, ["192.168.1.20"])
    assert room is not None and (room.others, room.room_id, room.servers) == ((), "", 1)


def test_room_id_is_the_same_for_the_same_room_only() -> None:
    assert room_id("desktopchat:lab4:aaaa") == room_id("desktopchat:lab4:aaaa")
    assert room_id("desktopchat:lab4:aaaa") != room_id("desktopchat:lab4:bbbb")
    assert room_id("x") == room_id("x").lower()


def test_alt_keeps_ipv4_fits_one_txt_string_and_is_capped() -> None:
    many = [(f"192.168.100.{i}", 60000 + i) for i in range(100, 130)]
    record = txt_record(
        "Lab",
        FP,
        password_needed=False,
        encrypted_only=False,
        members=0,
        alternatives=[
            ("fe80::1", 1),
            ("host.lan", 2),
            ("10.0.0.1", 0),
            ("0.0.0.0", 3),
            many[0],
            *many,
        ],
    )
    assert len(f"alt={record['alt']}".encode()) <= 255
    items = record["alt"].split(",")
    assert items == [f"{h}:{p}" for h, p in many[:MAX_TXT_ALTERNATIVES]]


def test_hostile_alt_entries_are_skipped_not_fatal() -> None:
    record = wire(txt_record("Lab", FP, password_needed=False, encrypted_only=False, members=1))
    entries = [
        "224.0.0.251:1",  # multicast
        "0.0.0.0:2",
        "300.1.1.1:3",
        "10.0.0.1:0",
        "10.0.0.1:99999",
        "[fe80::1]:5",  # a later version's kind: skipped
        "10.0.0.2",
        "\x1b[2J:1",
        "192.168.1.20:1234",  # the record's own address
        "10.0.0.3:4000",
        "10.0.0.3:4000",
        "10.0.0.4:4001",
    ]
    record[b"alt"] = ",".join(entries).encode()
    room = room_from_record(record, 1234, ["192.168.1.20"])
    assert room is not None
    assert room.others == (("10.0.0.3", 4000), ("10.0.0.4", 4001))
    record[b"alt"] = b"\xff\xfe"
    room = room_from_record(record, 1234, ["192.168.1.20"])
    assert room is not None and room.others == ()


@pytest.mark.parametrize("value", [b"", b"ABCDEF0123456789", b"xyz", b"12", b"a" * 33, None])
def test_a_bad_room_id_drops_the_record(value: bytes | None) -> None:
    record = wire(txt_record("Lab", FP, password_needed=False, encrypted_only=False, members=1))
    record[b"room"] = value
    room = room_from_record(record, 1234, ["192.168.1.20"])
    if value == b"":
        assert room is not None and room.room_id == ""  # said nothing
    else:
        assert room is None


def test_unknown_keys_are_still_ignored() -> None:
    # What an older browser does with alt= and room= (and what ours does with
    # a newer host's keys): ignores them.
    record = wire(txt_record("Lab", FP, password_needed=False, encrypted_only=False, members=1))
    record[b"later"] = b"1"
    assert room_from_record(record, 1234, ["192.168.1.20"]) is not None


@given(st.binary(max_size=260), st.binary(max_size=40))
def test_any_alt_and_room_are_read_without_raising(alt: bytes, room: bytes) -> None:
    record = wire(txt_record("Lab", FP, password_needed=False, encrypted_only=False, members=1))
    record[b"alt"], record[b"room"] = alt, room
    found = room_from_record(record, 1234, ["192.168.1.20"])
    if found is not None:
        assert len(found.others) <= MAX_TXT_ALTERNATIVES
        assert len(found.alternatives) <= MAX_ALTERNATIVES
        found.link()


# --- merging ------------------------------------------------------------------------


def test_records_of_one_room_are_one_room_with_every_address() -> None:
    a = server("192.168.1.20", 1234, 3, alt=(("192.168.1.21", 1235), ("10.0.0.9", 1236)))
    b = server("192.168.1.21", 1235, 2, alt=(("192.168.1.20", 1234), ("10.0.0.9", 1236)))
    alone = server("192.168.1.30", 1234, 1, room="", name="Lab")  # another room, same name
    [lab, other] = merge_rooms([b, alone, a])
    assert other == alone
    assert (lab.host, lab.port) == ("192.168.1.20", 1234)
    assert lab.alternatives == (("192.168.1.21", 1235), ("10.0.0.9", 1236))
    assert lab.members == 5  # each server counts the members connected to it
    assert lab.servers == 2
    assert "2 servers" in room_line(lab) and "5 people" in room_line(lab)
    assert lab.join_target().alternatives == [("192.168.1.21", 1235), ("10.0.0.9", 1236)]
    # The same room whichever order the records came in, and whichever was heard.
    assert merge_rooms([a, b]) == merge_rooms([b, a])
    assert merge_rooms([b])[0].key == lab.key  # a list keeps its row as servers come and go


def test_another_fingerprint_is_another_room() -> None:
    # mDNS is not authenticated: a record claiming the room's id cannot add its
    # addresses to a join pinned to another fingerprint.
    a = server("192.168.1.20", 1234, 3)
    impostor = server("192.168.1.66", 1234, 0, fp=OTHER_FP)
    rooms = merge_rooms([a, impostor])
    assert len(rooms) == 2
    assert all(room.others == () for room in rooms)


def one_room(*endpoints: tuple[str, int], members: int | None = 1) -> list[FoundRoom]:
    """The records of a room's servers at ``endpoints``, each listing all the others."""
    return [
        server(host, port, members, alt=tuple(e for e in endpoints if e != (host, port)))
        for host, port in endpoints
    ]


def test_merged_flags_counts_and_the_first_server() -> None:
    endpoints = (("169.254.3.4", 1), ("10.0.0.5", 2), ("10.0.0.4", 3))
    _, b, c = one_room(*endpoints)
    # link-local: not the first choice
    a = server("169.254.3.4", 1, 2, password=True, alt=(endpoints[1], endpoints[2]))
    b = dataclasses.replace(b, members=None)
    [room] = merge_rooms([a, b, c])
    assert (room.host, room.port) == ("10.0.0.4", 3)
    assert room.others == (("10.0.0.5", 2), ("169.254.3.4", 1))
    assert room.members == 3 and room.password_needed is True
    [quiet] = merge_rooms([b])
    assert quiet.members is None and quiet.servers == 1


def test_a_record_the_rooms_servers_do_not_list_stays_apart() -> None:
    a, b = one_room(("10.0.0.5", 1234), ("10.0.0.6", 1234), members=2)
    # A stranger with the room's id and fingerprint (both are public), listing
    # the room's servers: they do not list it, so its address never joins the
    # room's entry (where a pinned join would stop at it).
    stranger = server("10.0.0.1", 1234, 50, alt=(("10.0.0.5", 1234), ("10.0.0.6", 1234)))
    room, apart = sorted(merge_rooms([a, stranger, b]), key=lambda r: -r.servers)
    assert (room.host, room.servers, room.members) == ("10.0.0.5", 2, 4)
    assert room.alternatives == (("10.0.0.6", 1234),)
    assert (apart.host, apart.servers, apart.members) == ("10.0.0.1", 1, 50)
    assert apart.key != room.key
    assert room.key == merge_rooms([a, b])[0].key  # the room keeps its row


def test_a_dead_servers_lingering_record_leaves_the_room() -> None:
    # A killed server sends no goodbye; the others bury it in Redis and stop
    # listing it: the room's entry (and count) no longer has it.
    endpoints = (("10.0.0.5", 1), ("10.0.0.6", 2), ("10.0.0.7", 3))
    a, b, dead = one_room(*endpoints, members=3)
    a = dataclasses.replace(a, others=(endpoints[1],))
    b = dataclasses.replace(b, others=(endpoints[0],))
    room, apart = sorted(merge_rooms([a, b, dead]), key=lambda r: -r.servers)
    assert (room.servers, room.members, room.alternatives) == (2, 6, (endpoints[1],))
    assert (apart.host, apart.servers) == ("10.0.0.7", 1)


def test_servers_that_list_each_other_through_a_third_are_one_room() -> None:
    # Over ten servers, alt= holds ten of the others: the room is still one
    # entry when the listings connect every server.
    a, b, c = (("10.0.0.5", 1), ("10.0.0.6", 2), ("10.0.0.7", 3))
    records = [server(*a, alt=(b,)), server(*b, alt=(a, c)), server(*c, alt=(b,))]
    [room] = merge_rooms(records)
    assert room.servers == 3 and set(room.alternatives) == {b, c}


def test_merging_caps_the_alternatives() -> None:
    records = one_room(*((f"10.0.{i}.1", 1000 + i) for i in range(40)))
    records = [
        dataclasses.replace(r, others=tuple(x.join_target().address for x in records if x != r))
        for r in records
    ]
    [room] = merge_rooms(records)
    assert room.servers == 40 and room.members == 40
    assert len(room.others) == MAX_ALTERNATIVES
    assert len(room.alternatives) == MAX_ALTERNATIVES
    parse_join_target(room.link())  # a link with that many alternatives is still valid


def test_room_table_lists_a_rooms_servers_as_one() -> None:
    table = RoomTable()
    a, b = one_room(("10.0.0.5", 1), ("10.0.0.6", 2))
    for name, record in (("a", a), ("b", dataclasses.replace(b, members=2))):
        table.heard(name)
        job = table.next_name()
        assert job is not None
        table.settle(name, job[1], record)
    [room] = table.rooms()
    assert room.servers == 2 and room.members == 3
    table.gone("a")
    [room] = table.rooms()
    assert (room.host, room.servers, room.members) == ("10.0.0.6", 1, 2)


# --- announcing ---------------------------------------------------------------------


class Recorder:
    """A stand-in zeroconf keeping the TXT records announced."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[bytes, bytes | None]]] = []
        self.lock = threading.Lock()

    def _note(self, what: str, info: Any) -> None:
        with self.lock:
            self.sent.append((what, dict(info.properties)))

    def register_service(self, info: Any, allow_name_change: bool = False) -> None:
        self._note("register", info)

    def update_service(self, info: Any) -> None:
        self._note("update", info)

    def unregister_service(self, info: Any) -> None:
        self._note("unregister", info)

    def close(self) -> None:
        pass

    def last(self) -> dict[bytes, bytes | None]:
        with self.lock:
            return self.sent[-1][1] if self.sent else {}


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    fake = Recorder()
    monkeypatch.setattr(discovery, "_start_zeroconf", lambda: fake)
    yield fake


def test_announcer_sends_and_updates_the_other_servers(recorder: Recorder) -> None:
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
    count = len(recorder.sent)
    announcer.update(2, alternatives=[], room=ROOM)  # nothing new: nothing sent
    time.sleep(0.2)
    assert len(recorder.sent) == count
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
