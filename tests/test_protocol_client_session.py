"""ClientConnection, sans IO: the handshake (offer, password, refusals, plain
relays after the grace time), the events of protocol-1 rooms, and sending.
"""

from __future__ import annotations

import pytest
from sessionkit import (
    AUTH_PAIR,
    EPOCH,
    TOKEN,
    UPGRADE,
    T,
    chat_client,
    drain_client,
    drain_server,
    new_server,
    state_of,
    welcome_v2,
)

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
from desktopchat.protocol.server import HANDSHAKE_MAX_PAYLOAD, HELLO_PAIR


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
