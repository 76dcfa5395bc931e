"""ChatClient against the real RoomServer and against a tutorial-style relay.

Real sockets on 127.0.0.1 port 0, the client's real network thread, a raw
socket client as the other participant. Events are read from the client's
queue with timeouts (``EventLog``), never with sleeps.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from cutproxy import CutProxy
from peer import Peer
from relay import EventLog, MakeClient, Relay
from waiting import wait_until

from desktopchat import client as client_mod
from desktopchat.client import ChatClient
from desktopchat.protocol import events as ev
from desktopchat.protocol.commands import BadCommand
from desktopchat.server import RoomServer


def _join(c: ChatClient) -> EventLog:
    """Start ``c`` and wait until it is in the room (a protocol-2 session, replay read)."""
    log = EventLog(c.events)
    c.start()
    log.wait_for(ev.Connected)
    log.wait_for(ev.Welcome)
    log.wait_for(ev.Replay)
    return log


def _said(event: ev.Message | ev.Action | ev.Private) -> tuple[str, str]:
    """(sender, text) of a chat event, whatever its id and time."""
    return event.sender, event.text


def _raw(address: tuple[str, int], name: str) -> Peer:
    """A raw participant that has been welcomed into a RoomServer room."""
    return Peer.joined(address, name)


def _thread_ends(c: ChatClient) -> None:
    assert c._thread is not None
    c._thread.join(2.0)
    assert not c._thread.is_alive(), "network thread still running"


# --- the real room server -------------------------------------------------------------


def test_chat_both_ways_with_a_raw_client(room: RoomServer, make_client: MakeClient) -> None:
    c = make_client(room.address, "ann")
    log = _join(c)
    with _raw(room.address, "bob") as bob:
        log.wait_for(ev.Joined, lambda e: e.name == "bob")
        cid = c.send("hello bob 😀")
        assert bob.read_until("ann") == "hello bob 😀"
        # The room acknowledges it with the id of the event it became.
        accepted = log.wait_for(ev.Accepted)
        assert accepted.cid == cid and accepted.id is not None
        assert c.pending == 0
        bob.send("hi ann")
        said = log.wait_for(ev.Message)
        assert _said(said) == ("bob", "hi ann")
        assert said.id is not None and said.id > accepted.id


def test_user_list_join_and_leave(room: RoomServer, make_client: MakeClient) -> None:
    with _raw(room.address, "bob"):
        c = make_client(room.address, "ann")
        log = _join(c)
        users = next(e for e in log.seen if isinstance(e, ev.UserList))
        assert users.names == ("bob", "ann")  # in join order
        cy = _raw(room.address, "cy")
        assert log.wait_for(ev.Joined).name == "cy"
        cy.close()
        assert log.wait_for(ev.Left).name == "cy"


def test_private_messages_both_ways(room: RoomServer, make_client: MakeClient) -> None:
    c = make_client(room.address, "ann")
    log = _join(c)
    with _raw(room.address, "bob") as bob, _raw(room.address, "cy") as cy:
        log.wait_for(ev.Joined, lambda e: e.name == "cy")
        bob.send("/msg ann just for you")
        private = log.wait_for(ev.Private)
        assert (private.sender, private.to, private.text) == ("bob", "ann", "just for you")
        c.send("/msg bob psst")
        assert bob.read_until("@ann") == "psst"
        # cy saw neither: the next thing cy hears is a public line.
        bob.send("public")
        sender, text = cy.pair()
        while sender.startswith("*"):
            sender, text = cy.pair()
        assert (sender, text) == ("bob", "public")


def test_nick_action_and_command_error(room: RoomServer, make_client: MakeClient) -> None:
    c = make_client(room.address, "ann")
    log = _join(c)
    with _raw(room.address, "bob") as bob:
        log.wait_for(ev.Joined)
        c.send("/nick anna")
        nick = log.wait_for(ev.NickChange)
        assert (nick.old, nick.new) == ("ann", "anna")
        assert c.name == "anna"
        assert bob.read_until(ev.NICK) == "ann anna"
        bob.send("/me waves")
        assert _said(log.wait_for(ev.Action)) == ("bob", "waves")
        # A command that cannot be parsed is refused on the caller's thread...
        with pytest.raises(BadCommand, match="Unknown command /nosuchcommand"):
            c.send("/nosuchcommand")
        # ...and one the room refuses is answered by its cid, without ending anything.
        cid = c.send("/msg nobody hello?")
        assert log.wait_for(ev.Rejected) == ev.Rejected(cid, "No such user: nobody.")
        c.send("still here")
        assert bob.read_until("anna") == "still here"
        assert not any(isinstance(e, ev.Disconnected | ev.Failed) for e in log.seen)


def test_name_taken_fails_without_reconnect_loop(room: RoomServer, make_client: MakeClient) -> None:
    with _raw(room.address, "bob"):
        c = make_client(room.address, "BOB")  # names compare case-insensitively
        log = EventLog(c.events)
        c.start()
        failed = log.wait_for(ev.Failed)
        assert failed.reason
        _thread_ends(c)
        after = log.drain()
        assert not any(isinstance(e, ev.Reconnecting | ev.Disconnected) for e in after), after
        # Connected comes with the welcome: a refused client never was.
        assert not any(isinstance(e, ev.Connected) for e in log.seen)
        assert not c.connected


def test_wrong_password_fails(make_client: MakeClient) -> None:
    with RoomServer("127.0.0.1", 0, password="right") as server:
        c = make_client(server.address, "ann", password="wrong")
        log = EventLog(c.events)
        c.start()
        assert log.wait_for(ev.Failed).reason
        _thread_ends(c)
        assert not any(isinstance(e, ev.Reconnecting | ev.Welcome) for e in log.seen + log.drain())


def test_missing_password_fails_with_a_clear_reason(make_client: MakeClient) -> None:
    with RoomServer("127.0.0.1", 0, password="right") as server:
        c = make_client(server.address, "ann")
        log = EventLog(c.events)
        c.start()
        assert log.wait_for(ev.Failed).reason == "This room needs a password"
        _thread_ends(c)


def test_right_password_gets_welcome_and_chats(make_client: MakeClient) -> None:
    with RoomServer("127.0.0.1", 0, password="right") as server:
        c = make_client(server.address, "ann", password="right")
        c.send("typed while the handshake runs")
        log = _join(c)
        with Peer(server.address) as bob:
            bob.join("bob", password="right")
            log.wait_for(ev.Joined)
            c.send("hello")
            texts: list[str] = []
            while not texts or texts[-1] != "hello":
                texts.append(bob.read_until("ann"))
            # The held message went out as chat (history or live), never as a password.
            assert "hello" in texts


def test_restart_on_same_port_reconnects_and_delivers_outage_messages_once(
    make_client: MakeClient,
) -> None:
    first = RoomServer("127.0.0.1", 0)
    first.start()
    port = first.address[1]
    c = make_client(("127.0.0.1", port), "ann")
    log = _join(c)
    first_epoch = next(e for e in log.seen if isinstance(e, ev.Connected)).epoch
    first.stop()
    log.wait_for(ev.RoomClosed)
    assert log.wait_for(ev.Disconnected).reason == ev.ROOM_CLOSED
    outage = [f"during the outage {i}" for i in range(5)]
    for text in outage:
        c.send(text)
    assert c.pending == len(outage)
    # It keeps trying by itself while the room is down: a retry failed and backed off.
    log.wait_for(ev.Reconnecting, lambda e: e.delay > 0.5)

    with RoomServer("127.0.0.1", port) as second, _raw(second.address, "bob") as bob:
        connected = log.wait_for(ev.Connected)
        # A new run of the room: nothing to resume from the old one.
        assert connected.epoch != first_epoch and not connected.resumed
        log.wait_for(ev.Welcome)
        c.send("done")
        # Live or replayed as history, each line arrives once and in order.
        got: list[str] = []
        while not got or got[-1] != "done":
            got.append(bob.read_until("ann", timeout=10))
        assert got == [*outage, "done"]
        wait_until(lambda: c.pending == 0, what="outbox emptied")


def test_reconnect_while_the_server_still_holds_our_name_retries_until_it_is_free(
    room: RoomServer, make_client: MakeClient
) -> None:
    # The client notices the blip first: the server keeps the old connection
    # (a ghost holding "bob") and refuses the reconnect with "already taken".
    with CutProxy(room.address) as proxy, _raw(room.address, "ann") as ann:
        c = make_client(proxy.address, "bob")
        log = _join(c)
        assert ann.read_until(ev.JOIN) == "bob"
        proxy.cut(keep_ghost=True)
        log.wait_for(ev.Disconnected)
        c.send("typed during the outage")
        refused = log.wait_for(ev.Disconnected, lambda e: "already taken" in e.reason)
        assert "bob" in refused.reason
        log.wait_for(ev.Reconnecting)  # retried, not given up
        proxy.release()  # the server's keepalive would do this after about a minute
        assert ann.read_until(ev.LEAVE) == "bob"
        log.wait_for(ev.Welcome, timeout=10)
        c.send("after")
        # Exactly once and in order: the next line from bob is the queued one.
        assert ann.read_until("bob") == "typed during the outage"
        assert ann.read_until("bob") == "after"
        events = log.seen + log.drain()
        assert not any(isinstance(e, ev.Failed) for e in events)
        assert c.connected
        # A refused attempt never says "connected": after the first session,
        # Connected comes with the welcome, right before it.
        after_cut = events[
            next(i for i, e in enumerate(events) if isinstance(e, ev.Disconnected)) :
        ]
        kinds = [type(e) for e in after_cut if isinstance(e, (ev.Connected, ev.Welcome))]
        assert kinds == [ev.Connected, ev.Welcome], after_cut


def test_refusals_after_a_reconnect_fail_once_the_retry_window_is_over(
    room: RoomServer, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_mod, "REFUSED_RETRY_WINDOW", 1.0)
    with CutProxy(room.address) as proxy:
        c = make_client(proxy.address, "bob")
        log = _join(c)
        proxy.cut(keep_ghost=True)  # the ghost is never released
        failed = log.wait_for(ev.Failed, timeout=10)
        assert "already taken" in failed.reason
        refusals = [e for e in log.seen if isinstance(e, ev.Disconnected) and "taken" in e.reason]
        assert len(refusals) >= 1  # retried before giving up
        _thread_ends(c)


def test_history_replay_is_one_replay_event(room: RoomServer, make_client: MakeClient) -> None:
    with _raw(room.address, "ann") as ann:
        ann.send("one")
        ann.send("/me waves")
        ann.send("/who")
        ann.read_until(ev.USERS)  # the one after the welcome
        ann.read_until(ev.USERS)  # the answer to /who: both are in the history now
        c = make_client(room.address, "bob")
        log = _join(c)
        replay = next(e for e in log.seen if isinstance(e, ev.Replay))
        assert not replay.resumed and replay.gap is None
        assert [
            (type(e), _said(e)) for e in replay.events if isinstance(e, ev.Message | ev.Action)
        ] == [
            (ev.Message, ("ann", "one")),
            (ev.Action, ("ann", "waves")),
        ]
        assert len(replay.events) == 2
        ann.send("live")
        live = log.wait_for(ev.Message)
        assert _said(live) == ("ann", "live")
        # The replayed lines came only inside the Replay event.
        loose = [e for e in log.seen if isinstance(e, ev.Message | ev.Action)]
        assert loose == [live]


def test_close_ends_thread_quickly_while_connected(
    room: RoomServer, make_client: MakeClient
) -> None:
    c = make_client(room.address, "ann")
    log = _join(c)
    with _raw(room.address, "bob") as bob:
        log.wait_for(ev.Joined)
        started = time.monotonic()
        c.close()
        assert time.monotonic() - started < 1.0
        _thread_ends(c)
        assert bob.read_until(ev.LEAVE) == "ann"


# --- a server that sends no events (like the tutorial's) ------------------------------


def test_relay_without_events_chats_both_ways(make_client: MakeClient) -> None:
    with Relay() as relay, Peer(relay.address, "bob") as bob:
        c = make_client(relay.address, "ann")
        log = EventLog(c.events)
        c.start()
        assert log.wait_for(ev.Connected).version == 0  # after LEGACY_GRACE of silence
        wait_until(lambda: sorted(relay.names) == ["ann", "bob"], what="both named")
        c.send("hello from ann")
        assert bob.pair() == ("ann", "hello from ann")
        bob.send("hello from bob")
        assert log.wait_for(ev.Message) == ev.Message("hello from bob", sender="bob")
        c.send("second")
        assert bob.pair() == ("ann", "second")
        assert not any(isinstance(e, ev.Welcome | ev.Failed) for e in log.seen)


# --- close() while connecting -----------------------------------------------------------


@pytest.fixture
def blackhole() -> Iterator[tuple[str, int]]:
    """An address whose TCP connect hangs: a listener with a full backlog."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    address = listener.getsockname()[:2]
    fillers = []
    for _ in range(16):
        probe = socket.socket()
        fillers.append(probe)
        probe.settimeout(0.3)
        try:
            probe.connect(address)
        except TimeoutError:
            break
    else:
        pytest.fail("could not fill the listen backlog")
    yield address
    for s in fillers:
        s.close()
    listener.close()


def test_close_interrupts_a_hanging_connect(
    blackhole: tuple[str, int], make_client: MakeClient
) -> None:
    c = make_client(blackhole, "ann", connect_timeout=30.0)
    log = EventLog(c.events)
    c.start()
    wait_until(lambda: c._phase == "connecting", what="connecting")
    started = time.monotonic()
    c.close()
    assert time.monotonic() - started < 1.0
    _thread_ends(c)
    assert log.drain() == [ev.Stopped()]


def test_connect_timeout_on_first_attempt_fails(
    blackhole: tuple[str, int], make_client: MakeClient
) -> None:
    c = make_client(blackhole, "ann", connect_timeout=0.3)
    log = EventLog(c.events)
    c.start()
    assert log.wait_for(ev.Failed).reason == (
        f"Could not connect to {blackhole[0]}:{blackhole[1]}: timed out"
    )
