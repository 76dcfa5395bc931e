"""How often a transfer tells the window how far it is: at most :data:`INTERVAL` apart."""

from __future__ import annotations

__all__ = ["INTERVAL", "Throttle"]

#: Seconds between two progress events of one transfer: 10 a second is
#: smooth for a progress bar and nothing for the window's queue.
INTERVAL = 0.1


class Throttle:
    """Says when the next progress event of one transfer is due."""

    __slots__ = ("_next",)

    def __init__(self) -> None:
        self._next = 0.0

    def due(self, now: float) -> bool:
        """True at most once per :data:`INTERVAL` (the first call: True)."""
        if now < self._next:
            return False
        self._next = now + INTERVAL
        return True
