"""A thread for file work, so disk waits never hold up the network thread.

Writing to disk can block for a long time (the kernel throttles a process
that dirties pages faster than the disk takes them; a slow USB stick, a
network share), and so can reading, or hashing a resumed ``.part``. The
network thread must keep reading chat meanwhile, so each client has two
:class:`Writer` threads that run jobs in the order given:

* ``desktopchat-write``: every operation on a receiving sink (hash the
  prefix, write, check and rename, discard, close). What waits there is
  bounded by the credit the receiver grants: it grants only for chunks
  written (receiving.py), at most 16 chunks of 60 KiB per fetch;
* ``desktopchat-read``: opening and reading offered files for the room,
  at most the stream's credit ahead (sending.py).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

__all__ = ["Writer"]

log = logging.getLogger(__name__)

Job = Callable[[], None]


class Writer:
    """Runs jobs one after another on its own thread (called ``name``), started by the first job."""

    def __init__(self, name: str = "desktopchat-write") -> None:
        self.name = name
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def run(self, job: Job) -> None:
        """Queue ``job``; never blocks. After :meth:`close` it runs at once, on this thread."""
        with self._lock:
            closed = self._closed
            if self._thread is None and not closed:
                self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                self._thread.start()
        if closed:
            self._do(job)  # the client is stopping: closing files, nothing slow
        else:
            self._jobs.put(job)

    def close(self) -> None:
        """End the thread once the jobs queued so far are done; idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._jobs.put(None)

    def _loop(self) -> None:
        while (job := self._jobs.get()) is not None:
            self._do(job)

    @staticmethod
    def _do(job: Job) -> None:
        try:
            job()
        except Exception:  # a bug: the other fetches go on
            log.exception("file writer job failed")
