"""Reconnect delays with jitter, so a room's restart is not met by every client at once.

The n-th consecutive retry (counting from 0) waits a uniformly random time
between 0 and ``min(cap, first * 2**n)`` seconds ("full jitter"): the first
retries of a room's members, all dropped by the same restart, are spread over
0 to 1 s, the next ones over 0 to 2 s, then 4 s, 8 s, 10 s... A client that
gets back in starts again from the first ceiling (:meth:`Backoff.reset`).
Without the jitter every client would come back in the same instant, and
again together at every doubling.
"""

from __future__ import annotations

import random

__all__ = ["FIRST_CEILING", "MAX_BACKOFF", "Backoff"]

#: The first retry waits up to this many seconds.
FIRST_CEILING = 1.0
#: The ceiling doubles after each failed attempt up to this many seconds.
MAX_BACKOFF = 10.0


class Backoff:
    """The delays before each reconnect attempt (see the module docstring).

    ``rng``: the random source (a seeded ``random.Random`` makes them repeatable).
    """

    __slots__ = ("cap", "ceiling", "first", "rng")

    def __init__(
        self,
        rng: random.Random | None = None,
        *,
        first: float = FIRST_CEILING,
        cap: float = MAX_BACKOFF,
    ) -> None:
        if not 0 < first <= cap:
            raise ValueError("need 0 < first <= cap")
        self.rng = rng if rng is not None else random.Random()
        self.first = first
        self.cap = cap
        #: The most the next delay can be.
        self.ceiling = first

    def next(self) -> float:
        """The delay before the next attempt, in seconds; the ceiling doubles."""
        delay = self.rng.uniform(0.0, self.ceiling)
        self.ceiling = min(self.cap, self.ceiling * 2)
        return delay

    def reset(self) -> None:
        """We got back in: the next drop starts from the first ceiling again."""
        self.ceiling = self.first
