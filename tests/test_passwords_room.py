"""Finding 6 of issue 8 over real sockets: guessing from many addresses, lock-outs
on a shared address, the password kept as a hash, and a password sent to a room
that has none (docs/PROTOCOL.md section 2). Clients connect from 127.0.0.N
(Linux routes all of 127/8 to the loopback interface).
"""

from __future__ import annotations

import time

import pytest
from peer import Peer
from waiting import wait_until

from desktopchat import protocol
from desktopchat.protocol import events
from desktopchat.server import RoomServer
from desktopchat.server.gate import PasswordGate

PW = "sesame"
WRONG = "Wrong password."
EARLY = "Your first message arrived before the room let you in and was not relayed: send it again."


def guess(address: tuple[str, int], source: str, password: str, name: str = "m") -> Peer:
    """A tutorial-style client that sends its name and a password in one write."""
    peer = Peer(address, source=source)
    peer.send_raw(protocol.encode_frame(name) + protocol.encode_frame(password))
    return peer


def v2_join(address: tuple[str, int], source: str, name: str, token: str) -> tuple[str, str]:
    """A protocol-2 client (our window) joining with ``token``; the pair after the offer."""
    with Peer(address, source=source) as peer:
        peer.send(name)
        peer.send(f"/protocol 2 {token}")
        peer.send(PW)
        assert peer.expect(events.HELLO).startswith("desktopchat 2")  # (and files=N)
        assert peer.expect(events.AUTH) == "password required"
        return peer.pair()


def test_rotating_source_addresses_are_held_to_the_room_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Today's finding: a fresh address gets its free guesses at once, 2,892 guesses/s.
    monkeypatch.setattr(PasswordGate, "ROOM_BURST", 5, raising=False)
    monkeypatch.setattr(PasswordGate, "ROOM_RATE", 2.0, raising=False)
    monkeypatch.setattr(PasswordGate, "MAX_WAIT", 1.0, raising=False)
    with RoomServer("127.0.0.1", 0, password=PW) as srv:
        peers = [Peer(srv.address, source=f"127.0.0.{i}") for i in range(2, 32)]
        start = time.monotonic()
        for peer in peers:  # every address guesses once, all at once
            peer.send_raw(protocol.encode_frame("m") + protocol.encode_frame("guess"))
        answers = [peer.closed_with_error() for peer in peers]
        elapsed = time.monotonic() - start
        for peer in peers:
            peer.close()
    checked = answers.count(WRONG)
    assert checked <= 5 + 2.0 * elapsed + 1, (checked, elapsed)
    # The rest were not checked at all: they waited their turn, then were told why.
    busy = "Too many wrong passwords are being tried in this room: try again in a minute."
    assert set(answers) == {WRONG, busy}


def test_a_right_password_from_a_fresh_address_gets_in_while_another_is_locked_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(PasswordGate, "ROOM_BURST", PasswordGate.FREE_ATTEMPTS + 1, raising=False)
    monkeypatch.setattr(PasswordGate, "ROOM_RATE", 4.0, raising=False)
    monkeypatch.setattr(PasswordGate, "MAX_WAIT", 0.5, raising=False)
    with RoomServer("127.0.0.1", 0, password=PW) as srv:
        for _ in range(PasswordGate.FREE_ATTEMPTS + 1):  # locked for 1 s, the budget spent
            with guess(srv.address, "127.0.0.2", "guess") as mallory:
                assert mallory.closed_with_error() == WRONG
        with guess(srv.address, "127.0.0.2", PW) as mallory:  # a guessing address: refused
            assert mallory.closed_with_error().startswith("Too many wrong passwords from your")
        with Peer(srv.address, source="127.0.0.3") as ann:  # a fresh one waits its turn: in
            assert ann.enter("ann", PW) == ["ann"]


def test_a_newcomer_gets_in_while_a_guesser_floods_from_fresh_addresses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(PasswordGate, "ROOM_BURST", 3, raising=False)
    monkeypatch.setattr(PasswordGate, "ROOM_RATE", 4.0, raising=False)
    monkeypatch.setattr(PasswordGate, "MAX_WAIT", 2.0, raising=False)
    with RoomServer("127.0.0.1", 0, password=PW) as srv:
        # 30 guesses from 30 fresh addresses of one network: most of them wait (7 s' worth).
        guesses = [guess(srv.address, f"127.0.0.{i}", "guess") for i in range(2, 32)]
        with Peer(srv.address, source="127.0.1.5") as ann:  # another network: checked first
            assert ann.enter("ann", PW) == ["ann"]
        for peer in guesses:
            assert peer.closed_with_error().startswith(("Wrong", "Too many"))
            peer.close()


def test_a_shared_address_locked_out_by_a_guesser_still_lets_its_people_in() -> None:
    # Today's finding: a lock-out refuses the right password too, so anyone can lock
    # an office (one NAT address) out of its own room.
    office = "127.0.0.5"
    with (
        RoomServer("127.0.0.1", 0, password=PW) as srv,
        Peer(srv.address, source="127.0.0.9") as carol,
    ):
        carol.enter("carol", PW)
        meta, _ = v2_join(srv.address, office, "alice", "tokalice")
        assert meta.startswith("welcome ")
        carol.expect(events.JOIN, "alice")
        carol.expect(events.LEAVE, "alice")  # her connection dropped (v2_join closed it)
        for _ in range(PasswordGate.FREE_ATTEMPTS + 1):  # mallory, same office
            with guess(srv.address, office, "guess") as mallory:
                assert mallory.closed_with_error() == WRONG
        # The office address is locked now. alice's window reconnects: in at once.
        meta, _ = v2_join(srv.address, office, "alice", "tokalice")
        assert meta.startswith("welcome ")
        carol.expect(events.JOIN, "alice")
        carol.expect(events.LEAVE, "alice")
        # bob, new, from the office: his right password waits for the lock, then in.
        with Peer(srv.address, source=office) as bob:
            assert bob.enter("bob", PW) == ["carol", "bob"]


def test_the_room_keeps_only_a_hash_of_its_password() -> None:
    secret = "correct horse battery staple"
    with RoomServer("127.0.0.1", 0, password=secret) as srv:
        room = srv._room
        assert not holds(vars(srv), secret, depth=1)
        assert not holds(vars(room), secret)
        assert not holds(room.gate, secret)
        with Peer(srv.address) as ann:
            ann.enter("ann", secret)
            assert not holds(vars(room), secret)
            assert not holds(room.gate, secret)


def test_a_password_sent_straight_after_the_name_to_an_open_room_is_not_relayed_nor_kept() -> None:
    with (
        RoomServer("127.0.0.1", 0, history=100) as srv,
        Peer(srv.address) as alice,
        Peer(srv.address) as eve,
    ):
        alice.enter("alice")
        eve.send_raw(protocol.encode_frame("eve") + protocol.encode_frame("hunter2"))
        alice.expect(events.JOIN, "eve")
        alice.send("/who")  # the next thing alice hears is the answer: nothing from eve
        assert alice.users() == ["alice", "eve"]
        assert eve.answer()[0] == events.WELCOME
        assert eve.users() == ["alice", "eve"]
        assert eve.pair() == (events.INFO, EARLY)  # nothing lost silently
        eve.send("hello")  # once in, eve's messages are chat as usual
        alice.expect("eve", "hello")
        with Peer(srv.address) as late:
            late.enter("late")
            assert late.expect(events.HISTORY) == "1"
            assert late.expect("eve") == "hello"


def test_a_join_waiting_its_turn_is_bounded_and_forgotten_when_its_client_goes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(PasswordGate, "ROOM_BURST", 0)  # every newcomer waits its turn...
    monkeypatch.setattr(PasswordGate, "ROOM_RATE", 0.01)  # ...for longer than the test
    with RoomServer("127.0.0.1", 0, password=PW, max_message=200) as srv:
        gated = srv._room._gated
        waiting = guess(srv.address, "127.0.0.2", PW, name="slow")
        wait_until(lambda: len(gated) == 1, what="the join to wait its turn")
        waiting.close()  # the client gives up: the room forgets its attempt
        wait_until(lambda: not gated, what="the waiting join to be forgotten")
        assert srv._room.gate.due is None
        # What a waiting client sends is bounded: a request pair's worth at most.
        flood = guess(srv.address, "127.0.0.3", PW, name="flood")
        flood.send_raw(protocol.encode_frame("x" * 200) * 3)
        reason = flood.closed_with_error()
        assert reason == "Protocol error: too much data before the room let the client in."
        flood.close()
        assert not gated


def holds(obj: object, secret: str, depth: int = 4) -> bool:
    """True if any str or bytes reachable from ``obj`` (``depth`` levels down) has ``secret``."""
    return any(
        (secret in s) if isinstance(s, str) else (secret.encode() in s)
        for s in _strings(obj, 4 - depth)
    )


def _strings(obj: object, depth: int = 0) -> list[str | bytes]:
    """Every str and bytes reachable from ``obj``'s attributes (slots or __dict__)."""
    if isinstance(obj, str | bytes | bytearray):
        return [bytes(obj) if isinstance(obj, bytearray) else obj]
    if depth > 4 or isinstance(obj, int | float | bool) or obj is None:
        return []
    out: list[str | bytes] = []
    values: list[object] = []
    if isinstance(obj, dict):
        values = [*obj.keys(), *obj.values()]
    elif isinstance(obj, list | tuple | set):
        values = list(obj)
    else:
        names = list(getattr(obj, "__dict__", {}))
        for cls in type(obj).__mro__:
            names += list(getattr(cls, "__slots__", ()))
        values = [getattr(obj, n) for n in names if hasattr(obj, n)]
    for value in values:
        out += _strings(value, depth + 1)
    return out
