"""``--serve --data DIR`` as a user runs it: a real subprocess, stopped and started again."""

from __future__ import annotations

import signal
from pathlib import Path

from peer import Peer
from test_cli_serve import ServeProcess, start
from waiting import TIMEOUT

from desktopchat.protocol import events

SERVE = ["--bind", "127.0.0.1", "--port", "0", "--no-announce"]


def test_serve_with_data_keeps_the_history_across_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "room"
    first = ServeProcess(start([*SERVE, "--data", str(data), "--history", "5"], tmp_path))
    try:
        with Peer(first.wait_port()) as ann:
            ann.enter("ann")
            for i in range(7):
                ann.send(f"message {i}")
            with Peer(first.wait_port()) as bob:  # the last one said is in the room
                bob.enter("bob")
                bob.expect(events.HISTORY)
                while bob.pair()[1] != "message 6":
                    pass
        first.proc.send_signal(signal.SIGTERM)
        assert first.finish() == 0
    finally:
        first.proc.kill()
    assert "a new database" in "".join(first.lines)

    again = ServeProcess(start([*SERVE, "--data", str(data), "--history", "5"], tmp_path))
    try:
        with Peer(again.wait_port()) as carol:
            carol.enter("carol")
            assert carol.expect(events.HISTORY) == "5"
            for i in range(2, 7):
                carol.expect("ann", f"message {i}")
        again.proc.send_signal(signal.SIGTERM)
        assert again.finish() == 0
    finally:
        again.proc.kill()
    assert not [line for line in again.lines if "history" in line and "WARNING" in line]


def test_serve_with_an_unusable_data_folder_is_one_line_and_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "not a folder"
    blocker.write_text("")
    proc = start([*SERVE, "--data", str(blocker / "room")], tmp_path)
    _, err = proc.communicate(timeout=TIMEOUT * 3)
    assert proc.returncode == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("desktopchat: cannot make the folder"), err


def test_history_days_needs_data(tmp_path: Path) -> None:
    proc = start([*SERVE, "--history-days", "7"], tmp_path)
    _, err = proc.communicate(timeout=TIMEOUT * 3)
    assert proc.returncode == 2
    assert err.strip() == "desktopchat: --history-days is for saved history: give --data DIR too"
