"""Saved history in SQLite: one database file per room, written by a thread of its own.

:func:`open_store` opens (or makes) ``DIR/history.sqlite3`` in WAL mode,
checks it, prunes it, reads what the room's memory needs (:class:`Saved`)
and starts the writer; :class:`SqliteStore` is the ``HistoryStore`` of
``store.py``. What it keeps and why is in docs/ARCHITECTURE.md, "Saved
history"; the decisions in short:

* One connection in EXCLUSIVE locking mode, held for the room's life: a
  second room on the same folder is refused at once ("in use"), and no
  ``-shm`` file is needed.
* The loop only appends a tuple to a bounded deque (:data:`QUEUE_MAX`); the
  writer (``storewriter.py``) commits every :data:`FLUSH_INTERVAL` or
  :data:`BATCH_ROWS` rows.
* ``meta.clean`` is 0 while a room runs and 1 once it closed with everything
  written. A database left unclean (a crash, a full disk, a queue that
  overflowed) may lack the newest events the room handed out, so the next
  run takes a new epoch and continues the ids above every saved one; its
  saved history is still shown to newcomers.
* A damaged database is renamed ``history.sqlite3.damaged-TIME`` and a new
  one is made (a new epoch); a folder that cannot be written is a
  :class:`StoreError` with one sentence.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
import sqlite3
import time
from pathlib import Path

from desktopchat.server.history import RESUME_EVENTS, Entry
from desktopchat.server.store import Saved, StoreError, hosted_room_dir
from desktopchat.server.storewriter import Writer

__all__ = ["DB_NAME", "SqliteStore", "open_hosted_history", "open_store"]

log = logging.getLogger(__name__)

#: The database's file name inside the room's folder.
DB_NAME = "history.sqlite3"
#: Seconds to wait for the database's lock before saying another room uses it.
LOCK_WAIT = 1.0
#: Schema version in ``meta``; a database of another version is refused, not rewritten.
SCHEMA_VERSION = "1"

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS events (
        id INTEGER PRIMARY KEY,   -- the room's id for the event
        time REAL NOT NULL,       -- seconds since the Unix epoch
        chat INTEGER NOT NULL,    -- 1: say or /me (newcomer history)
        author TEXT NOT NULL,     -- tag of the author's token ('' for none)
        cid INTEGER,              -- the author's request id, if a request made it
        recipient TEXT NOT NULL,  -- tag of a private message's recipient ('' for public)
        v1 BLOB NOT NULL,         -- the event as protocol-1 pairs
        v2 BLOB NOT NULL          -- the event as a protocol-2 pair
    )""",
    "CREATE INDEX IF NOT EXISTS chat_ids ON events(id) WHERE chat",
)

_DAMAGED = ("SQLITE_CORRUPT", "SQLITE_NOTADB")


class _Damaged(sqlite3.DatabaseError):
    """The database failed its check (``PRAGMA quick_check``)."""


def open_store(directory: Path, *, history: int = 100, days: float | None = None) -> SqliteStore:
    """Open the saved history of the room in ``directory`` (made if missing).

    ``history`` is the newcomer history (``--history N``): the store keeps
    the events from the Nth newest chat message on, and at least the newest
    :data:`~.history.RESUME_EVENTS` events, all of them younger than ``days``
    when given. Raises :class:`StoreError` when the folder cannot hold it.
    """
    if history < 0 or (days is not None and not days > 0):
        raise ValueError("history must be 0 or more and days more than 0")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot make the folder {directory}: {exc.strerror or exc}") from None
    path = directory / DB_NAME
    try:
        return SqliteStore(path, history, days)
    except OSError as exc:
        raise StoreError(f"cannot keep the room's history in {path}: {exc}") from None
    except sqlite3.DatabaseError as exc:
        damaged = isinstance(exc, _Damaged) or getattr(exc, "sqlite_errorname", "") in _DAMAGED
        if not damaged:
            raise StoreError(_unusable(path, exc)) from None
    aside = path.with_name(f"{DB_NAME}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        path.rename(aside)
        for suffix in ("-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{path}{suffix}").unlink()
    except OSError as exc:
        message = f"the history in {path} is damaged and cannot be set aside: {exc}"
        raise StoreError(message) from None
    log.warning(
        "the saved history in %s was damaged: set aside as %s; the room starts afresh (new epoch)",
        path,
        aside.name,
    )
    try:
        store = SqliteStore(path, history, days)
    except sqlite3.DatabaseError as exc:
        raise StoreError(_unusable(path, exc)) from None
    store.notice = (
        f"The room's saved history was damaged: it was set aside as {aside.name}"
        f" in {directory}, and the room starts without it."
    )
    return store


def open_hosted_history(port: int, history: int = 100) -> SqliteStore | str | None:
    """The saved history of a room hosted from the window on ``port``
    (:func:`~.store.hosted_room_dir`): the store, None for port 0, or a sentence
    for the host's dialog saying why it cannot be kept."""
    directory = hosted_room_dir(port)
    if directory is None:
        return None
    try:
        return open_store(directory, history=history)
    except StoreError as exc:
        reason = str(exc)
        advice = "Choose another port, or 0 for a room without saved history."
        return f"{reason[0].upper()}{reason[1:]}. {advice}"


def _unusable(path: Path, exc: sqlite3.DatabaseError) -> str:
    text = str(exc)
    if "locked" in text:
        return f"the history in {path} is in use by another room: give each room its own --data"
    return f"cannot keep the room's history in {path}: {text}"


class SqliteStore:
    """A room's events in SQLite. Made by :func:`open_store`; see the module docstring."""

    def __init__(self, path: Path, history: int, days: float | None) -> None:
        self.path = path
        self._max_age = None if days is None else days * 86400.0
        #: A sentence for the host about what opening found (damaged, unclean), or None.
        self.notice: str | None = None
        self._keep_chat = history
        self._keep_events = max(history, RESUME_EVENTS)
        fresh = not path.exists()
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            self._saved, self._salt = self._prepare(db, fresh)
        except BaseException:
            db.close()
            raise
        self._db = db
        self._writer = Writer(db, self._prune, str(path))

    # --- HistoryStore ---------------------------------------------------------------------

    @property
    def epoch(self) -> str:
        return self._saved.epoch

    @property
    def saved(self) -> Saved:
        return self._saved

    @property
    def max_age(self) -> float | None:
        return self._max_age

    def tag(self, token: str) -> str:
        """A keyed hash of ``token``: it names the client here and on disk, and
        resuming needs the token itself (see README, "Saved history")."""
        return hashlib.blake2b(token.encode(), key=self._salt, digest_size=16).hexdigest()

    def append(self, entry: Entry) -> None:
        self._writer.put(
            (
                entry.id,
                entry.time,
                int(entry.chat),
                entry.author,
                entry.cid,
                entry.to,
                entry.v1,
                entry.v2,
            )
        )

    def close(self) -> None:
        self._writer.close()

    @property
    def failed(self) -> bool:
        """Saving stopped (a full disk, a write error): the room goes on from memory."""
        return self._writer.failed

    # --- opening --------------------------------------------------------------------------

    def _prepare(self, db: sqlite3.Connection, fresh: bool) -> tuple[Saved, bytes]:
        """Lock, check, mark unclean, prune and read the database (the opening thread)."""
        db.execute("PRAGMA locking_mode=EXCLUSIVE")
        # A room on this folder that is still closing (hosting again at once) gets a moment.
        db.execute(f"PRAGMA busy_timeout={int(LOCK_WAIT * 1000)}")
        if db.execute("PRAGMA journal_mode=WAL").fetchone()[0].lower() != "wal":
            raise sqlite3.OperationalError("the database cannot use WAL mode here")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("BEGIN IMMEDIATE")  # takes the exclusive lock, or "database is locked"
        try:
            if not fresh and db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise _Damaged("the database failed its check")
            for statement in _SCHEMA:
                db.execute(statement)
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
            saved, salt = self._meta(db, meta)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return saved, salt

    def _meta(self, db: sqlite3.Connection, meta: dict[str, str]) -> tuple[Saved, bytes]:
        if meta and meta.get("version") != SCHEMA_VERSION:
            raise sqlite3.OperationalError(
                f"it was made by another version of desktopchat (schema {meta.get('version')})"
            )
        top = db.execute("SELECT max(id) FROM events").fetchone()[0] or 0
        gone = None
        if "gone_id" in meta:
            gone = (int(meta["gone_id"]), float(meta["gone_time"]))
        highest = max(top, gone[0] if gone else 0, int(meta.get("last_id", "0")))
        if not meta:
            epoch, base = secrets.token_hex(6), 0
            log.info("saved history: a new database in %s (epoch %s)", self.path, epoch)
        elif meta.get("clean") != "1":
            epoch, base = secrets.token_hex(6), highest
            log.warning(
                "saved history in %s: the room did not close cleanly last time (or could not"
                " save everything), so the newest events may be missing: new epoch %s;"
                " the saved messages are kept",
                self.path,
                epoch,
            )
            self.notice = (
                "The room did not close cleanly last time, so its newest messages may not"
                " have been saved: people who come back are told earlier messages may be gone."
            )
        else:
            epoch, base = meta["epoch"], int(meta.get("base", "0"))
        salt = bytes.fromhex(meta["salt"]) if "salt" in meta else secrets.token_bytes(16)
        values = {
            "version": SCHEMA_VERSION,
            "epoch": epoch,
            "base": str(base),
            "salt": salt.hex(),
            "clean": "0",  # until close() has written everything
            "last_id": str(highest),
        }
        db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", values.items())
        gone = self._prune(db, time.time()) or gone
        events = self._newest(db)
        saved = Saved(epoch, last_id=highest, base=base, gone=gone, events=events)
        return saved, salt

    def _newest(self, db: sqlite3.Connection) -> list[Entry]:
        """The saved events the room's memory can use, oldest first."""
        first = self._cut(db, self._keep_chat, self._keep_events)
        rows = db.execute(
            "SELECT id, time, v1, v2, author, cid, recipient, chat FROM events"
            " WHERE id >= ? ORDER BY id",
            (first,),
        )
        return [
            Entry(i, t, bytes(a), bytes(b), u, c, r, bool(h)) for i, t, a, b, u, c, r, h in rows
        ]

    # --- pruning (opening thread, then the writer's) -----------------------------------------

    @staticmethod
    def _cut(db: sqlite3.Connection, chat: int, events: int) -> int:
        """The oldest id to keep: from the ``chat``-th newest chat message or the
        ``events``-th newest event, whichever is older."""
        row = db.execute(
            "SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?", (events - 1,)
        ).fetchone()
        if row is None:
            return 0
        cut = int(row[0])
        if chat:
            row = db.execute(
                "SELECT id FROM events WHERE chat ORDER BY id DESC LIMIT 1 OFFSET ?",
                (chat - 1,),
            ).fetchone()
            if row is None:
                return 0
            cut = min(cut, int(row[0]))
        return cut

    def _prune(self, db: sqlite3.Connection, now: float) -> tuple[int, float] | None:
        """Delete what is beyond N messages or D days (inside the caller's
        transaction); the (id, time) of the newest deleted, also kept in meta."""
        cut = self._cut(db, self._keep_chat, self._keep_events)
        where, args = "id < ?", [float(cut)]
        if self._max_age is not None:
            where, args = "id < ? OR time < ?", [cut, now - self._max_age]
        newest = db.execute(
            f"SELECT id, time FROM events WHERE {where} ORDER BY id DESC LIMIT 1", args
        ).fetchone()
        if newest is None:
            return None
        db.execute(f"DELETE FROM events WHERE {where}", args)
        gone = (int(newest[0]), float(newest[1]))
        db.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            (("gone_id", str(gone[0])), ("gone_time", repr(gone[1]))),
        )
        return gone
