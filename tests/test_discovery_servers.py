"""A room on several servers in discovery: TXT alt= and room=, merging, re-announcing.

Pure parts (the record, the merge, Publicity's and redisopts' bookkeeping) and
the Announcer on a stand-in zeroconf: no multicast here (the real thing runs
in a private namespace, test_discovery_netns_servers.py).
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktopchat.net.discovery import RoomTable
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
