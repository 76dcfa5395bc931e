"""The host's files settings on the command line: ``--serve --max-file-size SIZE
--file-senders NAMES`` (desktopchat/fileopts.py), parsed and in a real subprocess.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from filespeer import FilesPeer
from test_cli_serve import ServeProcess, start
from waiting import TIMEOUT

from desktopchat import fileopts
from desktopchat.protocol import events as ev


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("0", 0),
        ("1048576", 1048576),
        ("500M", 500 * 1024**2),
        ("2G", 2 * 1024**3),
        ("2gb", 2 * 1024**3),
        ("2GiB", 2 * 1024**3),
        ("64k", 65536),
        ("1.5G", 3 * 1024**3 // 2),
        ("10B", 10),
    ],
)
def test_sizes(text: str, size: int) -> None:
    assert fileopts.parse_size(text) == size


@pytest.mark.parametrize("text", ["", "x", "-1", "2X", "M", "2T", "1.5.2"])
def test_sizes_refused(text: str) -> None:
    with pytest.raises(ValueError, match="size"):
        fileopts.parse_size(text)


def test_senders() -> None:
    assert fileopts.parse_senders("ann, bob,,") == frozenset({"ann", "bob"})
    assert fileopts.parse_senders("") is None
    assert fileopts.parse_senders("*") is None
    with pytest.raises(ValueError, match="'b c' is not a name"):
        fileopts.parse_senders("ann, b c")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktopchat", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 2,
        check=False,
    )


def test_bad_values_and_the_wrong_mode_are_usage_errors() -> None:
    bad = run("--serve", "--max-file-size", "lots")
    assert bad.returncode == 2
    assert "not a size: 'lots'" in bad.stderr
    window = run("--max-file-size", "1M", "--name", "ann")
    assert window.returncode == 2
    assert "--max-file-size" in window.stderr


def test_a_served_room_takes_the_hosts_settings(tmp_path: Path) -> None:
    args = ["--bind", "127.0.0.1", "--port", "0", "--max-file-size", "1K"]
    proc = start([*args, "--file-senders", "ann,carol"], tmp_path)
    serve = ServeProcess(proc)
    try:
        address = serve.wait_port()
        with FilesPeer(address, "ann") as ann, FilesPeer(address, "bob") as bob:
            assert ann.conn.files_max == 1024
            assert isinstance(ann.offer_answer(b"x" * 1024), ev.Accepted)
            assert ann.offer_answer(b"x" * 1025, "big.bin") == ev.Rejected(
                2, "big.bin is 1.0 KB: this room takes files of up to 1.0 KB."
            )
            assert bob.offer_answer(b"x") == ev.Rejected(
                1, "The host does not let you send files in this room."
            )
        proc.send_signal(signal.SIGTERM)
        assert serve.finish() == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
