"""Thumbnails decoded off the Tk thread: one worker thread, results picked up with after().

Decoding a member's picture can take most of a second (a 40-megapixel PNG
is a small file); on the Tk thread that would freeze the window, and a
member offering many such pictures could freeze it again and again.
:class:`ThumbnailMaker` hands the work (:func:`desktopchat.files.images.thumbnail`)
to one worker thread, ``desktopchat-thumbnails``, which touches no widget: it
puts each result on a queue, and the Tk side takes results off the queue in
an ``after`` poll (every :data:`POLL_MS` while work is out) and calls the
job's callback there.

The worker starts with the first job and ends when the queue is empty; at
most :data:`MAX_WAITING` jobs wait (older ones are dropped, their callback
told so): memory stays bounded whatever a room sends. One maker per Tk
interpreter (:func:`maker_for`).
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import logging
import queue
import threading
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass

from desktopchat.files.images import ImageError, thumbnail

__all__ = ["MAX_WAITING", "POLL_MS", "ThumbnailMaker", "maker_for"]

log = logging.getLogger(__name__)

#: How often the Tk side looks for finished thumbnails while some are being made (ms).
POLL_MS = 20
#: Jobs waiting for the worker at most (the oldest are dropped first).
MAX_WAITING = 16

#: ``done(png, error)``: PNG bytes, or None and the reason.
Done = Callable[[bytes | None, str], None]


@dataclass(frozen=True, slots=True)
class _Job:
    """What the worker sees: no callback, so no Tk object is ever freed on its thread."""

    number: int
    data: bytes
    box: tuple[int, int]


class ThumbnailMaker:
    """Makes thumbnails on a worker thread; callbacks run on the Tk thread."""

    def __init__(self, widget: tk.Misc) -> None:
        self.widget = widget
        self._lock = threading.Lock()
        self._waiting: collections.deque[_Job] = collections.deque()
        self._worker: threading.Thread | None = None
        self._results: queue.Queue[tuple[int, bytes | None, str]] = queue.Queue()
        self._callbacks: dict[int, Done] = {}  # by job number (Tk thread only)
        self._numbers = itertools.count(1)
        self._poll: str | None = None

    @property
    def busy(self) -> bool:
        """True while some thumbnail is being made or waits to be."""
        return bool(self._callbacks)

    def make(self, data: bytes, box: tuple[int, int], done: Done) -> None:
        """Make the thumbnail of ``data`` fitting ``box``; ``done`` is called on the Tk thread."""
        dropped: _Job | None = None
        job = _Job(next(self._numbers), data, box)
        self._callbacks[job.number] = done
        with self._lock:
            self._waiting.append(job)
            if len(self._waiting) > MAX_WAITING:
                dropped = self._waiting.popleft()
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._work, name="desktopchat-thumbnails", daemon=True
                )
                self._worker.start()
        if dropped is not None:
            self._results.put((dropped.number, None, "Too many pictures at once."))
        self._schedule()

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._waiting:
                    self._worker = None
                    return
                job = self._waiting.popleft()
            try:
                self._results.put((job.number, thumbnail(job.data, *job.box), ""))
            except ImageError as exc:
                self._results.put((job.number, None, str(exc)))
            except Exception as exc:  # a Pillow bug on hostile bytes: that picture only
                log.warning("making a thumbnail failed: %r", exc)
                self._results.put((job.number, None, "The picture cannot be shown."))

    def _schedule(self) -> None:
        if self._poll is None and self._callbacks:
            with contextlib.suppress(tk.TclError):  # the window is gone
                self._poll = self.widget.after(POLL_MS, self._take)

    def _take(self) -> None:
        self._poll = None
        while True:
            try:
                number, png, error = self._results.get_nowait()
            except queue.Empty:
                break
            done = self._callbacks.pop(number)
            with contextlib.suppress(tk.TclError):  # its widget went meanwhile
                done(png, error)
        self._schedule()

    def wait(self, timeout: float) -> bool:
        """Let the worker finish (tests, shutdown); True when it has."""
        with self._lock:
            worker = self._worker
        if worker is not None:
            worker.join(timeout)
            return not worker.is_alive()
        return True


def maker_for(widget: tk.Misc) -> ThumbnailMaker:
    """The :class:`ThumbnailMaker` of ``widget``'s Tk interpreter (made on first use)."""
    root = widget.nametowidget(".")
    maker = root.__dict__.get("_desktopchat_thumbnail_maker")
    if not isinstance(maker, ThumbnailMaker):
        maker = ThumbnailMaker(root)
        root.__dict__["_desktopchat_thumbnail_maker"] = maker
    return maker
