"""The saved history's writer: a thread that commits queued rows in batches.

The loop's side is :meth:`Writer.put`: one ``deque.append`` (atomic, no lock)
and, for the first row of a batch, setting an :class:`threading.Event`. The
thread (``desktopchat-history``) waits for that, collects rows for
:data:`FLUSH_INTERVAL` (less once :data:`BATCH_ROWS` are queued), inserts them
in one transaction, prunes at most every :data:`PRUNE_EVERY` seconds, and
goes back to waiting. :meth:`Writer.close` writes what is queued, marks the
database clean and closes it.

Nothing here raises into the room: a write that fails (a full disk, an I/O
error) or a queue that overflowed (:data:`QUEUE_MAX`) is logged once as a
warning, saving stops, and the room goes on from memory; the database stays
marked unclean, so its next run takes a new epoch.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = ["BATCH_ROWS", "FLUSH_INTERVAL", "PRUNE_EVERY", "QUEUE_MAX", "Writer"]

log = logging.getLogger(__name__)

#: How long rows wait to be committed together (seconds): a busy room makes
#: one transaction per 50 ms, not one per message.
FLUSH_INTERVAL = 0.05
#: Rows that make the writer commit before the interval is over.
BATCH_ROWS = 2000
#: Rows waiting at most (about 2 KiB each at worst: ~40 MiB): a disk this far
#: behind is failing, and the room must not grow without bound waiting for it.
QUEUE_MAX = 20_000
#: Seconds between prunes of the database (N messages, D days).
PRUNE_EVERY = 1.0

_INSERT = "INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)"

Row = tuple[Any, ...]
Prune = Callable[[sqlite3.Connection, float], object]


class Writer:
    """Commits rows to ``db`` on its own thread. See the module docstring."""

    def __init__(self, db: sqlite3.Connection, prune: Prune, label: str) -> None:
        self._db = db
        self._prune = prune
        self._label = label
        self._queue: deque[Row] = deque()
        self._wake = threading.Event()  # rows are waiting, or closing
        self._hurry = threading.Event()  # a full batch is waiting, or closing
        self._closing = False
        self._closed = False
        self._lock = threading.Lock()  # close() from two threads
        self._pruned = time.monotonic()
        #: Saving stopped: rows are dropped, the database stays unclean.
        self.failed = False
        self._thread = threading.Thread(target=self._run, name="desktopchat-history", daemon=True)
        self._thread.start()

    def put(self, row: Row) -> None:
        """Queue ``row`` (the loop's thread; never blocks)."""
        queue = self._queue
        if self.failed:
            return
        if len(queue) >= QUEUE_MAX:
            self._fail("the disk did not keep up with the room")
            return
        queue.append(row)
        size = len(queue)
        if size == 1:
            self._wake.set()
        elif size == BATCH_ROWS:
            self._hurry.set()

    def close(self, timeout: float = 30.0) -> None:
        """Write what is queued, mark the database clean, close it (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._closing = True
        self._wake.set()
        self._hurry.set()
        self._thread.join(timeout)
        if self._thread.is_alive():  # a disk that hangs: leave it unclean, do not wait
            log.warning("saved history in %s: still writing after %g s", self._label, timeout)
            return
        try:
            if not self.failed:
                self._db.execute("UPDATE meta SET value = '1' WHERE key = 'clean'")
            self._db.close()
        except sqlite3.Error as exc:
            log.warning("saved history in %s: cannot close it cleanly: %s", self._label, exc)

    # --- the thread ---------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if not self._closing:
                self._hurry.wait(FLUSH_INTERVAL)
            self._hurry.clear()
            self._write_queued()
            if self._closing and not self._queue:
                return

    def _write_queued(self) -> None:
        queue = self._queue
        while queue:
            rows = [queue.popleft() for _ in range(min(len(queue), BATCH_ROWS))]
            if self.failed:
                continue  # drop: the database is unclean anyway
            db = self._db
            try:
                db.execute("BEGIN")  # one transaction (the connection is in autocommit mode)
                db.executemany(_INSERT, rows)
                now = time.monotonic()
                if now - self._pruned >= PRUNE_EVERY or self._closing:
                    self._pruned = now
                    self._prune(db, time.time())
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                if db.in_transaction:
                    db.rollback()
                self._fail(str(exc))

    def _fail(self, why: str) -> None:
        if self.failed:
            return
        self.failed = True
        log.warning(
            "cannot save the room's history in %s (%s): the room goes on from memory;"
            " its next start takes a new epoch",
            self._label,
            why,
        )
