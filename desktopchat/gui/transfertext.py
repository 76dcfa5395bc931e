"""Numbers of a file transfer as people read them: sizes, speed, time left. No Tk.

Role: the arithmetic and wording behind a transfer's line (``transfers.py``
decides which line, ``transferview.py`` draws it).

Decisions:

* Sizes count in 1,024s, as the room's limits do (the host types "500M" or
  "2G", ``fileopts.parse_size``), written with the usual letters: "950
  bytes", "1.2 MB", "2.0 GB" (1 KB = 1,024 bytes). A room's limit is shown
  the way it was typed.
* Speed is smoothed: an exponentially weighted average whose weight follows
  the time between samples (:data:`SMOOTHING` seconds), so ten updates a
  second and one every two seconds settle alike, and one stalled second does
  not make "time left" jump to hours. No estimate before :data:`MIN_ELAPSED`
  seconds of data: the first chunks arrive in a burst (the window's credit).
* Time left is rounded the way it is read: "8 s", "about 3 min", "about 2 h".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "MIN_ELAPSED",
    "SMOOTHING",
    "Rate",
    "kind_text",
    "left_text",
    "size_text",
    "speed_text",
]

#: Seconds over which the speed average forgets an old sample (to 1/e).
SMOOTHING = 3.0
#: Seconds of data before a speed is shown at all.
MIN_ELAPSED = 0.5

_UNITS = ("KB", "MB", "GB", "TB")

#: A few MIME types named the way people call them (others: the subtype, upper case).
_KINDS = {
    "image/png": "PNG image",
    "image/gif": "GIF image",
    "image/jpeg": "JPEG image",
    "image/webp": "WebP image",
    "image/svg+xml": "SVG image",
    "application/pdf": "PDF document",
    "application/zip": "ZIP archive",
    "text/plain": "text",
    "text/x-sh": "shell script",
    "application/x-sh": "shell script",
    "text/x-python": "Python program",
    "application/x-executable": "program",
    "application/x-msdownload": "Windows program",
    "application/vnd.microsoft.portable-executable": "Windows program",
    "audio/mpeg": "MP3 audio",
    "video/mp4": "MP4 video",
}


def size_text(size: int) -> str:
    """``size`` bytes for people: "1 byte", "950 bytes", "1.2 MB", "12 MB", "2.0 GB"."""
    if size < 1024:
        return "1 byte" if size == 1 else f"{size:,} bytes"
    value = float(size)
    for unit in _UNITS:
        value /= 1024
        if value < 1023.5 or unit == _UNITS[-1]:
            return f"{value:.1f} {unit}" if value < 9.95 else f"{value:,.0f} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def speed_text(bytes_per_second: float) -> str:
    """A speed: "850 KB/s", "12 MB/s"."""
    return (
        size_text(max(0, round(bytes_per_second))).replace("bytes", "B").replace("byte", "B") + "/s"
    )


def left_text(seconds: float) -> str:
    """Time left, rounded as it is read: "8 s left", "about 3 min left", "about 2 h left"."""
    if seconds < 60:
        return f"{max(1, math.ceil(seconds))} s left"
    if seconds < 3600:
        return f"about {round(seconds / 60)} min left"
    return f"about {round(seconds / 3600)} h left"


def kind_text(mime: str) -> str:
    """A MIME type as people call it: "PNG image", "PDF document", "" when unknown."""
    if mime in _KINDS:
        return _KINDS[mime]
    if mime in ("-", "", "application/octet-stream") or "/" not in mime:
        return ""
    major, _, sub = mime.partition("/")
    sub = sub.split("+")[0].removeprefix("x-").removeprefix("vnd.")
    noun = {"image": "image", "audio": "audio", "video": "video", "text": "text"}.get(major, "file")
    return f"{sub.upper()} {noun}" if len(sub) <= 12 else noun


@dataclass(slots=True)
class Rate:
    """A transfer's smoothed speed and time left, from (time, bytes done) samples."""

    started: float | None = None  # time of the first sample
    last_time: float = 0.0
    last_done: int = 0
    speed: float = 0.0  # bytes per second, smoothed (0 = not known yet)

    def sample(self, now: float, done: int) -> None:
        """Record that ``done`` bytes were through at ``now`` (seconds, any clock)."""
        if self.started is None or done < self.last_done:  # a first sample, or a restart
            self.started, self.last_time, self.last_done, self.speed = now, now, done, 0.0
            return
        elapsed = now - self.last_time
        if elapsed <= 0:
            return
        current = (done - self.last_done) / elapsed
        if self.speed == 0.0:
            self.speed = current
        else:
            weight = 1.0 - math.exp(-elapsed / SMOOTHING)
            self.speed += weight * (current - self.speed)
        self.last_time, self.last_done = now, done

    def known(self) -> bool:
        """True once the speed means something (:data:`MIN_ELAPSED` of data)."""
        return (
            self.started is not None
            and self.last_time - self.started >= MIN_ELAPSED
            and self.speed > 0
        )

    def seconds_left(self, total: int) -> float | None:
        """Seconds until ``total`` bytes at the smoothed speed (None: not known yet)."""
        if not self.known():
            return None
        return max(0.0, (total - self.last_done) / self.speed)

    def text(self, total: int) -> str:
        """ "12 MB/s · 8 s left", or "" while not known."""
        left = self.seconds_left(total)
        if left is None:
            return ""
        return f"{speed_text(self.speed)} · {left_text(left)}"
