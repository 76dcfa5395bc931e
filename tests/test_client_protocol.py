"""ChatClient against a scripted fake server: every event, the handshake, the outbox.

The fake server is a listening socket on 127.0.0.1 port 0 that the test drives
by hand (accept, read a frame, write a pair), so each test controls exactly
what the client sees and can check exactly what it writes.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from relay import EventLog, MakeClient
from waiting import wait_until

from desktopchat import client as client_mod
from desktopchat import protocol
from desktopchat.client import ChatClient
from desktopchat.protocol import events as ev
from desktopchat.protocol import transferevents as te


class Conn:
    """One accepted connection at the fake server."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.decoder = protocol.FrameDecoder(max_payload=1 << 30)

    def frame(self, timeout: float = 5.0) -> str:
        deadline = time.monotonic() + timeout
        while (payload := self.decoder.next_frame()) is None:
            remaining = deadline - time.monotonic()
            assert remaining > 0, "no frame from the client in time"
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(1 << 20)
            except TimeoutError:
                continue
            assert data, "client closed the connection"
            self.decoder.receive_data(data)
        return payload.decode("utf-8")

    def pair(self, sender: str, text: str) -> None:
        self.sock.sendall(protocol.encode_pair(sender, text))

    def welcome(self, users: str = "") -> None:
        self.pair(ev.WELCOME, "Welcome to the room")
        self.pair(ev.USERS, users)

    def close(self) -> None:
        self.sock.close()


class FakeServer:
    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address: tuple[str, int] = self.listener.getsockname()[:2]
        self.conns: list[Conn] = []

    def accept(self, timeout: float = 5.0) -> Conn:
        self.listener.settimeout(timeout)
        sock, _ = self.listener.accept()
        conn = Conn(sock)
        self.conns.append(conn)
        return conn

    def close(self) -> None:
        for conn in self.conns:
            conn.close()
        self.listener.close()


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer()
    yield fake
    fake.close()


def _joined(server: FakeServer, c: ChatClient, log: EventLog) -> Conn:
    """Start ``c``, accept it, check the name frame, welcome it (a protocol-1 room).

    The welcome goes out at once: a room that says nothing for
    ``LEGACY_GRACE`` after the name is taken for a plain relay, and
    ``Connected`` comes only with the welcome.
    """
    c.start()
    conn = server.accept()
    assert conn.frame() == c.name
    conn.welcome("ann")
    assert log.wait_for(ev.Connected).version == 1
    log.wait_for(ev.Welcome)
    log.wait_for(ev.UserList)
    return conn


def _thread_ends(c: ChatClient) -> None:
    assert c._thread is not None
    c._thread.join(2.0)
    assert not c._thread.is_alive(), "network thread still running"


def test_every_wire_event_becomes_its_dataclass(
    server: FakeServer, make_client: MakeClient
) -> None:
    c = make_client(server.address, " ann ")
    log = EventLog(c.events)
    c.start()
    conn = server.accept()
    assert conn.frame() == "ann"  # validated and trimmed before sending
    # A desktopchat room from before protocol 2: events, but no *hello.
    conn.pair(ev.WELCOME, "Hello ann")
    conn.pair(ev.USERS, "ann bob 😀")
    conn.pair(ev.JOIN, "cy")
    conn.pair("bob", "hi there")
    conn.pair("@bob", "psst")
    conn.pair(ev.ACTION, "bob waves at everyone")
    conn.pair(ev.NICK, "bob robert")
    conn.pair(ev.LEAVE, "cy")
    conn.pair(ev.ERROR, "unknown command /foo")
    conn.pair(ev.INFO, "note this")
    conn.pair("*future", "something new")
    conn.pair(ev.USERS, "")
    connected = log.wait_for(ev.Connected)  # posted with the welcome, right before it
    assert connected == ev.Connected("127.0.0.1", server.address[1], "ann", version=1)
    assert c.connected
    assert c.version == 1
    expected = [
        ev.Welcome("ann", "Hello ann", version=1),
        te.FilesAllowed(None),  # after every welcome; an older room takes no files
        ev.UserList(("ann", "bob", "😀")),
        ev.Joined("cy"),
        ev.Message("hi there", sender="bob"),
        ev.Private("psst", to="ann", sender="bob"),
        ev.Action("waves at everyone", sender="bob"),
        ev.NickChange("robert", old="bob"),
        ev.Left("cy"),
        ev.ServerError("unknown command /foo"),
        ev.Info("note this"),
        ev.Info("future: something new"),
        ev.UserList(()),
    ]
    got = [log.next() for _ in expected]
    assert got == expected
    assert c.name == "ann"


def test_protocol_1_history_is_one_replay_event(
    server: FakeServer, make_client: MakeClient
) -> None:
    c = make_client(server.address, "bob")
    log = EventLog(c.events)
    conn = _joined(server, c, log)
    conn.pair(ev.HISTORY, "2")
    conn.pair("ann", "one")
    conn.pair(ev.ACTION, "ann waves")
    conn.pair("ann", "live")
    replay = log.wait_for(ev.Replay)
    assert replay == ev.Replay((ev.Message("one", sender="ann"), ev.Action("waves", sender="ann")))
    assert log.wait_for(ev.Message) == ev.Message("live", sender="ann")
    # The replayed lines came only inside the Replay event.
    loose = [e for e in log.seen if isinstance(e, ev.Message | ev.Action)]
    assert loose == [ev.Message("live", sender="ann")]


def test_own_nick_change_renames_the_client_and_reconnects_under_it(
    server: FakeServer, make_client: MakeClient
) -> None:
    c = make_client(server.address, "ann")
    log = EventLog(c.events)
    conn = _joined(server, c, log)
    conn.pair(ev.NICK, "bob bert")  # somebody else's rename changes nothing here
    conn.pair(ev.NICK, "ann anna")
    assert log.wait_for(ev.NickChange) == ev.NickChange("bert", old="bob")
    assert log.wait_for(ev.NickChange) == ev.NickChange("anna", old="ann")
    assert c.name == "anna"
    conn.close()
    log.wait_for(ev.Disconnected)
    again = server.accept()
    assert again.frame() == "anna"
    again.welcome("anna")
    assert log.wait_for(ev.Connected).name == "anna"


def test_bad_name_fails_at_once_without_connecting(
    server: FakeServer, make_client: MakeClient
) -> None:
    c = make_client(server.address, "*admin")
    log = EventLog(c.events)
    c.start()
    failed = log.wait_for(ev.Failed)
    assert "must not start with" in failed.reason
    _thread_ends(c)
    server.listener.setblocking(False)
    with pytest.raises(BlockingIOError):
        server.listener.accept()  # nobody ever connected
    assert log.drain() == []


def test_refused_on_first_attempt_fails_with_reason(make_client: MakeClient) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    c = make_client(("127.0.0.1", port))
    log = EventLog(c.events)
    c.start()
    failed = log.wait_for(ev.Failed)
    assert failed.reason == f"Could not connect to 127.0.0.1:{port}: connection refused"
    _thread_ends(c)
    assert not any(isinstance(e, ev.Reconnecting | ev.Connected) for e in log.seen + log.drain())


def test_password_is_sent_on_auth_and_outbox_waits_for_welcome(
    server: FakeServer, make_client: MakeClient
) -> None:
    c = make_client(server.address, "ann", password="s3cret")
    log = EventLog(c.events)
    cid = c.send("typed before connecting")
    c.start()
    conn = server.accept()
    assert conn.frame() == "ann"
    conn.pair(ev.AUTH, "password required")
    # The held message must not be taken for the password.
    assert conn.frame() == "s3cret"
    assert c.pending == 1
    conn.welcome()
    assert conn.frame() == "typed before connecting"
    wait_until(lambda: c.pending == 0, what="outbox emptied")
    log.wait_for(ev.Welcome)
    # A protocol-1 room acknowledges nothing: written whole is as good as it gets.
    assert log.wait_for(ev.Sent) == ev.Sent(cid)


def test_auth_without_password_fails_without_reconnecting(
    server: FakeServer, make_client: MakeClient
) -> None:
    c = make_client(server.address, "ann")
    log = EventLog(c.events)
    c.start()
    conn = server.accept()
    conn.frame()
    conn.pair(ev.AUTH, "password required")
    assert log.wait_for(ev.Failed).reason == "This room needs a password"
    _thread_ends(c)
    assert not any(isinstance(e, ev.Reconnecting) for e in log.seen + log.drain())


def test_error_before_welcome_is_fatal(server: FakeServer, make_client: MakeClient) -> None:
    c = make_client(server.address, "ann")
    log = EventLog(c.events)
    c.start()
    conn = server.accept()
    conn.frame()
    conn.pair(ev.ERROR, "name ann is taken")
    conn.close()
    assert log.wait_for(ev.Failed).reason == "name ann is taken"
    _thread_ends(c)
    later = log.drain()
    assert not any(isinstance(e, ev.Reconnecting | ev.Disconnected) for e in later), later


def test_server_without_events_gets_messages_after_grace(
    server: FakeServer, make_client: MakeClient
) -> None:
    c = make_client(server.address, "ann")
    log = EventLog(c.events)
    c.start()
    conn = server.accept()
    conn.frame()
    # Nothing for LEGACY_GRACE after the name: a server without events; we are in.
    assert log.wait_for(ev.Connected).version == 0
    c.send("hello relay")
    c.send("/who")  # a plain relay has no commands: it goes out as the text it was
    assert conn.frame(timeout=client_mod.LEGACY_GRACE + 3) == "hello relay"
    assert conn.frame() == "/who"
    conn.pair("bob", "hi ann")
    conn.pair(ev.WELCOME, "not an event here")
    assert log.wait_for(ev.Message) == ev.Message("hi ann", sender="bob")
    # Once taken for a relay, a sender starting with * is somebody's odd name.
    assert log.wait_for(ev.Message) == ev.Message("not an event here", sender=ev.WELCOME)


def test_chat_before_any_event_releases_the_outbox_at_once(
    server: FakeServer, make_client: MakeClient
) -> None:
    # A password for a server that never asks for one is simply not sent.
    c = make_client(server.address, "ann", password="unused")
    log = EventLog(c.events)
    c.send("queued")
    c.start()
    conn = server.accept()
    conn.frame()
    conn.pair("bob", "anyone here?")  # a plain relay: chat, never a welcome
    assert conn.frame() == "queued"
    assert log.wait_for(ev.Connected).version == 0
    assert log.wait_for(ev.Message) == ev.Message("anyone here?", sender="bob")


def test_oversize_send_raises_on_the_callers_thread(
    server: FakeServer, make_client: MakeClient
) -> None:
    c = make_client(server.address, "ann", max_message=10)
    with pytest.raises(protocol.LocalProtocolError):
        c.send("x" * 11)
    with pytest.raises(protocol.LocalProtocolError):
        c.send("éééééé")  # 6 characters, 12 bytes
    assert c.pending == 0
    c.send("x" * 10)
    assert c.pending == 1


def test_remote_protocol_error_drops_and_reconnects(
    server: FakeServer, make_client: MakeClient
) -> None:
    c = make_client(server.address, "ann")
    log = EventLog(c.events)
    conn = _joined(server, c, log)
    conn.sock.sendall(b"-5        ")
    reason = log.wait_for(ev.Disconnected).reason
    assert reason.startswith("protocol error")
    assert 0 <= log.wait_for(ev.Reconnecting).delay <= client_mod.INITIAL_BACKOFF
    again = server.accept()
    assert again.frame() == "ann"
    again.welcome()
    log.wait_for(ev.Connected)


def test_room_closed_is_the_disconnect_reason(server: FakeServer, make_client: MakeClient) -> None:
    c = make_client(server.address, "ann")
    log = EventLog(c.events)
    conn = _joined(server, c, log)
    conn.pair(ev.INFO, ev.ROOM_CLOSED)
    conn.close()
    log.wait_for(ev.RoomClosed)
    assert log.wait_for(ev.Disconnected).reason == ev.ROOM_CLOSED
    assert not c.connected


def test_backoff_doubles_while_the_server_is_gone(
    server: FakeServer, make_client: MakeClient
) -> None:
    c = make_client(server.address, "ann")
    log = EventLog(c.events)
    conn = _joined(server, c, log)
    server.listener.close()
    conn.close()
    log.wait_for(ev.Disconnected)
    delays = [log.wait_for(ev.Reconnecting).delay for _ in range(3)]
    # Random (backoff.py), under a ceiling that doubles: 1 s, 2 s, 4 s.
    ceilings = [1.0, 2.0, 4.0]
    assert all(0 <= delay <= top for delay, top in zip(delays, ceilings, strict=True))
    assert client_mod.MAX_BACKOFF == 10.0


def test_partly_written_message_is_sent_again_whole(
    server: FakeServer, make_client: MakeClient
) -> None:
    size = 32 * 1024 * 1024  # far more than the socket buffers hold
    c = make_client(server.address, "ann", max_message=size)
    log = EventLog(c.events)
    conn = _joined(server, c, log)
    big = "b" * size
    big_cid = c.send(big)
    after_cid = c.send("after")
    conn.sock.settimeout(5)
    got = 0
    while got < 1 << 20:  # read 1 MB of the big frame, then vanish mid-frame
        got += len(conn.sock.recv(1 << 20))
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
    conn.close()
    log.wait_for(ev.Disconnected)
    again = server.accept()
    assert again.frame() == "ann"
    again.welcome()
    assert again.frame(timeout=20) == big  # whole, from its first byte
    assert again.frame() == "after"  # and exactly once: the next frame follows it
    wait_until(lambda: c.pending == 0, what="outbox emptied")
    assert log.wait_for(ev.Sent) == ev.Sent(big_cid)  # only once it went out whole
    assert log.wait_for(ev.Sent) == ev.Sent(after_cid)
    assert not any(isinstance(e, ev.Sent) for e in log.drain())


def test_close_is_quick_idempotent_and_silent(server: FakeServer, make_client: MakeClient) -> None:
    c = make_client(server.address, "ann")
    log = EventLog(c.events)
    _joined(server, c, log)
    started = time.monotonic()
    c.close()
    c.close()
    assert time.monotonic() - started < 1.0
    _thread_ends(c)
    assert log.drain() == [ev.Stopped()]  # the one event after close()
    c.send("after close")  # dropped, no error
    assert not c.connected
    assert log.drain() == []


def test_close_during_backoff_wait(server: FakeServer, make_client: MakeClient) -> None:
    c = make_client(server.address, "ann")
    log = EventLog(c.events)
    conn = _joined(server, c, log)
    server.listener.close()
    conn.close()
    log.wait_for(ev.Reconnecting)
    started = time.monotonic()
    c.close()
    assert time.monotonic() - started < 1.0
    _thread_ends(c)


def test_close_before_start() -> None:
    c = ChatClient("127.0.0.1", 9, "ann")
    c.close()
    c.close()
    with pytest.raises(RuntimeError):
        c.start()
