"""Who may try the room password, and when (docs/PROTOCOL.md section 2, "Password attempts").

:class:`PasswordGate` keeps only a salted hash (:mod:`.passhash`) and two
throttles. None of them refuses a right password from an address that has
not guessed wrong; the room-wide one only makes attempts wait their turn.
"""

from __future__ import annotations

import enum
import itertools
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Final, Generic, Literal, TypeVar

from desktopchat.server.passhash import PasswordHash

__all__ = ["PENDING", "PasswordGate", "Verdict"]

K = TypeVar("K", bound=Hashable)


class _Pending(enum.Enum):
    PENDING = "pending"


#: :meth:`PasswordGate.submit`'s answer for an attempt that waits its turn.
PENDING: Final = _Pending.PENDING
#: None: let in; a str: refused, with the reason to send; PENDING: decided later.
Verdict = str | None | Literal[_Pending.PENDING]

#: One unit of the room budget, less a rounding error (so a refill timed to reach
#: 1 does not fall a hair short and wake the loop again at once).
_ONE = 1.0 - 1e-9

WRONG = "Wrong password."
ROOM_BUSY = "Too many wrong passwords are being tried in this room: try again in a minute."


class _Try(Generic[K]):
    """One password attempt waiting its turn."""

    __slots__ = ("address", "attempt", "seq", "ticket", "token", "until")

    def __init__(
        self, ticket: K, address: str, token: str, attempt: str | None, seq: int, until: float
    ) -> None:
        self.ticket = ticket
        self.address = address
        self.token = token
        self.attempt = attempt
        self.seq = seq
        self.until = until


class PasswordGate(Generic[K]):
    """The password check and its throttles; tickets (the room's members) name attempts.

    * Per address: :attr:`FREE_ATTEMPTS` wrong passwords, then each further
      wrong one locks the address for twice as long as the last (1 s ... up
      to :attr:`MAX_LOCK`). An attempt from a locked address waits for the
      lock to end, or is refused at once if that is more than :attr:`MAX_WAIT`
      away. The record is forgotten :attr:`FORGET_AFTER` seconds after the
      address's last wrong password; a right one does not clear it (on a
      shared address, members getting in must not reset a guesser's lock).
    * Room-wide: a bucket of :attr:`ROOM_BURST` wrong passwords refilled at
      :attr:`ROOM_RATE` per second, whatever the address. An attempt is only
      checked while the bucket holds one (a right password gives it back);
      otherwise it waits, and waiting attempts are checked from the address
      with the fewest wrong passwords first, then from the network (IPv4
      /24) with the fewest, then oldest first: a guesser's fresh addresses
      from its own network queue behind a newcomer from elsewhere. One that
      has waited :attr:`MAX_WAIT` is refused with :data:`ROOM_BUSY`.

    A client token or an address that got in with the right password during
    this run skips the room-wide bucket (a token also its address's lock):
    members reconnecting from an office whose shared address someone else
    got locked out still get in. It is still checked.

    :meth:`submit` answers at once or with :data:`PENDING`; the caller then
    calls :meth:`ready` once the clock reaches :attr:`due`, and :meth:`cancel`
    when the connection goes away first.
    """

    #: Wrong passwords allowed from one address before its lock-out starts (typos happen).
    FREE_ATTEMPTS = 3
    #: Longest lock-out of one address, in seconds.
    MAX_LOCK = 60.0
    #: Seconds after its last wrong password that an address starts afresh.
    FORGET_AFTER = 600.0
    #: Addresses and trusted tokens remembered at most, so a scan cannot grow the tables.
    MAX_TRACKED = 10_000
    #: Wrong passwords the whole room takes at once...
    ROOM_BURST = 10
    #: ...and per second after that (86,400 a day: choose a password that outlasts it).
    ROOM_RATE = 1.0
    #: Longest an attempt waits for its turn, in seconds (below the 10 s handshake limit).
    MAX_WAIT = 5.0

    __slots__ = (
        "_budget",
        "_budget_at",
        "_clock",
        "_decided",
        "_due",
        "_failures",
        "_good_addresses",
        "_good_tokens",
        "_hash",
        "_networks",
        "_scan_at",
        "_seq",
        "_waiting",
    )

    def __init__(self, password: str | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._hash = PasswordHash(password) if password else None
        self._clock = clock
        # address -> (wrong attempts, locked until, last wrong); least recently failed first.
        self._failures: OrderedDict[str, tuple[int, float, float]] = OrderedDict()
        # network -> (wrong attempts, last wrong); for the order of waiting attempts.
        self._networks: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._good_tokens: OrderedDict[str, None] = OrderedDict()
        self._good_addresses: OrderedDict[str, None] = OrderedDict()
        self._budget = float(self.ROOM_BURST)
        self._budget_at = clock()
        # Attempts waiting, in arrival order (so the first one's `until` is the earliest).
        self._waiting: dict[K, _Try[K]] = {}
        self._decided: dict[K, str | None] = {}
        self._seq = itertools.count()
        self._scan_at = math.inf  # the earliest a waiting attempt can be checked
        self._due: float | None = None

    @property
    def required(self) -> bool:
        """True when newcomers must send a password."""
        return self._hash is not None

    @property
    def due(self) -> float | None:
        """When :meth:`ready` has something to hand out (on the gate's clock), or None."""
        return -math.inf if self._decided else self._due

    def submit(self, ticket: K, address: str, attempt: str | None, token: str = "") -> Verdict:
        """Check ``attempt`` now, refuse it, or keep it waiting (:data:`PENDING`)."""
        if self._hash is None:
            return None
        now = self._clock()
        self._refill(now)
        one = _Try(ticket, address, token, attempt, next(self._seq), now + self.MAX_WAIT)
        locked = self._lock_end(one, now)
        if locked - now > self.MAX_WAIT:
            return self._locked_reason(locked, now)
        self._waiting[ticket] = one
        if locked > now:
            ready_at = locked
        elif self._free(one) or self._budget >= _ONE:
            ready_at = now
        else:
            ready_at = self._budget_at + (1 - self._budget) / self.ROOM_RATE
        self._scan_at = min(self._scan_at, ready_at)
        self._serve(now)
        return self._decided.pop(ticket, PENDING)

    def ready(self) -> list[tuple[K, str | None]]:
        """The waiting attempts decided by now: (ticket, None to let in or the reason)."""
        if self._due is not None and self._clock() >= self._due:
            self._serve(self._clock())
        decided = list(self._decided.items())
        self._decided.clear()
        return decided

    def cancel(self, ticket: K) -> None:
        """Forget ``ticket``'s attempt (its connection is gone)."""
        self._waiting.pop(ticket, None)
        self._decided.pop(ticket, None)
        if not self._waiting:
            self._due = None
            self._scan_at = math.inf

    # --- scheduling -------------------------------------------------------------------

    def _serve(self, now: float) -> None:
        waiting, decided = self._waiting, self._decided
        if waiting and now >= self._scan_at:
            self._scan(now)  # first: a late wake-up must not cost anyone a turn it had
        while waiting:
            first = next(iter(waiting.values()))
            if first.until > now:
                break
            del waiting[first.ticket]
            locked = self._lock_end(first, now)
            decided[first.ticket] = self._locked_reason(locked, now) if locked > now else ROOM_BUSY
        if not waiting:
            self._due, self._scan_at = None, math.inf
        else:
            self._due = min(next(iter(waiting.values())).until, self._scan_at)

    def _scan(self, now: float) -> None:
        """Check waiting attempts in turn while locks and the budget allow."""
        self._refill(now)
        while True:
            best: _Try[K] | None = None
            best_key = (0, 0, 0)
            scan_at = math.inf
            for one in self._waiting.values():
                locked = self._lock_end(one, now)
                if locked > now:
                    scan_at = min(scan_at, locked)
                elif self._free(one):
                    best = one
                    break
                elif self._budget < _ONE:
                    scan_at = min(scan_at, self._budget_at + (1 - self._budget) / self.ROOM_RATE)
                else:
                    key = (
                        self._record(one.address, now)[0],
                        self._network_wrong(one, now),
                        one.seq,
                    )
                    if best is None or key < best_key:
                        best, best_key = one, key
            if best is None:
                self._scan_at = scan_at
                return
            del self._waiting[best.ticket]
            self._decided[best.ticket] = self._check(best, now)

    # --- the check and the records ----------------------------------------------------

    def _check(self, one: _Try[K], now: float) -> str | None:
        assert self._hash is not None
        if one.attempt is not None and self._hash.matches(one.attempt):
            _remember(self._good_addresses, one.address, self.MAX_TRACKED)
            if one.token:
                _remember(self._good_tokens, one.token, self.MAX_TRACKED)
            return None
        self._budget = max(0.0, self._budget - 1)
        self._good_tokens.pop(one.token, None)
        count, locked_until = self._record(one.address, now)
        self._failures.pop(one.address, None)
        count += 1
        if count > self.FREE_ATTEMPTS:
            locked_until = now + min(self.MAX_LOCK, 2.0 ** (count - self.FREE_ATTEMPTS - 1))
        self._failures[one.address] = (count, locked_until, now)
        while len(self._failures) > self.MAX_TRACKED:
            self._failures.popitem(last=False)
        network = _network(one.address)
        wrong = self._network_wrong(one, now) + 1
        self._networks.pop(network, None)
        self._networks[network] = (wrong, now)
        while len(self._networks) > self.MAX_TRACKED:
            self._networks.popitem(last=False)
        return WRONG

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._budget_at)
        self._budget = min(float(self.ROOM_BURST), self._budget + elapsed * self.ROOM_RATE)
        self._budget_at = now

    def _record(self, address: str, now: float) -> tuple[int, float]:
        """(wrong passwords, locked until) of ``address``: (0, 0) if none lately."""
        record = self._failures.get(address)
        if record is None or now - record[2] > self.FORGET_AFTER:
            return 0, 0.0
        return record[0], record[1]

    def _network_wrong(self, one: _Try[K], now: float) -> int:
        record = self._networks.get(_network(one.address))
        if record is None or now - record[1] > self.FORGET_AFTER:
            return 0
        return record[0]

    def _lock_end(self, one: _Try[K], now: float) -> float:
        if one.token and one.token in self._good_tokens:
            return 0.0
        return self._record(one.address, now)[1]

    def _free(self, one: _Try[K]) -> bool:
        """True if the attempt skips the room-wide budget (it got in before)."""
        return (bool(one.token) and one.token in self._good_tokens) or (
            one.address in self._good_addresses
        )

    @staticmethod
    def _locked_reason(locked_until: float, now: float) -> str:
        return (
            "Too many wrong passwords from your address: "
            f"try again in {int(locked_until - now) + 1} s."
        )


def _network(address: str) -> str:
    """The /24 of an IPv4 address (the address itself otherwise)."""
    head, dot, _ = address.rpartition(".")
    return head if dot and ":" not in address else address


def _remember(table: OrderedDict[str, None], key: str, limit: int) -> None:
    table[key] = None
    table.move_to_end(key)
    while len(table) > limit:
        table.popitem(last=False)
