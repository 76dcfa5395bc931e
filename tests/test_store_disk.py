"""The saved history's database: pruning (N messages, D days), damage, unclean runs, a full disk.

Real SQLite files in a tmp folder, opened with ``open_store`` as ``--serve
--data`` does; a real RoomServer and protocol-2 clients where the room's
behaviour is what matters.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from pathlib import Path

import pytest
from storekit import V2, saved_room, texts
from waiting import wait_until

from desktopchat.protocol import events as ev
from desktopchat.protocol import wire
from desktopchat.server import RoomServer
from desktopchat.server.history import RESUME_EVENTS, Entry
from desktopchat.server.sqlitestore import DB_NAME, open_store
from desktopchat.server.store import StoreError

DAY = 86400.0


def entry(id_: int, when: float) -> Entry:
    """A chat message from "ann", as the room would have recorded it."""
    event = ev.Message(f"message {id_}", sender="ann", id=id_, time=when)
    return Entry(id_, when, wire.encode_v1(event), wire.encode_v2(event), chat=True)


def fill(folder: Path, entries: list[Entry], **options: object) -> str:
    """Save ``entries`` through a store (closed cleanly); return its epoch."""
    store = open_store(folder, **options)  # type: ignore[arg-type]
    for one in entries:
        store.append(one)
    store.close()
    return store.epoch


def rows(folder: Path) -> list[int]:
    with contextlib.closing(sqlite3.connect(folder / DB_NAME)) as db:
        return [i for (i,) in db.execute("SELECT id FROM events ORDER BY id")]


def test_the_store_keeps_the_last_n_messages_and_the_resume_window(tmp_path: Path) -> None:
    now = time.time()
    epoch = fill(tmp_path, [entry(i, now) for i in range(1, 1201)], history=1100)
    assert rows(tmp_path) == list(range(101, 1201))
    store = open_store(tmp_path, history=3)  # fewer messages: the resume window stays
    assert store.epoch == epoch
    assert [e.id for e in store.saved.events] == list(range(201, 1201))
    assert store.saved.gone == (200, now)
    assert store.saved.last_id == 1200
    store.close()
    assert len(rows(tmp_path)) == RESUME_EVENTS


def test_the_store_forgets_messages_older_than_d_days_and_a_resume_gets_a_gap(
    tmp_path: Path,
) -> None:
    now = time.time()
    old = [entry(i, now - 3 * DAY) for i in range(1, 6)]
    fill(tmp_path, [*old, *(entry(i, now) for i in range(6, 9))], days=1)
    assert rows(tmp_path) == [6, 7, 8]
    with saved_room(tmp_path, days=1) as room:
        epoch = room._room.epoch
        ann = V2(room.address, "ann", "annToken", resume=(epoch, 2))
        _, replay = ann.joined()
        gap = replay.gap
        assert gap is not None and (gap.first, gap.last) == (3, 5)
        assert gap.until == pytest.approx(now - 3 * DAY)
        ann.close()


def test_messages_older_than_d_days_are_not_shown_while_the_room_runs(tmp_path: Path) -> None:
    # The room's clock says it is three days ago: what ann says is too old at once.
    with saved_room(tmp_path, days=1, clock=lambda: time.time() - 3 * DAY) as room:
        ann = V2(room.address, "ann", "annToken")
        ann.joined()
        ann.say("stale")
        bob = V2(room.address, "bob", "bobToken")
        assert texts(bob.joined()[1].events) == []
        ann.close()
        bob.close()


def test_a_damaged_database_is_set_aside_and_the_room_starts_a_new_epoch(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / DB_NAME).write_bytes(b"not a database at all " * 500)
    with caplog.at_level(logging.WARNING), saved_room(tmp_path) as room:
        ann = V2(room.address, "ann", "annToken")
        welcome, replay = ann.joined()
        assert welcome.epoch and replay.events == ()
        ann.say("a fresh start")
        ann.close()
    assert "damaged" in caplog.text and "new epoch" in caplog.text
    aside = [p.name for p in tmp_path.iterdir() if p.name.startswith(f"{DB_NAME}.damaged-")]
    assert len(aside) == 1
    store = open_store(tmp_path)
    assert store.epoch == welcome.epoch  # the new database was closed cleanly
    assert [e.chat for e in store.saved.events].count(True) == 1
    store.close()


def test_a_run_that_did_not_close_cleanly_takes_a_new_epoch_and_keeps_the_messages(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with saved_room(tmp_path) as room:
        ann = V2(room.address, "ann", "annToken")
        first, _ = ann.joined()
        said = ann.say("kept")
        ann.close()
    with contextlib.closing(sqlite3.connect(tmp_path / DB_NAME)) as db:  # as a crash leaves it
        db.execute("UPDATE meta SET value = '0' WHERE key = 'clean'")
        db.commit()
    with caplog.at_level(logging.WARNING), saved_room(tmp_path) as room:
        assert "did not close cleanly" in caplog.text
        bob = V2(room.address, "bob", "bobToken")
        welcome, replay = bob.joined()
        assert welcome.epoch != first.epoch
        assert [(e.id, e.text) for e in replay.events] == [(said.id, "kept")]  # type: ignore[union-attr]
        bob.say("new run")
        # ann resumes from the old epoch: she gets this run's events, not the old ones again.
        ann = V2(room.address, "ann", "annToken", resume=(first.epoch, said.id))  # type: ignore[arg-type]
        _, resumed = ann.joined()
        assert texts(resumed.events) == ["new run"]
        assert all(e.id > said.id for e in resumed.events)  # type: ignore[operator]
        ann.close()
        bob.close()


def test_a_full_disk_is_a_warning_and_the_room_goes_on_from_memory(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = open_store(tmp_path)
    # SQLite's own ceiling on the file's size: the same error as a full disk.
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages + 2}")
    with caplog.at_level(logging.WARNING):
        with RoomServer("127.0.0.1", 0, store=store, rate_limits=None) as room:
            ann = V2(room.address, "ann", "annToken")
            first, _ = ann.joined()
            for i in range(40):
                ann.say(f"{i} " + "x" * 2000)
            wait_until(lambda: store.failed, what="the database filled up")
            ann.say("after the disk filled up")
            bob = V2(room.address, "bob", "bobToken")
            assert texts(bob.joined()[1].events)[-1] == "after the disk filled up"
            ann.close()
            bob.close()
        assert "cannot save the room's history" in caplog.text
        again = open_store(tmp_path)  # not closed cleanly: a new epoch
        assert again.epoch != first.epoch
        again.close()


def test_a_folder_in_use_by_another_room_is_refused(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    try:
        with pytest.raises(StoreError, match="in use by another room"):
            open_store(tmp_path)
    finally:
        store.close()
    open_store(tmp_path).close()  # free again


def test_a_folder_that_cannot_hold_the_history_is_one_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("")
    with pytest.raises(StoreError, match="cannot make the folder"):
        open_store(blocker / "room")
    (tmp_path / "room" / DB_NAME).mkdir(parents=True)
    with pytest.raises(StoreError, match="cannot keep the room's history in"):
        open_store(tmp_path / "room")
