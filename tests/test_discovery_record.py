"""The room's TXT record: built by txt_record, read back as hostile by room_from_record."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktopchat.net.invite import parse_join_target
from desktopchat.net.roomrecord import (
    MAX_ADDRESSES,
    MAX_NAME_BYTES,
    MAX_NAME_CHARS,
    FoundRoom,
    cut_room_name,
    room_from_record,
    room_line,
    txt_record,
)

FP = "0123456789abcdef" * 4


def as_wire(record: dict[str, str]) -> dict[bytes, bytes | None]:
    """A TXT record as zeroconf hands it over: bytes keys and values."""
    return {key.encode(): value.encode() for key, value in record.items()}


def good(**changes: bytes | None) -> dict[bytes, bytes | None]:
    record = as_wire(
        txt_record("Alice's room", FP, password_needed=True, encrypted_only=False, members=3)
    )
    for key, value in changes.items():
        if value is None:
            record.pop(key.encode(), None)
        else:
            record[key.encode()] = value
    return record


def test_record_round_trips() -> None:
    colons = ":".join(FP[i : i + 2] for i in range(0, 64, 2)).upper()
    record = txt_record("Team", colons, password_needed=False, encrypted_only=True, members=2)
    assert record == {"v": "2", "name": "Team", "fp": FP, "pw": "0", "enc": "1", "n": "2"}
    room = room_from_record(as_wire(record), 1234, ["192.168.1.20"], key="Team (x)")
    assert room == FoundRoom(
        name="Team",
        host="192.168.1.20",
        port=1234,
        addresses=("192.168.1.20",),
        fingerprint=FP,
        password_needed=False,
        encrypted_only=True,
        version=2,
        members=2,
    )
    assert room.key == "Team (x)"


@pytest.mark.parametrize(
    "changes",
    [
        {"fp": b"zz" * 32},
        {"fp": b"ab" * 16},
        {"fp": None},
        {"fp": b"ab" * 100},
        {"name": None},
        {"name": b""},
        {"name": b"   "},
        {"name": b"\xff\xfe"},
        {"name": ("x" * (MAX_NAME_CHARS + 1)).encode()},
        {"name": ("\u00e9" * (MAX_NAME_BYTES // 2 + 1)).encode()},
        {"name": b"Evil\x1b[2J"},
        {"name": b"tab\there"},
        {"name": "\u202eroom".encode()},
        {"v": None},
        {"v": b"two"},
        {"v": b"1234"},
        {"v": b""},
        {"n": b"many"},
        {"n": b"-1"},
        {"n": b"1234567"},
        {"pw": b"yes"},
        {"pw": b""},
        {"enc": b"2"},
    ],
    ids=repr,
)
def test_malformed_record_is_dropped_whole(changes: dict[str, bytes | None]) -> None:
    assert room_from_record(good(**changes), 1234, ["192.168.1.20"]) is None


def test_key_without_value_is_malformed() -> None:
    record = good()
    record[b"pw"] = None  # "pw" with no "=": neither 0 nor 1
    assert room_from_record(record, 1234, ["192.168.1.20"]) is None


@pytest.mark.parametrize("port", [0, -1, 65536])
def test_bad_port_is_dropped(port: int) -> None:
    assert room_from_record(good(), port, ["192.168.1.20"]) is None


def test_optional_keys_and_unknown_keys() -> None:
    record = good(pw=None, enc=None, n=None)
    record[b"future"] = b"whatever"
    room = room_from_record(record, 1234, ["10.0.0.5"])
    assert room is not None
    assert (room.password_needed, room.encrypted_only, room.members) == (False, False, None)
    assert room.flags() == ""


def test_name_is_tidied_like_an_invitations() -> None:
    room = room_from_record(good(name="  Team   room\u2028two ".encode()), 1, ["10.0.0.5"])
    assert room is not None
    assert room.name == "Team room two"


def test_addresses_are_checked_ordered_and_capped() -> None:
    addresses = ["224.0.0.251", "not an ip", "0.0.0.0", "127.0.0.1", "169.254.3.4", "fe80::1"]
    addresses += ["8.8.8.8", "192.168.1.20", "192.168.1.20"]
    room = room_from_record(good(), 1234, addresses)
    assert room is not None
    assert room.addresses == ("192.168.1.20", "8.8.8.8", "169.254.3.4", "127.0.0.1")
    assert room.host == "192.168.1.20"
    assert room.alternatives == (("8.8.8.8", 1234), ("169.254.3.4", 1234), ("127.0.0.1", 1234))
    many = [f"10.0.0.{i}" for i in range(1, 100)]
    capped = room_from_record(good(), 1234, many)
    assert capped is not None and len(capped.addresses) == MAX_ADDRESSES


def test_no_usable_address_is_dropped() -> None:
    assert room_from_record(good(), 1234, ["224.0.0.251", "255.255.255.255"]) is None
    assert room_from_record(good(), 1234, []) is None


def test_cut_room_name() -> None:
    assert cut_room_name("  Team  ") == "Team"
    assert cut_room_name("Evil\x1b[2J \u202e room") == "Evil [2J room"
    assert len(cut_room_name("x" * 500)) == MAX_NAME_CHARS
    wide = cut_room_name("\U0001f600" * 100)  # 4 bytes each
    assert len(wide.encode()) <= MAX_NAME_BYTES
    record = txt_record(
        "\U0001f600" * 100, FP, password_needed=False, encrypted_only=False, members=0
    )
    assert room_from_record(as_wire(record), 1, ["10.0.0.5"]) is not None


@given(st.text(max_size=200))
def test_any_announced_name_is_read_back(name: str) -> None:
    record = txt_record(name, FP, password_needed=False, encrypted_only=False, members=0)
    room = room_from_record(as_wire(record), 1, ["10.0.0.5"])
    if record["name"]:
        assert room is not None and room.name == record["name"]
        room.link()  # an invitation can always be made for it
    else:
        assert room is None


def test_link_and_join_target_pin_the_fingerprint() -> None:
    room = room_from_record(good(), 4321, ["192.168.1.20", "10.0.0.7"])
    assert room is not None
    target = parse_join_target(room.link())
    assert (target.host, target.port, target.fingerprint) == ("192.168.1.20", 4321, FP)
    assert target.password_needed is True
    assert target.alternatives == [("10.0.0.7", 4321)]
    joined = room.join_target()
    assert (joined.host, joined.port, joined.fingerprint) == ("192.168.1.20", 4321, FP)
    assert joined.alternatives == [("10.0.0.7", 4321)]
    assert joined.room_name == "Alice's room"


def test_room_line() -> None:
    room = room_from_record(good(), 4321, ["192.168.1.20"])
    assert room is not None
    line = room_line(room)
    assert line.startswith("Alice's room  desktopchat://192.168.1.20:4321?")
    assert line.endswith("  (3 people, password needed)")
    assert room.short_fingerprint.replace(" ", "") == FP[:16]


@given(
    st.dictionaries(
        st.sampled_from([b"v", b"name", b"fp", b"pw", b"enc", b"n", b"x", b""]),
        st.one_of(st.none(), st.binary(max_size=300)),
    ),
    st.integers(-5, 70000),
    st.lists(st.text(max_size=20), max_size=12),
)
def test_any_record_is_read_without_raising(
    record: dict[bytes, bytes | None], port: int, addresses: list[str]
) -> None:
    room = room_from_record(record, port, addresses)
    if room is not None:
        assert 0 < len(room.name) <= MAX_NAME_CHARS
        assert 0 < room.port < 65536
        assert 1 <= len(room.addresses) <= MAX_ADDRESSES
        assert len(room.fingerprint) == 64
