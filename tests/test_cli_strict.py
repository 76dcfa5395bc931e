"""The command line is strict: no abbreviations, no option twice, no ignored option,
and no display is one line and exit code 2. Each case runs the real program."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from waiting import TIMEOUT

from desktopchat.cliopts import NO_DISPLAY


def run(args: list[str], tmp_path: Path, *, display: str | None = None) -> tuple[int, str]:
    env = {**os.environ, "DESKTOPCHAT_HOME": str(tmp_path)}
    env.pop("DESKTOPCHAT_PASSWORD", None)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    if display is not None:
        env["DISPLAY"] = display
    proc = subprocess.run(
        [sys.executable, "-m", "desktopchat", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT * 3,
        stdin=subprocess.DEVNULL,
    )
    return proc.returncode, proc.stderr


def last_line(stderr: str) -> str:
    return stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        # an abbreviation of --password-file is not taken as that option
        (["--password", "secret"], "unrecognized arguments: --password secret"),
        (["--serve", "--po", "1300"], "unrecognized arguments: --po 1300"),
        # the port of --host is its own argument; --port would be ignored
        (["--host", "1234", "--port", "1300"], "--port is for --serve: with --host"),
        (["--join", "example.org:1234", "--port", "1300"], "--join takes the port in HOST:PORT"),
        # a port given twice, in whatever form: argparse would keep the last silently
        (["--serve", "--port", "1234", "--port=1300"], "argument --port: given more than once"),
        (["--host=1234", "--host", "1300"], "argument --host: given more than once"),
        (["--join", "a:1", "--join=b:2"], "argument --join: given more than once"),
        # one mode at a time
        (["--join", "a:1", "--serve"], "not allowed with argument --join"),
        (["--host", "--serve"], "not allowed with argument --host"),
        # server options do nothing without --serve
        (["--history", "5"], "--history is a server option: use it with --serve"),
        (["--host", "--bind", "127.0.0.1"], "--bind is a server option"),
        (["--serve", "--name", "ann"], "--name is for the window"),
    ],
)
def test_conflicting_or_unknown_options_are_usage_errors(
    tmp_path: Path, args: list[str], complaint: str
) -> None:
    code, stderr = run(args, tmp_path)
    assert code == 2, stderr
    assert "Traceback" not in stderr
    assert complaint in last_line(stderr), stderr


@pytest.mark.parametrize("args", [[], ["--join", "127.0.0.1:9"], ["--host", "0"]])
def test_no_display_is_one_line_and_exit_2(tmp_path: Path, args: list[str]) -> None:
    code, stderr = run(args, tmp_path)
    assert code == 2
    assert stderr.splitlines() == [f"desktopchat: {NO_DISPLAY}"]


def test_unreachable_display_names_it(tmp_path: Path) -> None:
    code, stderr = run([], tmp_path, display=":187")  # no X server there
    assert code == 2
    lines = stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr
    assert lines[0].startswith("desktopchat: cannot open a window on display :187:")
