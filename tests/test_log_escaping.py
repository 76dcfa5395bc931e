"""Issue 8, finding 7: text from the network cannot forge a log line.

Through the real logging set-up (``applog.setup_logging``, as ``-vv`` makes
it): the log file and the console get one line per record, whatever line
breaks, controls or bidi characters the message holds.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from peer import Peer

from desktopchat import applog
from desktopchat.server import RoomServer

FORGED = (
    "hi\n2026-11-30 10:20:00,000 WARNING MainThread desktopchat.server.room: "
    "10.0.0.7: wrong password for 'admin'"
)
#: What starts a record in the log file: its time stamp.
RECORD = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")


def log_lines(path: Path) -> list[str]:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_bytes().decode("utf-8").splitlines()  # as an editor splits it


def test_chat_text_logged_at_vv_is_one_line_with_the_newline_escaped(
    applog_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = applog.setup_logging(2, console=True)
    logging.getLogger("desktopchat.server.room").debug("<%s> %s", "eve", FORGED)
    lines = log_lines(path)
    forged = [line for line in lines if "wrong password for 'admin'" in line]
    assert len(forged) == 1, lines
    assert "DEBUG" in forged[0] and "<eve> hi\\n2026-11-30 10:20:00,000 WARNING" in forged[0]
    assert not [line for line in lines if line.startswith("2026-11-30 10:20")]
    console = capsys.readouterr().err.splitlines()
    assert len([line for line in console if "wrong password" in line]) == 1, console


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\r\n", "\\r\\n"),
        ("\r", "\\r"),
        ("\x85", "\\x85"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
        ("\x0b", "\\x0b"),
        ("\x0c", "\\x0c"),
        ("\x1b[2K", "\\x1b[2K"),
        ("\x00", "\\x00"),
    ],
    ids=["crlf", "cr", "nel", "ls", "ps", "vt", "ff", "ansi", "nul"],
)
def test_every_line_break_and_control_is_escaped(applog_home: Path, text: str, shown: str) -> None:
    path = applog.setup_logging(2, console=False)
    logging.getLogger("desktopchat.test").info("said a%sb", text)
    said = [line for line in log_lines(path) if "said" in line]
    assert len(said) == 1 and RECORD.match(said[0]), said
    assert said[0].endswith(f"said a{shown}b")


def test_bidi_controls_are_escaped(applog_home: Path) -> None:
    path = applog.setup_logging(0, console=False)
    logging.getLogger("desktopchat.test").warning("file %s", "\u202etxt.exe")
    assert log_lines(path)[-1].endswith("file \\u202etxt.exe")


def test_backslashes_stay_and_a_traceback_keeps_its_lines(applog_home: Path) -> None:
    path = applog.setup_logging(0, console=False)
    log = logging.getLogger("desktopchat.test")
    log.info("plain: C:\\path\\n, tab\there")
    try:
        raise ValueError("boom")
    except ValueError:
        log.warning("failed\nbadly", exc_info=True)
    lines = log_lines(path)
    plain = [line for line in lines if "plain:" in line]
    assert plain and plain[0].endswith("plain: C:\\path\\n, tab\\there")  # backslashes stay
    at = next(n for n, line in enumerate(lines) if "failed" in line)
    assert RECORD.match(lines[at]) and lines[at].endswith("failed\\nbadly")
    assert lines[at + 1] == "Traceback (most recent call last):"
    assert lines[-1] == "ValueError: boom"


def test_a_room_at_vv_logs_a_forging_chat_line_as_one_line(applog_home: Path) -> None:
    path = applog.setup_logging(2, console=False)
    with (
        RoomServer("127.0.0.1", 0) as room,
        Peer.joined(room.address, "eve") as eve,
        Peer.joined(room.address, "bob") as bob,
    ):
        eve.send(FORGED)
        assert bob.read_until("eve") == FORGED
        eve.send(f"/msg bob {FORGED}")
        assert bob.read_until("@eve") == FORGED
    lines = log_lines(path)
    forged = [line for line in lines if "wrong password for" in line]
    assert len(forged) == 2 and all(RECORD.match(line) for line in forged), forged
    assert all("<eve" in line for line in forged), forged
