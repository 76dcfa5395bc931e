"""The room password check: constant-time compare, throttled per address."""

from __future__ import annotations

import hmac
import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["PasswordGate"]


class PasswordGate:
    """Room password check: constant-time compare, throttled per address.

    Each address gets :attr:`FREE_ATTEMPTS` wrong guesses; after that every
    further wrong guess locks the address out for twice as long as the last
    (1 s, 2 s, 4 s ... up to :attr:`MAX_LOCK` s). While locked, attempts are
    refused without being compared. A right password clears the record.
    """

    #: Wrong passwords allowed before the lock-out starts (typos happen).
    FREE_ATTEMPTS = 3
    #: Longest lock-out, in seconds.
    MAX_LOCK = 60.0
    #: Addresses remembered at most, so a scan cannot grow this table forever.
    MAX_TRACKED = 10_000

    __slots__ = ("_clock", "_failures", "_password")

    def __init__(self, password: str | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._password = password.encode("utf-8") if password else None
        self._clock = clock
        # address -> (wrong attempts, locked until); oldest first.
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()

    @property
    def required(self) -> bool:
        """True when newcomers must send a password."""
        return self._password is not None

    def check(self, address: str, attempt: str | None) -> str | None:
        """Return None if ``attempt`` opens the room, else the reason to send."""
        if self._password is None:
            return None
        now = self._clock()
        count, locked_until = self._failures.get(address, (0, 0.0))
        if now < locked_until:
            return (
                "Too many wrong passwords from your address: "
                f"try again in {int(locked_until - now) + 1} s."
            )
        if attempt is not None and hmac.compare_digest(attempt.encode("utf-8"), self._password):
            self._failures.pop(address, None)
            return None
        count += 1
        if count > self.FREE_ATTEMPTS:
            lock = min(self.MAX_LOCK, 2.0 ** (count - self.FREE_ATTEMPTS - 1))
            locked_until = now + lock
        self._failures.pop(address, None)
        self._failures[address] = (count, locked_until)
        while len(self._failures) > self.MAX_TRACKED:
            self._failures.popitem(last=False)
        return "Wrong password."
