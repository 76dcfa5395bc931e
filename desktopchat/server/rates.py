"""Per-member rate limits: token buckets for requests, bytes and renames.

The room asks :meth:`MemberRates.refusal` before carrying out a request; a
request over a limit is refused with a "Slow down: ..." sentence and costs
nothing more. docs/PROTOCOL.md section 5 has the defaults and why.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktopchat.bucket import TokenBucket

__all__ = ["DEFAULT_RATE_LIMITS", "MemberRates", "RateLimits"]


@dataclass(frozen=True)
class RateLimits:
    """What one member may ask of the room; a rate of 0 turns that limit off."""

    #: Requests of any kind per second, and how many may come at once.
    messages: float = 10.0
    message_burst: int = 30
    #: Bytes of text (messages, actions, private messages) per second, and at once.
    bytes: float = 64 * 1024
    byte_burst: int = 256 * 1024
    #: Renames (``/nick``) per second, and at once: one every 5 s, 3 at once.
    nicks: float = 0.2
    nick_burst: int = 3

    def refusal(self, what: str) -> str:
        """The sentence for a request refused by the ``what`` limit."""
        if what == "nicks":
            return (
                f"Slow down: at most {self.nick_burst} renames at once and one every "
                f"{1 / self.nicks:g} s; you keep your name."
            )
        if what == "bytes":
            return (
                f"Slow down: at most {_size(self.bytes)} of text a second "
                f"({_size(self.byte_burst)} at once); this was not sent."
            )
        plural = "" if self.messages == 1 else "s"
        return (
            f"Slow down: at most {self.messages:g} request{plural} a second "
            f"({self.message_burst} at once); this was not sent."
        )


#: The room's default: never in a person's way (typing, pasting a page, a
#: reconnect sending a dozen lines typed offline), far below a script's pace.
DEFAULT_RATE_LIMITS = RateLimits()


def _size(n: float) -> str:
    return f"{n / 1024:g} KiB" if n >= 1024 and n % 1024 == 0 else f"{n:g} bytes"


class MemberRates:
    """One member's buckets (made lazily, on its first request)."""

    __slots__ = ("_bytes", "_limits", "_messages", "_nicks")

    def __init__(self, limits: RateLimits, now: float) -> None:
        self._limits = limits
        self._messages = _bucket(limits.messages, limits.message_burst, now)
        self._bytes = _bucket(limits.bytes, limits.byte_burst, now)
        self._nicks = _bucket(limits.nicks, limits.nick_burst, now)

    def refusal(self, size: int, now: float, *, nick: bool = False) -> str | None:
        """None if a request of ``size`` text bytes may go ahead (and charge it), else why not."""
        messages, data = self._messages, self._bytes
        if messages is not None and not messages.take(1, now):
            return self._limits.refusal("messages")
        if size and data is not None and not data.take(size, now):
            if messages is not None:
                messages.give_back(1)
            return self._limits.refusal("bytes")
        if nick and self._nicks is not None and not self._nicks.take(1, now):
            if messages is not None:
                messages.give_back(1)
            if size and data is not None:
                data.give_back(size)
            return self._limits.refusal("nicks")
        return None


def _bucket(rate: float, burst: float, now: float) -> TokenBucket | None:
    return TokenBucket(rate, burst, now) if rate > 0 else None
