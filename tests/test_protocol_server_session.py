"""ServerConnection, sans IO: names, the protocol-2 offer and upgrade, passwords,
joining, requests of both protocols, frame limits. Bytes in, events out.
"""

from __future__ import annotations

import pytest
from sessionkit import (
    AUTH_PAIR,
    EPOCH,
    TOKEN,
    UPGRADE,
    T,
    drain_server,
    joined_server,
    named_server,
    new_server,
    state_of,
)

from desktopchat.protocol import (
    LocalProtocolError,
    RemoteProtocolError,
    encode_frame,
    encode_pair,
    wire,
)
from desktopchat.protocol import events as ev
from desktopchat.protocol.server import (
    EARLY_FRAME_DROPPED,
    HANDSHAKE_MAX_PAYLOAD,
    HELLO_PAIR,
    ServerState,
)

DROPPED_NOTICE = encode_pair(ev.INFO, EARLY_FRAME_DROPPED)


def test_server_starts_waiting_for_a_name() -> None:
    session = new_server()
    assert session.state is ServerState.NAME
    assert session.version == 1
    assert session.data_to_send() == b""
    assert session.next_event() is None
    assert not session.in_frame
    assert not session.waiting_for_upgrade


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "Name is empty: type a name of 1 to 32 characters."),
        ("   ", "Name is empty: type a name of 1 to 32 characters."),
        ("a" * 33, "Name is too long (33 characters): use at most 32."),
        ("ann lee", "Name must not contain spaces: use one word, e.g. ann_lee."),
        ("ann\x07", "Name must not contain control characters (found '\\x07')."),
        ("*ann", "Name must not start with *, @ or /: those mark events and commands."),
        ("@ann", "Name must not start with *, @ or /: those mark events and commands."),
        ("/ann", "Name must not start with *, @ or /: those mark events and commands."),
    ],
)
def test_server_refuses_an_invalid_name(name: str, reason: str) -> None:
    session = new_server()
    assert drain_server(session, encode_frame(name)) == [ev.Refused(reason)]
    assert session.data_to_send() == b""  # no offer to a refused name
    assert session.send(ev.Refused(reason)) == encode_pair("*error", reason)
    assert session.state is ServerState.CLOSED
    assert drain_server(session, encode_frame("bob")) == []


def test_server_name_that_is_not_utf8_is_a_remote_error() -> None:
    session = new_server()
    session.receive_data(encode_frame(b"\xff\xfe"))
    with pytest.raises(RemoteProtocolError):
        session.next_event()


def test_server_offers_protocol_2_after_a_valid_name() -> None:
    session = new_server()
    assert drain_server(session, encode_frame("  Ame\u0301lie ")) == []
    assert session.state is ServerState.HELLO
    assert session.name == "Am\u00e9lie"  # NFC, trimmed
    assert session.data_to_send() == encode_pair("*hello", "desktopchat 2") == HELLO_PAIR
    assert session.data_to_send() == b""
    assert session.waiting_for_upgrade


def test_password_room_asks_for_the_password_with_the_offer() -> None:
    session = new_server(password=True)
    assert drain_server(session, encode_frame("ann")) == []
    assert session.data_to_send() == HELLO_PAIR + AUTH_PAIR
    assert not session.waiting_for_upgrade  # the client must send something


@pytest.mark.parametrize(
    ("frame", "resume"),
    [
        (f"/protocol 2 {TOKEN}", None),
        (f"/protocol 2 {TOKEN} {EPOCH} 42", (EPOCH, 42)),
        (f"/protocol 2 {TOKEN} {EPOCH} 0", (EPOCH, 0)),
    ],
)
def test_upgrade_frame_joins_as_protocol_2(frame: str, resume: tuple[str, int] | None) -> None:
    session = named_server()
    assert session.next_event() is None
    session.receive_data(encode_frame(frame))
    assert session.next_event() == ev.JoinRequest("ann", None, 2, TOKEN, resume)
    assert session.state is ServerState.JOINING
    assert session.version == 2
    assert session.next_event() is None  # the room decides first
    session.accept()
    assert state_of(session) is ServerState.CHAT


def test_upgrade_in_a_password_room_waits_for_the_password() -> None:
    session = named_server(password=True)
    assert drain_server(session, encode_frame(f"/protocol 2 {TOKEN} {EPOCH} 7")) == []
    assert session.state is ServerState.AUTH
    assert session.version == 2
    assert session.data_to_send() == b""
    session.receive_data(encode_frame("s3cret pass"))
    assert session.next_event() == ev.JoinRequest("ann", "s3cret pass", 2, TOKEN, (EPOCH, 7))


def test_protocol_1_client_answers_the_password_question_directly() -> None:
    session = named_server(password=True)
    session.receive_data(encode_frame("s3cret"))
    assert session.next_event() == ev.JoinRequest("ann", "s3cret", 1, "", None)
    assert session.version == 1


MALFORMED_UPGRADES = [
    "/protocol 3 tok",
    "/protocol 2",
    "/protocol 2 tok ep",
    "/protocol 2 tok ep x",
    "/protocol 2 to-k",
    "/protocol 2 tok ep -1",
    "/protocol  2 tok",
    "/protocol 2 " + "t" * 65,
]


@pytest.mark.parametrize("frame", MALFORMED_UPGRADES)
def test_malformed_upgrade_is_a_protocol_1_first_message(frame: str) -> None:
    session = named_server()
    session.receive_data(encode_frame(frame))
    assert session.next_event() == ev.JoinRequest("ann", None, 1, "", None)
    assert session.version == 1
    session.accept()
    assert drain_server(session) == []  # dropped like any first frame, and the client told
    assert session.data_to_send() == DROPPED_NOTICE


@pytest.mark.parametrize("frame", MALFORMED_UPGRADES)
def test_malformed_upgrade_is_the_password_in_a_password_room(frame: str) -> None:
    session = named_server(password=True)
    session.receive_data(encode_frame(frame))
    assert session.next_event() == ev.JoinRequest("ann", frame, 1, "", None)
    assert session.state is ServerState.JOINING


def test_protocol_1_first_message_is_dropped_and_the_client_told_after_accept() -> None:
    # In a room without a password it may be a password sent blindly: never relayed.
    session = named_server()
    session.receive_data(encode_frame("hunter2"))
    assert session.next_event() == ev.JoinRequest("ann", None, 1, "", None)
    session.receive_data(encode_frame("/ME waves"))
    assert session.next_event() is None  # JOINING: nothing is read until the room accepts
    assert session.data_to_send() == b""  # the notice waits for the welcome
    session.accept()
    welcome = session.send(ev.Welcome("ann", "hi", 1))
    assert DROPPED_NOTICE not in welcome
    assert drain_server(session) == [ev.Action("waves")]  # later frames are requests
    assert session.data_to_send() == DROPPED_NOTICE
    assert session.data_to_send() == b""  # once


def test_protocol_1_first_message_that_is_a_command_is_dropped_too() -> None:
    session = named_server()
    session.receive_data(encode_frame("/who"))
    assert session.next_event() == ev.JoinRequest("ann", None, 1, "", None)
    session.accept()
    assert drain_server(session) == []
    assert session.data_to_send() == DROPPED_NOTICE


def test_upgrade_wait_over_joins_a_silent_client_as_protocol_1() -> None:
    session = new_server()
    assert session.upgrade_wait_over() is None  # no name yet
    drain_server(session, encode_frame("ann"))
    assert session.upgrade_wait_over() == ev.JoinRequest("ann", None, 1, "", None)
    assert session.state is ServerState.JOINING
    assert not session.waiting_for_upgrade
    assert session.upgrade_wait_over() is None  # once only
    session.accept()
    assert session.upgrade_wait_over() is None
    assert drain_server(session, encode_frame("hi")) == [ev.Message("hi")]


def test_upgrade_wait_over_does_nothing_in_a_password_room() -> None:
    session = named_server(password=True)
    assert session.upgrade_wait_over() is None
    assert session.state is ServerState.HELLO


def test_upgrade_wait_over_does_nothing_after_the_upgrade() -> None:
    session = named_server()
    assert [type(e) for e in drain_server(session, UPGRADE)] == [ev.JoinRequest]
    assert session.upgrade_wait_over() is None
    assert session.version == 2


@pytest.mark.parametrize("state", ["NAME", "HELLO", "AUTH", "CHAT", "CLOSED"])
def test_accept_in_the_wrong_state_is_a_local_error(state: str) -> None:
    session = new_server(password=True)
    if state != "NAME":
        drain_server(session, encode_frame("ann"))
    if state == "AUTH":
        drain_server(session, UPGRADE)
    if state == "CHAT":
        drain_server(session, encode_frame("pw"))
    if state == "CLOSED":
        session.close()
    assert session.state.name == state
    with pytest.raises(LocalProtocolError):
        session.accept()


def test_send_after_close_is_a_local_error() -> None:
    session = joined_server(2)
    session.close()
    assert session.state is ServerState.CLOSED
    with pytest.raises(LocalProtocolError):
        session.send(ev.Info("x"))
    assert drain_server(session, encode_frame("say 1") + encode_frame("x")) == []


def test_refused_closes_the_session() -> None:
    session = joined_server(2)
    assert session.send(ev.Refused("Wrong password.")) == wire.encode_v2(
        ev.Refused("Wrong password.")
    )
    assert session.state is ServerState.CLOSED
    with pytest.raises(LocalProtocolError):
        session.send(ev.Refused("again"))


def test_send_speaks_the_session_version() -> None:
    message = ev.Message("hi", sender="bob", id=3, time=T)
    v1, v2 = joined_server(1), joined_server(2)
    assert v1.send(message) == encode_pair("bob", "hi")
    assert v2.send(message) == wire.encode_v2(message)
    assert v1.send(ev.Accepted(1, 3, T)) == b""  # protocol 1 has no acknowledgements
    assert v2.send(ev.Accepted(1, 3, T)) == wire.encode_v2(ev.Accepted(1, 3, T))
    assert v1.send(ev.Rejected(0, "Usage: /me TEXT")) == encode_pair("*error", "Usage: /me TEXT")


def test_replay_head() -> None:
    v1, v2 = joined_server(1), joined_server(2)
    assert v2.replay_head(3, True) == wire.meta_pair("replay 3 1")
    assert v2.replay_head(0, False) == wire.meta_pair("replay 0 0")
    assert v1.replay_head(3, False) == encode_pair("*history", "3")
    assert v1.replay_head(0, False) == b""


def test_protocol_2_requests_carry_their_cid() -> None:
    session = joined_server(2)
    data = b"".join(
        encode_frame(meta) + encode_frame(body)
        for meta, body in [
            ("say 1", "hello"),
            ("say 2", "/not a command"),
            ("me 3", "waves"),
            ("msg 4 bob", "psst"),
            ("nick 5", "bert"),
            ("who 6", ""),
            ("help 7", ""),
        ]
    )
    assert drain_server(session, data) == [
        ev.Message("hello", cid=1),
        ev.Message("/not a command", cid=2),
        ev.Action("waves", cid=3),
        ev.Private("psst", to="bob", cid=4),
        ev.NickChange("bert", cid=5),
        ev.Who(cid=6),
        ev.Help(cid=7),
    ]


def test_protocol_2_pair_is_one_request_even_when_split() -> None:
    session = joined_server(2)
    session.receive_data(encode_frame("say 9"))
    assert session.next_event() is None
    assert session.in_frame  # half a pair
    session.receive_data(encode_frame("hi"))
    assert session.next_event() == ev.Message("hi", cid=9)
    assert not session.in_frame


def test_protocol_1_commands_are_parsed_and_bad_ones_reported() -> None:
    session = joined_server(1)
    data = b"".join(
        encode_frame(t) for t in ["hi", "/ME waves", "/msg bob psst", "//x", "/msg bob", "/frob"]
    )
    assert drain_server(session, data) == [
        ev.Message("hi"),
        ev.Action("waves"),
        ev.Private("psst", to="bob"),
        ev.Message("/x"),
        ev.CommandError("Usage: /msg NAME TEXT"),
        ev.CommandError("Unknown command /frob: type /help for the list."),
    ]


@pytest.mark.parametrize(
    "meta", ["say", "say x", "say -1", "bogus 1", "say 1 extra", "msg 1", "ok 1 2 3", ""]
)
def test_malformed_protocol_2_request_is_a_remote_error(meta: str) -> None:
    session = joined_server(2)
    session.receive_data(encode_frame(meta))
    assert session.next_event() is None  # the meta alone says nothing yet
    session.receive_data(encode_frame("body"))
    with pytest.raises(RemoteProtocolError):
        session.next_event()


def test_frame_limit_before_joining_is_1024_bytes() -> None:
    assert HANDSHAKE_MAX_PAYLOAD == 1024
    session = new_server(max_message=65536)
    session.receive_data(b"1025      ")  # the header alone is refused
    with pytest.raises(RemoteProtocolError, match="1025"):
        session.next_event()

    session = new_server(max_message=65536)
    # 1024 bytes pass the framing: the name is refused by the name rules instead.
    assert drain_server(session, encode_frame("a" * 1024)) == [
        ev.Refused("Name is too long (1024 characters): use at most 32.")
    ]

    session = named_server(max_message=65536)  # a protocol-1 first message is handshake too
    session.receive_data(encode_frame("x" * 1025))
    with pytest.raises(RemoteProtocolError):
        session.next_event()


def test_frame_limit_after_joining_is_max_message() -> None:
    session = joined_server(1, max_message=2000)
    assert drain_server(session, encode_frame("x" * 1025)) == [ev.Message("x" * 1025)]
    assert drain_server(session, encode_frame("y" * 2000)) == [ev.Message("y" * 2000)]
    session.receive_data(encode_frame("z" * 2001, max_payload=2001)[:10])
    with pytest.raises(RemoteProtocolError, match="2001"):
        session.next_event()


def test_frame_limit_after_joining_protocol_2() -> None:
    session = joined_server(2, max_message=2000)
    body = "x" * 2000
    assert drain_server(session, encode_frame("say 1") + encode_frame(body)) == [
        ev.Message(body, cid=1)
    ]
    session.receive_data(encode_frame("say 2") + b"2001      ")
    with pytest.raises(RemoteProtocolError):
        session.next_event()


def test_message_that_is_not_utf8_is_a_remote_error() -> None:
    session = joined_server(1)
    session.receive_data(encode_frame(b"\xc3"))
    with pytest.raises(RemoteProtocolError, match="message"):
        session.next_event()


def test_an_upgrade_that_arrives_after_a_protocol_1_join_is_ignored() -> None:
    # A client too busy to answer the offer within the wait was let in as
    # protocol 1; its late upgrade frame is neither a command error nor chat.
    session = joined_server(1)
    late = encode_frame("/protocol 2 abc123") + encode_frame("hello")
    assert drain_server(session, late) == [ev.Message("hello")]
    assert session.version == 1
