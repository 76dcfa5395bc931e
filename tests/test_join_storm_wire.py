"""Big rooms on the wire, without sockets: the ``crowd`` word in the offer and
the upgrade, ``joins``/``leaves``/paged ``users`` both ways, and hostile input
(docs/PROTOCOL.md section 9, "Big rooms")."""

from __future__ import annotations

import pytest
from sessionkit import TOKEN, drain_client, drain_server

from desktopchat.protocol import RemoteProtocolError, encode_frame, encode_pair, wire
from desktopchat.protocol import events as ev
from desktopchat.protocol.client import ClientConnection
from desktopchat.protocol.crowd import summary
from desktopchat.protocol.server import HELLO_PAIR, ServerConnection, hello_pair

T = 1_796_037_616.9


@pytest.mark.parametrize(
    ("event", "meta", "body"),
    [
        (ev.Joins(7, 14, ("g1", "g2"), id=42, time=T), "joins 42 1796037616900 7 14", "g1 g2"),
        (ev.Joins(3, 9, (), id=5, time=T), "joins 5 1796037616900 3 9", ""),
        (ev.Leaves(("ann", "bob"), 8, id=42, time=T), "leaves 42 1796037616900 2 8", "ann bob"),
        (ev.UserList(("a", "b"), total=10, start=4), "users from=4 of=10", "a b"),
        (ev.UserList(("a", "b"), frozenset({"b"}), 10, 4), "users plain=1 from=4 of=10", "a b"),
    ],
)
def test_big_room_events_round_trip(event: ev.Event, meta: str, body: str) -> None:
    assert wire.encode_v2(event) == wire.meta_pair(meta, body)
    assert wire.parse_room_v2(meta, body) == event


@pytest.mark.parametrize(
    ("meta", "body"),
    [
        ("joins 1 2 3", ""),  # no total
        ("joins 1 2 1 5", "ann bob"),  # more names than joined
        ("leaves 1 2 3 5", "ann bob"),  # a leave lists every name
        ("leaves 1 2 x 5", ""),
        ("joins 1 2 -1 5", ""),
        ("users from=3 of=4", "a b"),  # past the end of the room
        ("users from=x of=4", "a"),
        ("users of=4 from=0", "a"),
        ("users plain=0 plain=0 of=4", "a"),
        ("users from=0", "a"),
    ],
)
def test_malformed_big_room_events_are_refused(meta: str, body: str) -> None:
    with pytest.raises(RemoteProtocolError):
        wire.parse_room_v2(meta, body)


def test_protocol_1_members_read_one_line_per_kind() -> None:
    joins = ev.Joins(12, 100, ("ann", "bob", "cy", "dee", "eve", "fay"), id=1, time=T)
    assert wire.encode_v1(joins) == encode_pair(
        "*info", "12 joined: ann, bob, cy, dee, eve and 7 more"
    )
    assert wire.encode_v1(ev.Leaves(("ann",), 99)) == encode_pair("*info", "ann left")
    assert summary("joined", 3, ("a", "b", "c")) == "3 joined: a, b, c"
    assert summary("left", 2000, ()) == "2,000 left"


def test_who_with_a_position_is_a_page_request() -> None:
    assert wire.parse_request_v2("who 7 300", "") == ev.Who(cid=7, start=300)
    assert wire.parse_request_v2("who 7", "") == ev.Who(cid=7)
    with pytest.raises(RemoteProtocolError):
        wire.parse_request_v2("who 7 -1", "")


@pytest.mark.parametrize(
    ("text", "crowd", "files"),
    [
        ("/protocol 2 tok crowd", True, False),
        ("/protocol 2 tok ep 5 crowd", True, False),
        ("/protocol 2 tok files crowd", True, True),
        ("/protocol 2 tok ep 5 crowd files", True, True),
        ("/protocol 2 tok", False, False),
    ],
)
def test_the_upgrade_may_end_with_crowd(text: str, crowd: bool, files: bool) -> None:
    parsed = wire.parse_upgrade_files(text)
    assert parsed is not None and parsed[2] is files
    assert wire.upgrade_wants_crowd(text) is crowd


@pytest.mark.parametrize(
    "text",
    ["/protocol 2 tok crowd crowd", "/protocol 2 tok ep crowd", "/protocol 2 tok crowd ep 5"],
)
def test_the_crowd_word_once_and_after_the_rest(text: str) -> None:
    assert wire.parse_upgrade(text) is None


def test_the_offer_has_crowd_only_while_the_room_is_big() -> None:
    big = False
    session = ServerConnection(password_required=False, max_message=65536, crowd=lambda: big)
    session.receive_data(encode_frame("ann"))
    assert drain_server(session) == []
    assert session.data_to_send() == HELLO_PAIR  # a small room: the offer as always
    big = True
    other = ServerConnection(password_required=False, max_message=65536, crowd=lambda: big)
    other.receive_data(encode_frame("bob") + encode_frame(f"/protocol 2 {TOKEN} crowd"))
    got = drain_server(other)
    assert other.data_to_send() == hello_pair(65536, crowd=True)
    assert got == [ev.JoinRequest("bob", None, 2, TOKEN, None, crowd=True)]


def test_our_client_takes_up_crowd_only_when_offered_and_pages_only_then() -> None:
    conn = ClientConnection("ann", token=TOKEN)
    conn.data_to_send()
    drain_client(conn, encode_pair("*hello", "desktopchat 2 max=70000 crowd"))
    assert conn.data_to_send() == encode_frame(f"/protocol 2 {TOKEN} crowd")
    welcome = wire.meta_pair("welcome ep 3 ann", "hi")
    page = wire.meta_pair("users from=0 of=500", "bob ann")
    got = drain_client(conn, welcome + page + wire.meta_pair("replay 0 0"))
    assert got[1] == ev.UserList(("bob", "ann"), total=500, start=0)
    assert conn.send(ev.Who(start=100, cid=4)) == encode_frame("who 4 100") + encode_frame("")
    plain = ClientConnection("ann", token=TOKEN)
    plain.data_to_send()
    drain_client(plain, encode_pair("*hello", "desktopchat 2"))
    assert plain.data_to_send() == encode_frame(f"/protocol 2 {TOKEN}")
    drain_client(plain, welcome)
    # A room that did not offer crowd knows no pages: the whole list is asked for.
    assert plain.send(ev.Who(start=100, cid=4)) == encode_frame("who 4") + encode_frame("")


def test_coalesced_events_do_not_move_the_clients_newest_id() -> None:
    conn = ClientConnection("ann", token=TOKEN)
    conn.data_to_send()
    drain_client(conn, encode_pair("*hello", "desktopchat 2 crowd"))
    drain_client(conn, wire.meta_pair("welcome ep 9 ann", "hi") + wire.meta_pair("replay 0 0"))
    got = drain_client(conn, wire.encode_v2(ev.Joins(2, 300, ("x", "y"), id=9, time=T)))
    assert got == [ev.Joins(2, 300, ("x", "y"), id=9, time=T)]
    assert conn.resume_point == ("ep", 9)
