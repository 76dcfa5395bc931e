"""Connections per address: one host cannot take every connection slot.

docs/PROTOCOL.md section 5 has the limit, section 6 the refusal's text.
"""

from __future__ import annotations

import enum
import logging

__all__ = ["LOG_EVERY", "AddressCounts", "Admission"]

log = logging.getLogger(__name__)

#: Seconds between two log lines about one address's refused connections.
LOG_EVERY = 60.0


class Admission(enum.Enum):
    """What to do with a new connection."""

    ADMIT = "admit"
    #: Over the cap: accept it only to say why, then close.
    REFUSE = "refuse"
    #: So far over the cap that even its refusals are piling up: close at once.
    DROP = "drop"


class AddressCounts:
    """Open connections per address (counting closing ones), against ``cap`` (None: none)."""

    def __init__(self, cap: int | None) -> None:
        if cap is not None and cap < 1:
            raise ValueError("max_per_address must be at least 1 (or None for no cap)")
        self.cap = cap
        self._counts: dict[str, int] = {}
        # address -> when its refusals were last logged (monotonic seconds).
        self._logged: dict[str, float] = {}

    def admission(self, address: str) -> Admission:
        """Whether one more connection from ``address`` may come in."""
        cap = self.cap
        held = self._counts.get(address, 0)
        if cap is None or held < cap:
            return Admission.ADMIT
        # Refusals linger (up to 2 s) to deliver their reason; a cap's worth of
        # them is plenty: more would let one host hold descriptors after all.
        return Admission.REFUSE if held < 2 * cap else Admission.DROP

    def refusal(self, address: str, now: float) -> str:
        """The reason a refused connection is given; logged once a minute per address."""
        if self.worth_logging(address, now):
            log.warning(
                "%s: refusing connections over the limit of %d per address (logged once a minute)",
                address,
                self.cap,
            )
        return (
            f"Too many connections from your address (at most {self.cap}): close one and try again."
        )

    def worth_logging(self, address: str, now: float) -> bool:
        """True for the first refusal of ``address`` in a minute (a flood logs little)."""
        if now - self._logged.get(address, -LOG_EVERY) < LOG_EVERY:
            return False
        if len(self._logged) >= 1024:  # forget the addresses not refused lately
            self._logged = {a: t for a, t in self._logged.items() if now - t < LOG_EVERY}
        self._logged[address] = now
        return True

    def add(self, address: str) -> None:
        self._counts[address] = self._counts.get(address, 0) + 1

    def remove(self, address: str) -> None:
        left = self._counts.get(address, 0) - 1
        if left > 0:
            self._counts[address] = left
        else:
            self._counts.pop(address, None)
