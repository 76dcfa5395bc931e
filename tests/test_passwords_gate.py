"""PasswordGate on a fake clock: the per-address lock, the room-wide budget, waiting
turns, trusted tokens and addresses, and the hash (docs/PROTOCOL.md section 2,
"Password attempts"). The same rules over real sockets: test_passwords_room.py.
"""

from __future__ import annotations

import pytest
from test_passwords_room import holds

from desktopchat.server.gate import PENDING, ROOM_BUSY, WRONG, PasswordGate
from desktopchat.server.passhash import PasswordHash

PW = "s3cret"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def to(self, when: float | None) -> None:
        assert when is not None and when >= self.now
        self.now = when


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def gate(clock: Clock) -> PasswordGate[str]:
    return PasswordGate(PW, clock=clock)


def due(gate: PasswordGate[str]) -> float | None:
    """gate.due, read through a call (mypy would keep an earlier narrowing of the property)."""
    return gate.due


def exhaust(gate: PasswordGate[str], first: int = 1) -> int:
    """Spend the room budget with wrong guesses from fresh addresses; the next address number."""
    for i in range(first, first + PasswordGate.ROOM_BURST):
        assert gate.submit(f"spend{i}", f"10.9.0.{i}", "nope") == WRONG
    return first + PasswordGate.ROOM_BURST


# --- per address ------------------------------------------------------------------


def test_wrong_passwords_lock_an_address_and_a_right_one_waits_for_the_lock(
    gate: PasswordGate[str], clock: Clock
) -> None:
    for i in range(PasswordGate.FREE_ATTEMPTS + 1):  # the 4th wrong one locks for 1 s
        assert gate.submit(f"g{i}", "10.0.0.1", "guess") == WRONG
    assert due(gate) is None
    # The right password from the locked address is not refused: it waits its turn...
    assert gate.submit("right", "10.0.0.1", PW) is PENDING
    assert gate.due == clock.now + 1.0
    assert gate.ready() == []
    clock.to(gate.due)
    assert gate.ready() == [("right", None)]  # ...and gets in
    assert due(gate) is None
    # Getting in does not clear the address's record (it may be shared with the guesser):
    assert gate.submit("again", "10.0.0.1", "guess") == WRONG  # now locked for 2 s
    assert gate.submit("more", "10.0.0.1", "guess") is PENDING
    assert gate.due == clock.now + 2.0
    gate.cancel("more")
    clock.now += PasswordGate.FORGET_AFTER + 2.1  # ...until it has been quiet for long
    for i in range(PasswordGate.FREE_ATTEMPTS + 1):
        assert gate.submit(f"later{i}", "10.0.0.1", "guess") == WRONG


def test_a_lock_longer_than_the_wait_is_refused_at_once_and_other_addresses_go_on(
    gate: PasswordGate[str], clock: Clock
) -> None:
    count = 0
    while True:  # keep guessing as each lock ends: the locks double
        verdict = gate.submit(f"g{count}", "10.0.0.1", "guess")
        count += 1
        if verdict is PENDING:
            clock.to(gate.due)
            assert gate.ready() == [(f"g{count - 1}", WRONG)]
        elif verdict != WRONG:
            break
    assert verdict == "Too many wrong passwords from your address: try again in 9 s."
    assert count == PasswordGate.FREE_ATTEMPTS + 5  # locks of 1, 2, 4, then 8 s > MAX_WAIT
    # The right password from that address is refused too: it has been guessing.
    assert gate.submit("right", "10.0.0.1", PW) == verdict
    # Another address is not affected at all.
    assert gate.submit("fresh", "10.0.0.2", PW) is None


def test_locks_are_capped_and_the_address_table_bounded(
    gate: PasswordGate[str], clock: Clock
) -> None:
    for i in range(40):
        assert gate.submit(f"g{i}", "10.0.0.1", "x") == WRONG
        clock.now += PasswordGate.MAX_LOCK + 0.01  # the lock never grows past MAX_LOCK
    assert gate.submit("right", "10.0.0.1", PW) is None  # each lock ended after MAX_LOCK
    for i in range(PasswordGate.MAX_TRACKED + 50):
        gate.submit(f"a{i}", f"addr{i}", None)  # (no password: wrong without hashing)
        clock.now += 1.0  # the room budget refills
    assert len(gate._failures) == PasswordGate.MAX_TRACKED


def test_a_missing_password_is_a_wrong_one(gate: PasswordGate[str]) -> None:
    assert gate.submit("t", "10.0.0.1", None) == WRONG


def test_a_room_without_a_password_lets_everyone_in() -> None:
    open_room: PasswordGate[str] = PasswordGate(None)
    assert open_room.submit("t", "any", "thing") is None
    assert not PasswordGate("").required
    assert PasswordGate(PW).required


# --- the room-wide budget ---------------------------------------------------------


def test_rotating_addresses_are_held_to_the_room_budget(
    gate: PasswordGate[str], clock: Clock
) -> None:
    checked = 0
    verdicts: dict[str, str | None] = {}
    for i in range(200):  # 200 addresses, one guess each, 10 per second of fake time
        verdict = gate.submit(f"t{i}", f"10.1.{i // 250}.{i % 250}", "guess")
        if verdict is not PENDING:
            verdicts[f"t{i}"] = verdict
        checked += verdict == WRONG
        clock.now += 0.1
        for ticket, verdict in gate.ready():
            verdicts[ticket] = verdict
            checked += verdict == WRONG
    elapsed = 200 * 0.1
    assert checked <= PasswordGate.ROOM_BURST + PasswordGate.ROOM_RATE * elapsed + 1
    clock.now += PasswordGate.MAX_WAIT
    for ticket, verdict in gate.ready():
        verdicts[ticket] = verdict
    assert due(gate) is None
    assert len(verdicts) == 200  # nobody left waiting
    assert set(verdicts.values()) == {WRONG, ROOM_BUSY}


def test_a_right_password_gives_its_budget_back(gate: PasswordGate[str], clock: Clock) -> None:
    exhaust(gate)
    assert gate.submit("x", "10.0.0.1", PW) is PENDING  # nothing left to check it with
    clock.to(gate.due)  # one refill (1 s)
    assert gate.ready() == [("x", None)]
    for i in range(20):  # the budget is still there: right passwords cost nothing
        assert gate.submit(f"ok{i}", f"10.0.1.{i}", PW) is None
    assert gate.submit("wrong", "10.0.2.1", "no") == WRONG  # the one unit left
    assert gate.submit("wait", "10.0.2.2", "no") is PENDING


def test_waiting_attempts_from_clean_addresses_go_first(
    gate: PasswordGate[str], clock: Clock
) -> None:
    exhaust(gate)  # 10.9.0.1-10 have guessed wrong once each
    for i in range(1, 6):  # the guesser comes back from the addresses it used
        assert gate.submit(f"again{i}", f"10.9.0.{i}", "nope") is PENDING
    assert gate.submit("honest", "10.0.0.5", PW) is PENDING  # arrives last, clean address
    clock.to(gate.due)  # one unit of budget: the honest attempt is checked first, in,
    # and gives the unit back, which the oldest guess then uses.
    assert gate.ready() == [("honest", None), ("again1", WRONG)]


def test_a_guessers_fresh_addresses_queue_behind_a_newcomer_from_another_network(
    gate: PasswordGate[str], clock: Clock
) -> None:
    exhaust(gate)  # the network 10.9.0.x has guessed wrong 10 times
    for i in range(50, 55):  # fresh addresses, the same network
        assert gate.submit(f"fresh{i}", f"10.9.0.{i}", "nope") is PENDING
    assert gate.submit("honest", "192.168.7.20", PW) is PENDING
    clock.to(gate.due)
    assert gate.ready() == [("honest", None), ("fresh50", WRONG)]


def test_an_attempt_that_waited_too_long_is_refused_with_a_reason(
    gate: PasswordGate[str], clock: Clock
) -> None:
    exhaust(gate)
    for i in range(8):
        assert gate.submit(f"w{i}", f"10.2.0.{i}", "nope") is PENDING
    decided: dict[str, str | None] = {}
    while gate.due is not None:
        clock.to(max(gate.due, clock.now))
        decided.update(gate.ready())
    assert clock.now <= 1000.0 + PasswordGate.MAX_WAIT  # nobody waits longer
    checked = list(decided.values()).count(WRONG)
    assert 1 <= checked <= PasswordGate.MAX_WAIT * PasswordGate.ROOM_RATE
    assert set(decided.values()) == {WRONG, ROOM_BUSY}
    assert ROOM_BUSY.startswith("Too many wrong passwords are being tried in this room")


def test_cancel_forgets_a_waiting_attempt(gate: PasswordGate[str], clock: Clock) -> None:
    exhaust(gate)
    assert gate.submit("gone", "10.0.0.1", PW) is PENDING
    assert due(gate) is not None
    gate.cancel("gone")
    assert due(gate) is None
    clock.now += PasswordGate.MAX_WAIT
    assert gate.ready() == []


# --- trust: members who got in before -------------------------------------------------


def test_a_members_token_gets_in_from_a_locked_out_shared_address(
    gate: PasswordGate[str], clock: Clock
) -> None:
    office = "203.0.113.7"  # one NAT address for the whole office
    assert gate.submit("alice", office, PW, token="tok-alice") is None
    for i in range(PasswordGate.FREE_ATTEMPTS + 4):  # mallory, same office: locked for long
        verdict = gate.submit(f"m{i}", office, "guess", token=f"tok-m{i}")
        if verdict is PENDING:
            clock.to(gate.due)
            gate.ready()
    refused = gate.submit("m", office, PW)
    assert isinstance(refused, str) and refused.startswith("Too many wrong passwords from your")
    clock.now += PasswordGate.ROOM_BURST / PasswordGate.ROOM_RATE
    exhaust(gate, 20)  # and the room budget is gone too
    # alice's window reconnects with its token: checked at once, in.
    assert gate.submit("alice2", office, PW, token="tok-alice") is None
    # A wrong password with a trusted token loses the trust.
    assert gate.submit("alice3", office, "typo", token="tok-alice") == WRONG
    refused = gate.submit("alice4", office, PW, token="tok-alice")
    assert isinstance(refused, str) and refused.startswith("Too many")


def test_an_address_that_got_in_skips_the_room_budget(
    gate: PasswordGate[str], clock: Clock
) -> None:
    assert gate.submit("bob", "10.0.0.9", PW) is None
    exhaust(gate)
    assert gate.submit("other", "10.0.0.10", PW) is PENDING  # a new address waits its turn
    assert gate.submit("bob2", "10.0.0.9", PW, token="new-window") is None  # bob's does not
    assert gate.submit("bob3", "10.0.0.9", "typo") == WRONG  # still checked


# --- the hash ------------------------------------------------------------------------------


def test_the_gate_keeps_a_salted_hash_and_no_plaintext() -> None:
    secret = "correct horse battery staple"
    gate: PasswordGate[str] = PasswordGate(secret)
    assert not holds(gate, secret)
    assert gate.submit("t", "10.0.0.1", secret) is None
    assert not holds(gate, secret)
    a, b = PasswordHash(secret), PasswordHash(secret)
    assert a._digest != b._digest  # salted: the same password hashes differently
    assert a.matches(secret) and not a.matches(secret.upper()) and not a.matches("")
    assert secret not in repr(a)
