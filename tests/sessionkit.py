"""Helpers of the sans-IO session tests (test_protocol_*_session*.py).

Constants of the handshake (TOKEN, EPOCH, T, the auth and upgrade frames), the
drains that collect events the way the server and client loops do, and
sessions brought to a given state (named, joined, in CHAT) by passing bytes.
"""

from __future__ import annotations

import itertools

from desktopchat.protocol import encode_frame, encode_pair, wire
from desktopchat.protocol import events as ev
from desktopchat.protocol.client import ClientConnection, ClientState
from desktopchat.protocol.server import HELLO_PAIR, ServerConnection, ServerState

TOKEN = "c0ffee42"
EPOCH = "e90c4"
T = 1_700_000_000.5
AUTH_PAIR = encode_pair("*auth", "password required")
UPGRADE = encode_frame(f"/protocol 2 {TOKEN}")


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


def msg(id_: int, text: str = "x", sender: str = "bob") -> ev.Message:
    return ev.Message(text, sender=sender, id=id_, time=T + id_)
