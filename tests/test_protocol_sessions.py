"""Sans-IO sessions: ServerConnection and ClientConnection, bytes in, events out.

No sockets, no threads, no room: bytes are passed by hand. Like h11's tests,
a stream must give the same events whatever the reads it arrives in.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktopchat.protocol import (
    LocalProtocolError,
    RemoteProtocolError,
    encode_frame,
    encode_pair,
    wire,
)
from desktopchat.protocol import events as ev
from desktopchat.protocol.client import ClientConnection, ClientState
from desktopchat.protocol.commands import Command
from desktopchat.protocol.server import (
    HANDSHAKE_MAX_PAYLOAD,
    HELLO_PAIR,
    ServerConnection,
    ServerState,
)

TOKEN = "c0ffee42"
EPOCH = "e90c4"
T = 1_700_000_000.5
AUTH_PAIR = encode_pair("*auth", "password required")
UPGRADE = encode_frame(f"/protocol 2 {TOKEN}")


# --- helpers ------------------------------------------------------------------------------


def drain_server(session: ServerConnection, data: bytes = b"") -> list[ev.Event]:
    """Feed ``data``; collect events the way the server loop does, accepting every join."""
    if data:
        session.receive_data(data)
    got: list[ev.Event] = []
    while (event := session.next_event()) is not None:
        got.append(event)
        if isinstance(event, ev.JoinRequest):
            session.accept()
    return got


def drain_client(conn: ClientConnection, data: bytes = b"") -> list[ev.Event]:
    if data:
        conn.receive_data(data)
    got: list[ev.Event] = []
    while (event := conn.next_event()) is not None:
        got.append(event)
    return got


def new_server(*, password: bool = False, max_message: int = 65536) -> ServerConnection:
    return ServerConnection(password_required=password, max_message=max_message)


def named_server(
    *, password: bool = False, max_message: int = 65536, name: str = "ann"
) -> ServerConnection:
    """A session that read a valid name and made its offer (state HELLO)."""
    session = new_server(password=password, max_message=max_message)
    assert drain_server(session, encode_frame(name)) == []
    session.data_to_send()
    return session


def joined_server(version: int, *, max_message: int = 65536) -> ServerConnection:
    """A session in state CHAT speaking ``version``."""
    session = named_server(max_message=max_message)
    if version == 2:
        events = drain_server(session, UPGRADE)
    else:
        request = session.upgrade_wait_over()
        assert request is not None
        session.accept()
        events = [request]
    assert [type(e) for e in events] == [ev.JoinRequest]
    assert session.state is ServerState.CHAT
    assert session.version == version
    return session


def welcome_v2(last_id: int = 5, epoch: str = EPOCH, name: str = "ann") -> bytes:
    return wire.encode_v2(ev.Welcome(name, "Welcome, ann!", 2, epoch, last_id))


def chat_client(
    version: int,
    *,
    name: str = "ann",
    resume: tuple[str, int] | None = None,
    max_message: int = 65536,
    last_id: int = 5,
    epoch: str = EPOCH,
) -> ClientConnection:
    """A client let in by a room of ``version`` (2, 1, or 0 = plain relay)."""
    conn = ClientConnection(name, token=TOKEN, resume=resume, max_message=max_message)
    conn.data_to_send()
    if version == 2:
        got = drain_client(conn, HELLO_PAIR + welcome_v2(last_id, epoch, name))
    elif version == 1:
        got = drain_client(conn, encode_pair("*welcome", f"Welcome to the room, {name}!"))
    else:
        welcome = conn.grace_expired()
        got = [welcome] if welcome is not None else []
    assert [type(e) for e in got] == [ev.Welcome]
    assert conn.state is ClientState.CHAT
    assert conn.version == version
    conn.data_to_send()
    return conn


def state_of(session: ServerConnection | ClientConnection) -> ServerState | ClientState:
    """The state, read through a call so that mypy does not narrow it across calls."""
    return session.state


def split_at(data: bytes, cuts: list[int]) -> list[bytes]:
    points = [0, *sorted(cuts), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(points)]


# ==========================================================================================
# ServerConnection
# ==========================================================================================


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
    assert drain_server(session) == [
        ev.CommandError("Unknown command /protocol: type /help for the list.")
    ]


@pytest.mark.parametrize("frame", MALFORMED_UPGRADES)
def test_malformed_upgrade_is_the_password_in_a_password_room(frame: str) -> None:
    session = named_server(password=True)
    session.receive_data(encode_frame(frame))
    assert session.next_event() == ev.JoinRequest("ann", frame, 1, "", None)
    assert session.state is ServerState.JOINING


def test_protocol_1_first_message_is_delivered_after_accept() -> None:
    session = named_server()
    session.receive_data(encode_frame("hello all"))
    assert session.next_event() == ev.JoinRequest("ann", None, 1, "", None)
    session.receive_data(encode_frame("/ME waves"))
    assert session.next_event() is None  # JOINING: nothing is read until the room accepts
    session.accept()
    assert drain_server(session) == [ev.Message("hello all"), ev.Action("waves")]


def test_protocol_1_first_message_that_is_a_command() -> None:
    session = named_server()
    session.receive_data(encode_frame("/who"))
    assert session.next_event() == ev.JoinRequest("ann", None, 1, "", None)
    session.accept()
    assert drain_server(session) == [ev.Who()]


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


# --- server: whole, byte by byte, random splits -----------------------------------------

V2_REQUEST_STREAM = b"".join(
    encode_frame(meta) + encode_frame(body)
    for meta, body in [
        ("say 1", "héllo wörld 👋"),
        ("me 2", "waves"),
        ("msg 3 bob", "psst\nsecond line"),
        ("nick 4", "bert"),
        ("who 5", ""),
        ("help 6", ""),
        ("say 7", ""),
    ]
)
V2_REQUESTS = [
    ev.Message("héllo wörld 👋", cid=1),
    ev.Action("waves", cid=2),
    ev.Private("psst\nsecond line", to="bob", cid=3),
    ev.NickChange("bert", cid=4),
    ev.Who(cid=5),
    ev.Help(cid=6),
    ev.Message("", cid=7),
]
V1_REQUEST_STREAM = b"".join(
    encode_frame(text) for text in ["héllo 👋", "/me waves", "/msg bob psst", "/frob", "", "//x"]
)
V1_REQUESTS = [
    ev.Message("héllo 👋"),
    ev.Action("waves"),
    ev.Private("psst", to="bob"),
    ev.CommandError("Unknown command /frob: type /help for the list."),
    ev.Message(""),
    ev.Message("/x"),
]


@pytest.mark.parametrize(
    ("version", "stream", "expected"),
    [(2, V2_REQUEST_STREAM, V2_REQUESTS), (1, V1_REQUEST_STREAM, V1_REQUESTS)],
)
def test_server_requests_whole_and_byte_by_byte(
    version: int, stream: bytes, expected: list[ev.Event]
) -> None:
    whole = drain_server(joined_server(version), stream)
    session = joined_server(version)
    one_by_one: list[ev.Event] = []
    for i in range(len(stream)):
        one_by_one += drain_server(session, stream[i : i + 1])
    assert whole == one_by_one == expected
    assert not session.in_frame


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(V2_REQUEST_STREAM)), max_size=20))
def test_server_requests_in_random_splits(cuts: list[int]) -> None:
    session = joined_server(2)
    got: list[ev.Event] = []
    for chunk in split_at(V2_REQUEST_STREAM, cuts):
        got += drain_server(session, chunk)
    assert got == V2_REQUESTS


HANDSHAKE_STREAM = (
    encode_frame("ann")
    + encode_frame(f"/protocol 2 {TOKEN} {EPOCH} 3")
    + encode_frame("pw")
    + V2_REQUEST_STREAM
)


def test_server_handshake_byte_by_byte() -> None:
    session = new_server(password=True)
    got: list[ev.Event] = []
    for i in range(len(HANDSHAKE_STREAM)):
        got += drain_server(session, HANDSHAKE_STREAM[i : i + 1])
    assert got == [ev.JoinRequest("ann", "pw", 2, TOKEN, (EPOCH, 3)), *V2_REQUESTS]


# Regression (fixed in 3b10d97): next_event returned None after a handshake frame that
# makes no event (the name, an upgrade in a password room) although more frames were
# buffered, and the server loop then waited for bytes that never came.
def test_server_handshake_whole_gives_the_same_events_as_byte_by_byte() -> None:
    session = new_server(password=True)
    assert drain_server(session, HANDSHAKE_STREAM) == [
        ev.JoinRequest("ann", "pw", 2, TOKEN, (EPOCH, 3)),
        *V2_REQUESTS,
    ]


def test_protocol_2_client_in_a_password_room_gets_in() -> None:
    client = ClientConnection("ann", "pw", token=TOKEN)
    session = new_server(password=True)
    drain_server(session, client.data_to_send())
    assert drain_client(client, session.data_to_send()) == [ev.AuthRequired()]
    # One read on the server's side, one drain: as in the server loop.
    assert drain_server(session, client.data_to_send()) == [
        ev.JoinRequest("ann", "pw", 2, TOKEN, None)
    ]


def test_protocol_1_name_and_password_in_one_read() -> None:
    session = new_server(password=True)
    assert drain_server(session, encode_frame("ann") + encode_frame("pw")) == [
        ev.JoinRequest("ann", "pw", 1, "", None)
    ]


def test_protocol_1_name_and_first_message_in_one_read() -> None:
    session = new_server()
    data = encode_frame("ann") + encode_frame("hi") + encode_frame("/me waves")
    assert drain_server(session, data) == [
        ev.JoinRequest("ann", None, 1, "", None),
        ev.Message("hi"),
        ev.Action("waves"),
    ]
    assert session.data_to_send() == HELLO_PAIR


# ==========================================================================================
# ClientConnection
# ==========================================================================================


def test_client_sends_its_name_first() -> None:
    conn = ClientConnection("ann", token=TOKEN)
    assert conn.state is ClientState.HANDSHAKE
    assert conn.version is None
    assert conn.data_to_send() == encode_frame("ann")
    assert conn.data_to_send() == b""
    assert conn.waiting_for_grace
    assert conn.next_event() is None


@pytest.mark.parametrize(
    ("resume", "frame"),
    [(None, f"/protocol 2 {TOKEN}"), ((EPOCH, 42), f"/protocol 2 {TOKEN} {EPOCH} 42")],
)
def test_client_takes_up_the_offer(resume: tuple[str, int] | None, frame: str) -> None:
    conn = ClientConnection("ann", token=TOKEN, resume=resume)
    conn.data_to_send()
    assert drain_client(conn, HELLO_PAIR) == []
    assert conn.version == 2
    assert conn.state is ClientState.HANDSHAKE
    assert not conn.waiting_for_grace
    assert conn.data_to_send() == encode_frame(frame)
    assert drain_client(conn, HELLO_PAIR) == []  # a second offer is not answered again
    assert conn.data_to_send() == b""


def test_client_ignores_an_offer_of_another_protocol() -> None:
    conn = ClientConnection("ann", token=TOKEN)
    conn.data_to_send()
    assert drain_client(conn, encode_pair("*hello", "desktopchat 3")) == []
    assert conn.data_to_send() == b""
    got = drain_client(conn, encode_pair("*welcome", "hi"))
    assert got == [ev.Welcome("ann", "hi", 1)]


def test_client_against_a_protocol_2_session() -> None:
    client = ClientConnection("ann", token=TOKEN)
    session = new_server()
    assert drain_server(session, client.data_to_send()) == []
    assert drain_client(client, session.data_to_send()) == []
    assert drain_server(session, client.data_to_send()) == [
        ev.JoinRequest("ann", None, 2, TOKEN, None)
    ]
    welcome = ev.Welcome("ann", "Welcome!", 2, EPOCH, 9)
    out = (
        session.send(welcome)
        + session.send(ev.UserList(("bob", "ann")))
        + session.replay_head(1, False)
        + session.send(ev.Message("earlier", sender="bob", id=4, time=T))
    )
    assert drain_client(client, out) == [
        welcome,
        ev.UserList(("bob", "ann")),
        ev.Replay((ev.Message("earlier", sender="bob", id=4, time=T),), False, None),
    ]
    assert client.state is ClientState.CHAT
    assert (client.version, client.epoch, client.last_id) == (2, EPOCH, 9)
    # Requests go the other way tagged with their cid.
    assert drain_server(session, client.send(ev.Action("waves", cid=11))) == [
        ev.Action("waves", cid=11)
    ]


def test_client_answers_the_password_question() -> None:
    conn = ClientConnection("ann", "s3cret", token=TOKEN)
    conn.data_to_send()
    assert drain_client(conn, HELLO_PAIR + AUTH_PAIR) == [ev.AuthRequired()]
    assert conn.data_to_send() == UPGRADE + encode_frame("s3cret")
    assert conn.state is ClientState.HANDSHAKE


def test_client_answers_the_password_question_of_a_protocol_1_room() -> None:
    conn = ClientConnection("ann", "s3cret", token=TOKEN)
    conn.data_to_send()
    assert drain_client(conn, AUTH_PAIR) == [ev.AuthRequired()]
    assert conn.data_to_send() == encode_frame("s3cret")


def test_client_without_a_password_is_refused_by_a_password_room() -> None:
    conn = ClientConnection("ann", token=TOKEN)
    conn.data_to_send()
    assert drain_client(conn, HELLO_PAIR + AUTH_PAIR + welcome_v2()) == [
        ev.Refused("This room needs a password")
    ]
    assert conn.state is ClientState.CLOSED
    assert conn.data_to_send() == UPGRADE  # no password frame
    with pytest.raises(LocalProtocolError):
        conn.send(ev.Message("hi"))


def test_client_password_over_the_limit_is_refused_locally() -> None:
    # The limit is the server's handshake frame limit, not the message limit.
    assert ClientConnection("ann", "x" * 101, token=TOKEN, max_message=100)
    conn = ClientConnection("ann", "x" * (HANDSHAKE_MAX_PAYLOAD + 1), token=TOKEN)
    conn.data_to_send()
    assert drain_client(conn, AUTH_PAIR) == [ev.Refused("The password is too long")]
    assert conn.state is ClientState.CLOSED
    assert conn.data_to_send() == b""


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Name ann is already taken in this room: choose another.", None),
        ("Wrong password.", None),
        ("", "The room refused the connection"),
    ],
)
def test_error_before_the_welcome_is_refused(text: str, reason: str | None) -> None:
    for before in (b"", HELLO_PAIR):  # before or after the offer, still a protocol-1 pair
        conn = ClientConnection("ann", token=TOKEN)
        got = drain_client(conn, before + encode_pair("*error", text) + welcome_v2())
        assert got == [ev.Refused(reason or text)]
        assert conn.state is ClientState.CLOSED


def test_protocol_2_error_before_the_welcome_is_refused() -> None:
    conn = ClientConnection("ann", token=TOKEN)
    got = drain_client(conn, HELLO_PAIR + wire.encode_v2(ev.Refused("Wrong password.")))
    assert got == [ev.Refused("Wrong password.")]
    assert conn.state is ClientState.CLOSED


def test_protocol_2_event_before_the_welcome_is_a_remote_error() -> None:
    conn = ClientConnection("ann", token=TOKEN)
    conn.receive_data(HELLO_PAIR + wire.encode_v2(ev.Info("hi")))
    with pytest.raises(RemoteProtocolError):
        conn.next_event()


def test_chat_before_the_welcome_of_a_room_is_a_remote_error() -> None:
    conn = ClientConnection("ann", token=TOKEN)
    conn.receive_data(encode_pair("*motd", "hello") + encode_pair("bob", "hi"))
    with pytest.raises(RemoteProtocolError):
        drain_client(conn)


def test_unknown_event_before_the_welcome_is_ignored() -> None:
    conn = ClientConnection("ann", token=TOKEN)
    got = drain_client(conn, encode_pair("*motd", "x") + encode_pair("*welcome", "hi"))
    assert got == [ev.Welcome("ann", "hi", 1)]


def test_send_before_the_welcome_is_a_local_error() -> None:
    conn = ClientConnection("ann", token=TOKEN)
    with pytest.raises(LocalProtocolError):
        conn.send(ev.Message("hi", cid=1))
    drain_client(conn, HELLO_PAIR)
    with pytest.raises(LocalProtocolError):
        conn.send(ev.Message("hi", cid=1))


def test_client_against_a_protocol_1_room() -> None:
    conn = ClientConnection("ann", token=TOKEN)
    conn.data_to_send()
    stream = (
        encode_pair("*welcome", "Welcome to the room, ann!")
        + encode_pair("*users", "bob ann")
        + encode_pair("*history", "2")
        + encode_pair("bob", "earlier")
        + encode_pair("*action", "bob waved at ann")
        + encode_pair("bob", "now")
    )
    assert drain_client(conn, stream) == [
        ev.Welcome("ann", "Welcome to the room, ann!", 1),
        ev.UserList(("bob", "ann")),
        ev.Replay((ev.Message("earlier", sender="bob"), ev.Action("waved at ann", sender="bob"))),
        ev.Message("now", sender="bob"),
    ]
    assert conn.version == 1
    assert conn.data_to_send() == b""  # no upgrade without an offer
    assert (conn.epoch, conn.last_id) == (None, None)


def test_protocol_1_room_events() -> None:
    conn = chat_client(1)
    stream = (
        encode_pair("*join", "carol")
        + encode_pair("*leave", "carol")
        + encode_pair("*nick", "bob bert")
        + encode_pair("*action", "bert waves hello")
        + encode_pair("@bert", "psst")
        + encode_pair("*error", "No such user: carol.")
        + encode_pair("*info", "Commands: ...")
        + encode_pair("*welcome", "again?")
        + encode_pair("*users", "ann  bert")
        + encode_pair("*motd", "be nice")
        + encode_pair("*history", "soon")
        + encode_pair("*info", "room closed")
        + encode_pair("bert", "after the close")
    )
    assert drain_client(conn, stream) == [
        ev.Joined("carol"),
        ev.Left("carol"),
        ev.NickChange("bert", old="bob"),
        ev.Action("waves hello", sender="bert"),
        ev.Private("psst", to="ann", sender="bert"),
        ev.ServerError("No such user: carol."),
        ev.Info("Commands: ..."),
        ev.Info("again?"),
        ev.UserList(("ann", "bert")),
        ev.Info("motd: be nice"),
        ev.Info("history: soon"),
        ev.RoomClosed(),
    ]
    assert conn.state is ClientState.CLOSED
    assert conn.name == "ann"


@pytest.mark.parametrize("version", [1, 2])
def test_own_nick_change_renames_the_client(version: int) -> None:
    conn = chat_client(version)
    if version == 1:
        data = encode_pair("*nick", "bob bert") + encode_pair("*nick", "ann annie")
    else:
        data = wire.encode_v2(ev.NickChange("bert", old="bob", id=6, time=T)) + wire.encode_v2(
            ev.NickChange("annie", old="ann", id=7, time=T)
        )
    got = drain_client(conn, data)
    assert [type(e) for e in got] == [ev.NickChange, ev.NickChange]
    assert conn.name == "annie"


def test_plain_relay_after_the_grace_time() -> None:
    conn = ClientConnection("ann", token=TOKEN)
    conn.data_to_send()
    assert conn.grace_expired() == ev.Welcome("ann", "", 0)
    assert state_of(conn) is ClientState.CHAT
    assert conn.version == 0
    assert not conn.waiting_for_grace
    assert conn.grace_expired() is None
    # A relay sends no events: a "*" sender is somebody's odd name, "/who" goes out as text.
    stream = encode_pair("*join", "x") + encode_pair("*history", "2") + encode_pair("bob", "hi")
    assert drain_client(conn, stream) == [
        ev.Message("x", sender="*join"),
        ev.Message("2", sender="*history"),
        ev.Message("hi", sender="bob"),
    ]
    assert conn.send(ev.Who(cid=3)) == encode_frame("/who")


def test_no_grace_once_the_room_spoke() -> None:
    conn = ClientConnection("ann", token=TOKEN)
    drain_client(conn, HELLO_PAIR)
    assert not conn.waiting_for_grace
    assert conn.grace_expired() is None
    assert conn.state is ClientState.HANDSHAKE


def test_plain_relay_chat_before_any_event_lets_us_in() -> None:
    conn = ClientConnection("ann", token=TOKEN)
    conn.data_to_send()
    got = drain_client(conn, encode_pair("bob", "hi") + encode_pair("*join", "x"))
    assert ev.Message("hi", sender="bob") in got
    assert got[-1] == ev.Message("x", sender="*join")
    assert conn.state is ClientState.CHAT
    assert conn.version == 0
    assert conn.grace_expired() is None
    assert conn.send(ev.Message("yo")) == encode_frame("yo")


def test_plain_relay_chat_before_any_event_reports_the_welcome() -> None:
    conn = ClientConnection("ann", token=TOKEN)
    conn.data_to_send()
    assert drain_client(conn, encode_pair("bob", "hi")) == [
        ev.Welcome("ann", "", 0),
        ev.Message("hi", sender="bob"),
    ]


# --- client: sending -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "meta", "body"),
    [
        (ev.Message("hi there", cid=7), "say 7", "hi there"),
        (ev.Message("/x", cid=8), "say 8", "/x"),
        (ev.Action("waves", cid=9), "me 9", "waves"),
        (ev.Private("psst", to="bob", cid=10), "msg 10 bob", "psst"),
        (ev.NickChange("bert", cid=11), "nick 11", "bert"),
        (ev.Who(cid=12), "who 12", ""),
        (ev.Help(cid=13), "help 13", ""),
        (ev.Message("no cid"), "say 0", "no cid"),
    ],
)
def test_send_protocol_2_is_a_request_pair(request_: Command, meta: str, body: str) -> None:
    conn = chat_client(2)
    data = conn.send(request_)
    assert data == encode_frame(meta) + encode_frame(body)
    assert wire.parse_request_v2(meta, body) == (
        request_ if request_.cid is not None else ev.Message("no cid", cid=0)
    )


@pytest.mark.parametrize("version", [1, 0])
@pytest.mark.parametrize(
    ("request_", "text"),
    [
        (ev.Message("hi there", cid=7), "hi there"),
        (ev.Message("/x", cid=8), "//x"),
        (ev.Action("waves", cid=9), "/me waves"),
        (ev.Private("psst", to="bob", cid=10), "/msg bob psst"),
        (ev.NickChange("bert", cid=11), "/nick bert"),
        (ev.Who(cid=12), "/who"),
        (ev.Help(cid=13), "/help"),
    ],
)
def test_send_protocol_1_is_command_text(version: int, request_: Command, text: str) -> None:
    assert chat_client(version).send(request_) == encode_frame(text)


@pytest.mark.parametrize("version", [2, 1])
def test_send_over_the_message_limit_is_a_local_error(version: int) -> None:
    conn = chat_client(version, max_message=100)
    assert conn.send(ev.Message("x" * 100, cid=1)).endswith(b"x" * 100)
    with pytest.raises(LocalProtocolError):
        conn.send(ev.Message("x" * 101, cid=1))


def test_send_after_room_closed_is_a_local_error() -> None:
    conn = chat_client(2)
    assert drain_client(conn, wire.encode_v2(ev.RoomClosed())) == [ev.RoomClosed()]
    assert conn.state is ClientState.CLOSED
    with pytest.raises(LocalProtocolError):
        conn.send(ev.Message("hi", cid=1))
    assert drain_client(conn, wire.encode_v2(ev.Info("ignored"))) == []


# --- client: replays -----------------------------------------------------------------------


def msg(id_: int, text: str = "x", sender: str = "bob") -> ev.Message:
    return ev.Message(text, sender=sender, id=id_, time=T + id_)


def test_protocol_1_history_is_collected() -> None:
    conn = chat_client(1)
    stream = (
        encode_pair("*history", "3")
        + encode_pair("bob", "one")
        + encode_pair("*action", "bob two")
        + encode_pair("carol", "three")
        + encode_pair("bob", "live")
    )
    assert drain_client(conn, stream) == [
        ev.Replay(
            (
                ev.Message("one", sender="bob"),
                ev.Action("two", sender="bob"),
                ev.Message("three", sender="carol"),
            ),
            resumed=False,
        ),
        ev.Message("live", sender="bob"),
    ]


def test_protocol_1_history_ends_early_at_another_pair() -> None:
    conn = chat_client(1)
    stream = (
        encode_pair("*history", "5")
        + encode_pair("bob", "one")
        + encode_pair("*join", "carol")
        + encode_pair("@bob", "psst")
    )
    assert drain_client(conn, stream) == [
        ev.Replay((ev.Message("one", sender="bob"),)),
        ev.Joined("carol"),
        ev.Private("psst", to="ann", sender="bob"),
    ]
    # and a private message also ends it
    conn = chat_client(1)
    stream = encode_pair("*history", "2") + encode_pair("@bob", "psst") + encode_pair("bob", "a")
    assert drain_client(conn, stream) == [
        ev.Replay(()),
        ev.Private("psst", to="ann", sender="bob"),
        ev.Message("a", sender="bob"),
    ]


def test_protocol_1_empty_history() -> None:
    conn = chat_client(1)
    assert drain_client(conn, encode_pair("*history", "0") + encode_pair("bob", "a")) == [
        ev.Replay(()),
        ev.Message("a", sender="bob"),
    ]


def test_protocol_2_replay_with_a_gap() -> None:
    conn = chat_client(2, resume=(EPOCH, 3), last_id=20)
    gap = ev.Gap(4, 9, T + 9)
    mine = ev.Accepted(5, 11, T + 11)
    stream = (
        wire.meta_pair("replay 4 1")
        + wire.encode_v2(gap)
        + wire.encode_v2(msg(10))
        + wire.encode_v2(mine)
        + wire.encode_v2(msg(12, "to you"))
        + wire.encode_v2(msg(21, "live"))
    )
    assert drain_client(conn, stream) == [
        ev.Replay((msg(10), mine, msg(12, "to you")), resumed=True, gap=gap),
        msg(21, "live"),
    ]


def test_protocol_2_replay_of_a_newcomer() -> None:
    conn = chat_client(2)
    stream = wire.meta_pair("replay 2 0") + wire.encode_v2(msg(1)) + wire.encode_v2(msg(2))
    assert drain_client(conn, stream) == [ev.Replay((msg(1), msg(2)), resumed=False)]


def test_protocol_2_replay_ends_early_at_another_pair() -> None:
    conn = chat_client(2)
    stream = (
        wire.meta_pair("replay 5 0")
        + wire.encode_v2(msg(1))
        + wire.encode_v2(ev.UserList(("ann",)))
        + wire.encode_v2(msg(6))
    )
    assert drain_client(conn, stream) == [
        ev.Replay((msg(1),), resumed=False),
        ev.UserList(("ann",)),
        msg(6),
    ]


def test_protocol_2_empty_replay() -> None:
    conn = chat_client(2)
    assert drain_client(conn, wire.meta_pair("replay 0 1") + wire.encode_v2(msg(6))) == [
        ev.Replay((), resumed=True),
        msg(6),
    ]


@pytest.mark.parametrize("meta", ["replay", "replay x 0", "replay 1 2", "replay 1", "replay 1 0 x"])
def test_malformed_replay_is_a_remote_error(meta: str) -> None:
    conn = chat_client(2)
    conn.receive_data(wire.meta_pair(meta))
    with pytest.raises(RemoteProtocolError):
        conn.next_event()


def test_room_closed_during_a_replay_is_reported() -> None:
    conn = chat_client(2)
    stream = wire.meta_pair("replay 3 0") + wire.encode_v2(msg(1)) + wire.encode_v2(ev.RoomClosed())
    assert drain_client(conn, stream) == [ev.Replay((msg(1),)), ev.RoomClosed()]


# --- client: ids and epochs -----------------------------------------------------------------


def test_last_id_follows_the_newest_room_id() -> None:
    conn = chat_client(2, last_id=5)
    assert (conn.epoch, conn.last_id) == (EPOCH, 5)
    drain_client(conn, wire.meta_pair("replay 1 0") + wire.encode_v2(msg(2)))
    assert conn.last_id == 5  # an older replayed id does not move it back
    drain_client(conn, wire.encode_v2(msg(6)))
    assert conn.last_id == 6
    drain_client(conn, wire.encode_v2(ev.Accepted(1, 8, T)))
    assert conn.last_id == 8
    drain_client(conn, wire.encode_v2(ev.Accepted(2)))  # no room event: no id
    assert conn.last_id == 8
    drain_client(conn, wire.encode_v2(ev.Joined("carol", id=7, time=T)))
    assert conn.last_id == 8
    drain_client(conn, wire.encode_v2(ev.Private("p", to="ann", sender="bob", id=9, time=T)))
    assert conn.last_id == 9
    drain_client(conn, wire.encode_v2(ev.Info("no id")) + wire.encode_v2(ev.Rejected(3, "no")))
    assert conn.last_id == 9


def test_resume_in_the_same_epoch_keeps_the_last_id_seen() -> None:
    conn = ClientConnection("ann", token=TOKEN, resume=(EPOCH, 3))
    assert (conn.epoch, conn.last_id) == (EPOCH, 3)
    drain_client(conn, HELLO_PAIR + welcome_v2(last_id=10))
    assert (conn.epoch, conn.last_id) == (EPOCH, 3)  # not the welcome's: we missed 4..10
    drain_client(conn, wire.meta_pair("replay 1 1") + wire.encode_v2(msg(7)))
    assert conn.last_id == 7


def test_resume_from_another_epoch_starts_over() -> None:
    conn = ClientConnection("ann", token=TOKEN, resume=("0ldepoch", 30))
    drain_client(conn, HELLO_PAIR + welcome_v2(last_id=10, epoch="n3wepoch"))
    assert (conn.epoch, conn.last_id) == ("n3wepoch", 0)
    drain_client(
        conn, wire.meta_pair("replay 2 1") + wire.encode_v2(msg(1)) + wire.encode_v2(msg(4))
    )
    assert conn.last_id == 4


def test_protocol_1_room_has_no_ids() -> None:
    conn = ClientConnection("ann", token=TOKEN, resume=(EPOCH, 3))
    drain_client(conn, encode_pair("*welcome", "hi") + encode_pair("bob", "x"))
    assert conn.version == 1
    assert conn.last_id == 3  # untouched: nothing numbered came


# --- client: whole, byte by byte, random splits ---------------------------------------------

V2_ROOM_STREAM = (
    HELLO_PAIR
    + AUTH_PAIR
    + welcome_v2(last_id=20)
    + wire.encode_v2(ev.UserList(("bob", "ann")))
    + wire.meta_pair("replay 4 1")
    + wire.encode_v2(ev.Gap(4, 6, T + 6))
    + wire.encode_v2(msg(7, "héllo 👋"))
    + wire.encode_v2(ev.Accepted(3, 8, T + 8))
    + wire.encode_v2(ev.Action("waves", sender="bob", id=9, time=T + 9))
    + wire.encode_v2(ev.Joined("carol", id=21, time=T + 21))
    + wire.encode_v2(ev.Private("psst\nline", to="ann", sender="carol", id=22, time=T + 22))
    + wire.encode_v2(ev.NickChange("annie", old="ann", id=23, time=T + 23))
    + wire.encode_v2(ev.Accepted(4, 24, T + 24))
    + wire.encode_v2(ev.Rejected(5, "No such user: dave."))
    + wire.encode_v2(ev.Info("Commands: ..."))
    + wire.encode_v2(ev.Notice("closing soon", id=25, time=T + 25))
    + wire.encode_v2(msg(26, ""))
    + wire.encode_v2(ev.Left("carol", id=27, time=T + 27))
    + wire.encode_v2(ev.RoomClosed())
)

V1_ROOM_STREAM = (
    AUTH_PAIR
    + encode_pair("*welcome", "Welcome to the room, ann!")
    + encode_pair("*users", "bob ann")
    + encode_pair("*history", "2")
    + encode_pair("bob", "héllo 👋")
    + encode_pair("*action", "bob waves")
    + encode_pair("*join", "carol")
    + encode_pair("@carol", "psst")
    + encode_pair("*nick", "ann annie")
    + encode_pair("*error", "No such user: dave.")
    + encode_pair("bob", "")
    + encode_pair("*info", "room closed")
)


def client_events(stream: bytes, chunks: list[bytes]) -> tuple[list[ev.Event], bytes, str]:
    conn = ClientConnection("ann", "pw", token=TOKEN, resume=(EPOCH, 3))
    got: list[ev.Event] = []
    sent = conn.data_to_send()
    for chunk in chunks:
        got += drain_client(conn, chunk)
        sent += conn.data_to_send()
    assert b"".join(chunks) == stream
    return got, sent, conn.name


@pytest.mark.parametrize("stream", [V2_ROOM_STREAM, V1_ROOM_STREAM], ids=["v2", "v1"])
def test_client_whole_and_byte_by_byte(stream: bytes) -> None:
    whole = client_events(stream, [stream])
    one_by_one = client_events(stream, [stream[i : i + 1] for i in range(len(stream))])
    assert whole == one_by_one
    events, _, name = whole
    assert name == "annie"
    assert events[-1] == ev.RoomClosed()
    assert ev.AuthRequired() in events
    assert any(isinstance(e, ev.Replay) and len(e.events) >= 2 for e in events)


def test_captured_v2_stream_events() -> None:
    events, sent, _ = client_events(V2_ROOM_STREAM, [V2_ROOM_STREAM])
    assert sent == encode_frame("ann") + encode_frame(f"/protocol 2 {TOKEN} {EPOCH} 3") + (
        encode_frame("pw")
    )
    assert [type(e).__name__ for e in events] == [
        "AuthRequired",
        "Welcome",
        "UserList",
        "Replay",
        "Joined",
        "Private",
        "NickChange",
        "Accepted",
        "Rejected",
        "Info",
        "Notice",
        "Message",
        "Left",
        "RoomClosed",
    ]
    replay = events[3]
    assert replay == ev.Replay(
        (
            msg(7, "héllo 👋"),
            ev.Accepted(3, 8, T + 8),
            ev.Action("waves", sender="bob", id=9, time=T + 9),
        ),
        resumed=True,
        gap=ev.Gap(4, 6, T + 6),
    )


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_client_random_splits_give_the_same_events(data: st.DataObject) -> None:
    stream = data.draw(st.sampled_from([V2_ROOM_STREAM, V1_ROOM_STREAM]))
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=len(stream)), max_size=30))
    assert client_events(stream, split_at(stream, cuts)) == client_events(stream, [stream])


def test_an_upgrade_that_arrives_after_a_protocol_1_join_is_ignored() -> None:
    # A client too busy to answer the offer within the wait was let in as
    # protocol 1; its late upgrade frame is neither a command error nor chat.
    session = joined_server(1)
    late = encode_frame("/protocol 2 abc123") + encode_frame("hello")
    assert drain_server(session, late) == [ev.Message("hello")]
    assert session.version == 1


def test_resume_point_waits_for_the_replay() -> None:
    # A first visit cut before its history replay arrived must ask again as a
    # newcomer (resuming "after the newest id" would skip that history).
    first = chat_client(2, last_id=5)
    assert (first.last_id, first.resume_point) == (5, None)  # a tuple: no narrowing for mypy
    assert drain_client(first, wire.meta_pair("replay 0 0")) == [ev.Replay(())]
    assert first.resume_point == (EPOCH, 5)

    # A resumed session cut mid-replay resumes from where it started.
    again = chat_client(2, resume=(EPOCH, 5), last_id=9)
    drain_client(again, wire.meta_pair("replay 2 1") + wire.meta_pair("say 6 1000 bob", "hi"))
    assert again.last_id == 6
    assert again.resume_point == (EPOCH, 5)
