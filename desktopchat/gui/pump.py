"""Drain a worker thread's ``queue.Queue`` on the Tk thread with ``after()``.

Role: the only bridge from the network thread to the widgets (Porcupine's run
plugin and Thonny's backend poll do the same). Worker threads only ever
``put`` on a queue; this pump, running on the Tk thread, takes at most
``batch`` items per tick, hands them to ``handle`` one by one, then calls
``end_batch`` once (the app flushes the transcript there, so a tick costs one
Text insert however many messages it carried). A tick also stops taking
items once ``budget_ms`` have passed: during a flood the network thread
competes for the CPU and the GIL and every item costs more, and the Tk loop
must still turn every few milliseconds. The queue itself is bounded
(``desktopchat/inbox.py``).

Scheduling: when the tick stopped with more waiting the next tick is
``after(busy_ms)`` (1 ms: the Tk event loop still runs in between, so input,
redraws and timers are served during a flood); otherwise ``after(idle_ms)``
(50 ms: a message shows within a frame or three, and an idle window costs
nothing measurable). The after-id is kept so :meth:`EventPump.stop` cancels the
pending tick: no callback fires into destroyed widgets.

The queue is looked up through ``source()`` on every tick, so the app can
switch clients (leave a room, join another) without restarting the pump; a
``None`` source means "nothing to drain". A handler that switches the source
ends the batch: the rest of the old queue is not this pump's any more.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import time
import tkinter as tk
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["DEFAULT_BATCH", "EventPump"]

log = logging.getLogger(__name__)

#: Items handled per tick: enough to keep up with thousands of messages per
#: second, few enough that one tick stays well under a frame (~16 ms).
DEFAULT_BATCH = 200

#: Milliseconds a tick may spend handling items (checked every few items):
#: the Tk loop serves input and redraws at least this often during a flood.
DEFAULT_BUDGET_MS = 8.0

#: Items handled between two looks at the clock.
_CLOCK_EVERY = 8

T = TypeVar("T")


class EventPump(Generic[T]):
    """Periodic, bounded, cancellable queue drain on the Tk thread."""

    def __init__(
        self,
        widget: tk.Misc,
        source: Callable[[], queue.Queue[T] | None],
        handle: Callable[[T], None],
        *,
        end_batch: Callable[[], None] | None = None,
        batch: int = DEFAULT_BATCH,
        budget_ms: float = DEFAULT_BUDGET_MS,
        idle_ms: int = 50,
        busy_ms: int = 1,
    ) -> None:
        self._widget = widget
        self._source = source
        self._handle = handle
        self._end_batch = end_batch
        self.batch = batch
        self.budget_ms = budget_ms
        self.idle_ms = idle_ms
        self.busy_ms = busy_ms
        self._after_id: str | None = None
        self._active = False
        self.handled = 0  # total items handled (benchmarks and tests read it)
        #: Items of the current batch handled so far (0 outside a batch).
        self.handling = 0
        self._more = False  # the last drain stopped with items still waiting

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._active

    def start(self) -> None:
        """Schedule the first tick (idempotent)."""
        self._active = True
        if self._after_id is None:
            self._after_id = self._widget.after(0, self._tick)

    def stop(self) -> None:
        """Cancel the pending tick; nothing more is drained until :meth:`start`."""
        self._active = False
        if self._after_id is not None:
            with contextlib.suppress(tk.TclError):  # the interpreter is already gone
                self._widget.after_cancel(self._after_id)
            self._after_id = None

    def poke(self) -> None:
        """Drain soon (e.g. right after switching clients) instead of at the next idle tick."""
        if self._active:
            self.stop()
            self.start()

    def drain_now(self) -> int:
        """Handle up to one batch (and one time budget) now; return how many were handled."""
        self._more = False
        q = self._source()
        if q is None:
            return 0
        count = 0
        deadline = time.monotonic() + self.budget_ms / 1000
        try:
            while True:
                if count >= self.batch or (
                    count % _CLOCK_EVERY == 0 and count and time.monotonic() >= deadline
                ):
                    self._more = not q.empty()
                    break
                try:
                    item = q.get_nowait()
                except queue.Empty:
                    break
                count += 1
                self.handling = count
                self._handle(item)
                if self._source() is not q:  # the handler switched clients: that queue
                    break  # is no longer ours (a room switch hands it to another pump)
        finally:
            self.handling = 0
            self.handled += count
            if count and self._end_batch is not None:
                self._end_batch()
        return count

    def _tick(self) -> None:
        self._after_id = None
        busy = False
        try:
            self.drain_now()
            busy = self._more
        finally:
            # Reschedule even if a handler raised (Tk reports the error through
            # report_callback_exception): one bad event must not stop the chat.
            if self._active and self._after_id is None:
                delay = self.busy_ms if busy else self.idle_ms
                self._after_id = self._widget.after(delay, self._tick)
