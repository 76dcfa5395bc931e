"""Both sessions give the same events whatever the reads a stream arrives in:
whole, byte by byte, random splits (hypothesis), several frames in one read.
Like h11's tests.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sessionkit import (
    AUTH_PAIR,
    EPOCH,
    TOKEN,
    T,
    drain_client,
    drain_server,
    joined_server,
    msg,
    new_server,
    split_at,
    welcome_v2,
)

from desktopchat.protocol import encode_frame, encode_pair, wire
from desktopchat.protocol import events as ev
from desktopchat.protocol.client import ClientConnection
from desktopchat.protocol.server import EARLY_FRAME_DROPPED, HELLO_PAIR

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
    assert drain_server(session, data) == [  # the first message is dropped, not relayed
        ev.JoinRequest("ann", None, 1, "", None),
        ev.Action("waves"),
    ]
    assert session.data_to_send() == HELLO_PAIR + encode_pair(ev.INFO, EARLY_FRAME_DROPPED)


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
