"""The after() pump on its own: bounded batches, prompt rescheduling, clean stop."""

from __future__ import annotations

import queue
import tkinter as tk

import pytest
from waiting import wait_until

from desktopchat.gui.pump import EventPump

pytestmark = pytest.mark.gui


def test_a_backlog_is_drained_in_bounded_batches_with_the_loop_running_between(
    tk_root: tk.Tk,
) -> None:
    q: queue.Queue[int] = queue.Queue()
    for i in range(1000):
        q.put(i)
    handled: list[int] = []
    batches: list[int] = []
    beats_at_batch: list[int] = []
    beats = 0

    def heartbeat() -> None:
        nonlocal beats
        beats += 1
        tk_root.after(1, heartbeat)

    def end_batch() -> None:
        batches.append(len(handled) - sum(batches))
        beats_at_batch.append(beats)

    pump: EventPump[int] = EventPump(tk_root, lambda: q, handled.append, end_batch=end_batch)
    tk_root.after(1, heartbeat)
    pump.start()
    wait_until(lambda: len(handled) == 1000, what="the backlog", root=tk_root)
    assert handled == list(range(1000))
    assert batches == [200] * 5, batches
    # Other events ran between the batches: the window never froze for the backlog.
    assert beats_at_batch[-1] > beats_at_batch[0], beats_at_batch
    pump.stop()


def test_stop_cancels_the_tick_and_nothing_more_is_drained(tk_root: tk.Tk) -> None:
    q: queue.Queue[int] = queue.Queue()
    handled: list[int] = []
    pump: EventPump[int] = EventPump(tk_root, lambda: q, handled.append, idle_ms=1)
    pump.start()
    q.put(1)
    wait_until(lambda: handled == [1], what="first item", root=tk_root)
    pump.stop()
    q.put(2)
    deadline_beats = []
    tk_root.after(60, lambda: deadline_beats.append(1))
    wait_until(lambda: deadline_beats, what="60 ms of event loop", root=tk_root)
    assert handled == [1]
    assert "after#" not in str(tk_root.tk.call("after", "info"))


def test_a_handler_error_is_reported_and_the_pump_keeps_going(tk_root: tk.Tk) -> None:
    reported: list[BaseException] = []
    tk_root.report_callback_exception = lambda _t, exc, _tb: reported.append(exc)
    q: queue.Queue[int] = queue.Queue()
    handled: list[int] = []

    def handle(item: int) -> None:
        if item == 1:
            raise ValueError("bad event")
        handled.append(item)

    pump: EventPump[int] = EventPump(tk_root, lambda: q, handle, idle_ms=1)
    q.put(1)
    pump.start()
    wait_until(lambda: reported, what="the error report", root=tk_root)
    q.put(2)
    wait_until(lambda: handled == [2], what="the next event", root=tk_root)
    pump.stop()
    assert isinstance(reported[0], ValueError)
