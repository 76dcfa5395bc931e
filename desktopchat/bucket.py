"""A token bucket: a rate with a burst, on a clock the caller passes in.

The room limits each member with them (``server/rates.py``); our client
paces what it sends with them, below the room's defaults (``session.py``).
"""

from __future__ import annotations

__all__ = ["TokenBucket"]


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` saved up; starts full.

    A cost above ``burst`` (one maximum-size message when the byte burst is
    smaller than the room's message limit) passes only when the bucket is
    full, and leaves it in debt: the average rate holds all the same.
    """

    __slots__ = ("burst", "level", "rate", "stamp")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        if rate <= 0 or burst <= 0:
            raise ValueError("a bucket needs a positive rate and burst")
        self.rate = rate
        self.burst = burst
        self.level = burst
        self.stamp = now

    def _refill(self, now: float) -> float:
        self.level = min(self.burst, self.level + (now - self.stamp) * self.rate)
        self.stamp = now
        return self.level

    def take(self, cost: float, now: float) -> bool:
        """Take ``cost`` tokens if there are enough; False (nothing taken) if not."""
        if self._refill(now) < min(cost, self.burst):
            return False
        self.level -= cost
        return True

    def wait(self, cost: float, now: float) -> float:
        """Seconds until :meth:`take` of ``cost`` would succeed (0.0: now)."""
        missing = min(cost, self.burst) - self._refill(now)
        return max(0.0, missing / self.rate)

    def give_back(self, cost: float) -> None:
        """Undo a :meth:`take` (another bucket refused the same request)."""
        self.level = min(self.burst, self.level + cost)
