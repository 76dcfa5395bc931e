"""Protocol-1 and protocol-2 encodings of events (desktopchat/protocol/wire.py)."""

from __future__ import annotations

import pytest

from desktopchat.protocol import FrameDecoder, RemoteProtocolError, encode_frame, encode_pair, wire
from desktopchat.protocol import events as ev

T = 1_700_000_000.25  # a server time that survives the millisecond encoding exactly


def frames(data: bytes) -> list[str]:
    decoder = FrameDecoder(max_payload=1 << 30)
    decoder.receive_data(data)
    got = [frame.decode("utf-8") for frame in decoder]
    assert not decoder.in_frame
    return got


def one_pair(data: bytes) -> tuple[str, str]:
    got = frames(data)
    assert len(got) == 2
    return got[0], got[1]


# --- protocol 2, server to client -----------------------------------------------------

ROOM_SIDE_EVENTS = [
    ev.Message("hi there", sender="ann", id=7, time=T),
    ev.Message("", sender="ann", id=1, time=0.0),
    ev.Message("multi\nline  text ", sender="ann", id=8, time=T),
    ev.Action("waves", sender="bob", id=9, time=T),
    ev.Private("psst", to="bob", sender="ann", id=10, time=T),
    ev.NickChange("bert", old="bob", id=11, time=T),
    ev.Joined("carol", id=12, time=T),
    ev.Left("carol", id=13, time=T),
    ev.Notice("maintenance at noon", id=14, time=T),
    ev.Accepted(5, 15, T),
    ev.Accepted(6),
    ev.Rejected(7, "No such user: carol."),
    ev.Welcome("ann", "Welcome to the room, ann!", 2, "a1b2c3", 16),
    ev.Welcome("ann", "", 2, None, None),
    ev.UserList(("ann", "bob", "carol")),
    ev.UserList(()),
    ev.Info("Commands: ..."),
    ev.Gap(3, 9, T),
    ev.Gap(3, 9, None),
    ev.Refused("Wrong password."),
    ev.RoomClosed(),
]


@pytest.mark.parametrize("event", ROOM_SIDE_EVENTS, ids=lambda e: type(e).__name__)
def test_encode_v2_then_parse_room_v2_round_trips(event: ev.Event) -> None:
    meta, body = one_pair(wire.encode_v2(event))
    assert wire.parse_room_v2(meta, body) == event


@pytest.mark.parametrize(
    ("event", "meta", "body"),
    [
        (ev.Message("hi", sender="ann", id=7, time=1.5), "say 7 1500 ann", "hi"),
        (ev.Action("waves", sender="bob", id=8, time=2.0), "me 8 2000 bob", "waves"),
        (ev.Private("psst", to="bob", sender="ann", id=9, time=0.001), "msg 9 1 ann bob", "psst"),
        (ev.NickChange("bert", old="bob", id=10, time=3.0), "nick 10 3000 bob bert", ""),
        (ev.Joined("carol", id=11, time=4.0), "join 11 4000 carol", ""),
        (ev.Left("carol", id=12, time=5.0), "leave 12 5000 carol", ""),
        (ev.Notice("bye", id=13, time=6.0), "notice 13 6000", "bye"),
        (ev.Accepted(4, 14, 7.0), "ok 4 14 7000", ""),
        (ev.Accepted(4), "ok 4 - -", ""),
        (ev.Rejected(4, "Usage: /me TEXT"), "no 4", "Usage: /me TEXT"),
        (ev.Welcome("ann", "hello", 2, "ep", 3), "welcome ep 3 ann", "hello"),
        (ev.UserList(("ann", "bob")), "users", "ann bob"),
        (ev.Info("x"), "info", "x"),
        (ev.Gap(2, 5, 8.0), "gap 2 5 8000", ""),
        (ev.Refused("Wrong password."), "error", "Wrong password."),
        (ev.RoomClosed(), "closed", "room closed"),
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_encode_v2_bytes(event: ev.Event, meta: str, body: str) -> None:
    assert wire.encode_v2(event) == encode_frame(meta) + encode_frame(body)


def test_encode_v2_refuses_a_request_only_event() -> None:
    with pytest.raises(TypeError):
        wire.encode_v2(ev.Who(cid=1))


def test_v2_body_is_not_limited_by_the_default_frame_limit() -> None:
    # The room's own limit governs chat bodies; the encoder must not cap them at 64 KiB.
    text = "x" * (100 * 1024)
    _, body = one_pair(wire.encode_v2(ev.Message(text, sender="ann", id=1, time=T)))
    assert body == text


def test_times_are_whole_milliseconds() -> None:
    meta, _ = one_pair(wire.encode_v2(ev.Message("x", sender="a", id=1, time=1.23449)))
    assert meta == "say 1 1234 a"
    event = wire.parse_room_v2(meta, "x")
    assert isinstance(event, ev.Message)
    assert event.time == pytest.approx(1.234)


@pytest.mark.parametrize(
    "meta",
    [
        "",
        "bogus",
        "bogus 1 1000 ann",
        "SAY 1 1000 ann",
        "say",
        "say 1",
        "say 1 1000",
        "say 1 1000 ann extra",
        "say x 1000 ann",
        "say - 1000 ann",
        "say -1 1000 ann",
        "say +1 1000 ann",
        "say 1.5 1000 ann",
        "say 1 -1000 ann",
        "say 1 x ann",
        "say 1234567890123456789 1000 ann",
        "say 1 1234567890123456789 ann",
        "say \u0661 1000 ann",
        "say  1 1000 ann",
        "me 1 1000",
        "msg 1 1000 ann",
        "msg 1 1000 ann bob extra",
        "nick 1 1000 bob",
        "join 1 1000",
        "join 1 1000 a b",
        "leave 1 1000",
        "notice 1",
        "notice 1 1000 extra",
        "ok",
        "ok 1",
        "ok 1 2",
        "ok x - -",
        "ok - 2 1000",
        "ok -1 2 1000",
        "ok 1 2 1000 extra",
        "no",
        "no x",
        "no 1 extra",
        "welcome E 5",
        "welcome E x ann",
        "welcome E -5 ann",
        "welcome E 5 ann extra",
        "users extra",
        "info extra",
        "gap 1 2",
        "gap 1 - 1000",
        "gap x 2 1000",
        "error extra",
        "closed extra",
        "replay 1 0",
    ],
)
def test_parse_room_v2_rejects_malformed_meta(meta: str) -> None:
    with pytest.raises(RemoteProtocolError):
        wire.parse_room_v2(meta, "body")


def test_parse_room_v2_accepts_the_largest_numbers() -> None:
    big = "9" * 18
    event = wire.parse_room_v2(f"say {big} {big} ann", "hi")
    assert event == ev.Message("hi", sender="ann", id=int(big), time=int(big) / 1000)


def test_users_body_tolerates_extra_spaces() -> None:
    assert wire.parse_room_v2("users", " ann  bob ") == ev.UserList(("ann", "bob"))


# --- protocol 2, client to server ---------------------------------------------------------

REQUESTS: list[tuple[ev.Event, str, str]] = [
    (ev.Message("hi there", cid=1), "say 1", "hi there"),
    (ev.Message("", cid=0), "say 0", ""),
    (ev.Message("/not a command", cid=2), "say 2", "/not a command"),
    (ev.Action("waves", cid=3), "me 3", "waves"),
    (ev.Private("psst", to="bob", cid=4), "msg 4 bob", "psst"),
    (ev.NickChange("bert", cid=5), "nick 5", "bert"),
    (ev.Who(cid=6), "who 6", ""),
    (ev.Help(cid=7), "help 7", ""),
    (ev.Message("x", cid=int("9" * 18)), "say " + "9" * 18, "x"),
]


@pytest.mark.parametrize(("request_", "meta", "body"), REQUESTS, ids=lambda v: str(v)[:20])
def test_parse_request_v2(request_: ev.Event, meta: str, body: str) -> None:
    assert wire.parse_request_v2(meta, body) == request_


@pytest.mark.parametrize(
    "meta",
    [
        "",
        "say",
        "say x",
        "say -1",
        "say +1",
        "say 1.0",
        "say 1234567890123456789",
        "say \u0661",
        "say  1",
        "say 1 ",
        "say 1 extra",
        "me 1 extra",
        "msg 1",
        "msg 1 bob extra",
        "nick 1 bert",
        "who 1 x",
        "help 1 x",
        "SAY 1",
        "ok 1 2 1000",
        "bogus 1",
        "- 1",
    ],
)
def test_parse_request_v2_rejects_malformed_meta(meta: str) -> None:
    with pytest.raises(RemoteProtocolError):
        wire.parse_request_v2(meta, "body")


# --- protocol 1 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "pair"),
    [
        (ev.Message("hi", sender="ann", id=1, time=T), ("ann", "hi")),
        (ev.Action("waves", sender="ann", id=1, time=T), ("*action", "ann waves")),
        (ev.Private("psst", to="bob", sender="ann", id=1, time=T), ("@ann", "psst")),
        (ev.NickChange("bert", old="bob", id=1, time=T), ("*nick", "bob bert")),
        (ev.Joined("carol", id=1, time=T), ("*join", "carol")),
        (ev.Left("carol", id=1, time=T), ("*leave", "carol")),
        (ev.Notice("bye", id=1, time=T), ("*info", "bye")),
        (ev.Info("help text"), ("*info", "help text")),
        (ev.Rejected(3, "No such user: carol."), ("*error", "No such user: carol.")),
        (ev.Refused("Wrong password."), ("*error", "Wrong password.")),
        (ev.Welcome("ann", "Welcome!", 1), ("*welcome", "Welcome!")),
        (ev.UserList(("ann", "bob")), ("*users", "ann bob")),
        (ev.RoomClosed(), ("*info", "room closed")),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, ev.Event) else "",
)
def test_encode_v1_is_the_tutorial_pair(event: ev.Event, pair: tuple[str, str]) -> None:
    assert wire.encode_v1(event) == encode_pair(*pair)


def test_encode_v1_has_nothing_for_acks_and_gaps() -> None:
    assert wire.encode_v1(ev.Accepted(1, 2, T)) == b""
    assert wire.encode_v1(ev.Gap(1, 2, T)) == b""
    with pytest.raises(TypeError):
        wire.encode_v1(ev.Who())


# --- the upgrade frame ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "resume", "text"),
    [
        ("tok123", None, "/protocol 2 tok123"),
        ("tok123", ("a1b2", 42), "/protocol 2 tok123 a1b2 42"),
        ("T" * 64, ("E" * 32, int("9" * 18)), f"/protocol 2 {'T' * 64} {'E' * 32} {'9' * 18}"),
        ("tok", ("ep", 0), "/protocol 2 tok ep 0"),
    ],
)
def test_upgrade_frame_round_trips(token: str, resume: tuple[str, int] | None, text: str) -> None:
    assert wire.format_upgrade(token, resume) == text
    assert wire.parse_upgrade(text) == (token, resume)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "/protocol",
        "/protocol 2",
        "/protocol 3 tok",
        "/protocol 02 tok",
        "/PROTOCOL 2 tok",
        "/protocol  2 tok",
        "/protocol 2 tok ",
        "/protocol 2 tok ep",
        "/protocol 2 tok ep 1 x",
        "/protocol 2 to-k",
        "/protocol 2 t\u00f6k",
        "/protocol 2 " + "t" * 65,
        "/protocol 2 tok e-p 1",
        "/protocol 2 tok " + "e" * 33 + " 1",
        "/protocol 2 tok ep -1",
        "/protocol 2 tok ep x",
        "/protocol 2 tok ep 1234567890123456789",
        "/protocol 2 tok ep \u0661",
        "//protocol 2 tok",
    ],
)
def test_parse_upgrade_refuses_anything_else(text: str) -> None:
    assert wire.parse_upgrade(text) is None
