"""The one polling wait of the test suite.

Tests synchronise on observable state, never on a bare ``sleep``: they poll a
condition until it holds or a deadline passes. GUI tests pass the Tk root so
the event loop keeps running while they wait (a Tk window changes only while
its events are processed).
"""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Callable

#: Seconds any single wait in a test may take before it fails.
TIMEOUT = 5.0

#: Seconds between two polls.
POLL_INTERVAL = 0.005


def wait_until(
    condition: Callable[[], object],
    timeout: float = TIMEOUT,
    what: str = "",
    *,
    root: tk.Misc | None = None,
) -> None:
    """Poll ``condition()`` every ~5 ms until it is true.

    With ``root``, ``root.update()`` runs before every poll, so Tk handles its
    events (and ``after`` callbacks) while the test waits. Raises
    AssertionError naming ``what`` (or the condition) after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        if root is not None:
            root.update()
        if condition():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what or condition}")
        time.sleep(POLL_INTERVAL)  # let the network threads run between polls
