"""``--serve --redis URL --room NAME`` from the command line (real processes).

Without the redis package: one line saying how to install it, exit code 2.
With a real redis-server: the second server's invitation lists the first
one's address too, and a client joining either hears the other.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rediskit import Events, RedisProcess, redis_server  # noqa: F401

from desktopchat.protocol import events as ev

ROOT = Path(__file__).resolve().parent.parent


def run_main(*args: str, without_redis: bool = False) -> subprocess.CompletedProcess[str]:
    hide = "import sys; sys.modules['redis'] = None; " if without_redis else "import sys; "
    code = hide + "from desktopchat.__main__ import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
    )


def test_without_the_redis_package_one_line_says_how_to_install_it() -> None:
    done = run_main("--serve", "--redis", "redis://127.0.0.1:1/0", without_redis=True)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "desktopchat: --redis needs the redis package: pip install 'desktopchat[redis]'"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--room", "x"), "--room is for a room shared through Redis: give --redis URL too"),
        (("--redis", "http://x"), "--redis expects redis://HOST:PORT/DB, got 'http://x'"),
        (
            ("--redis", "redis://127.0.0.1:1/0", "--data", "d"),
            "--data and --redis: a Redis room keeps its history in Redis",
        ),
    ],
)
def test_options_that_do_not_go_together(args: tuple[str, ...], message: str) -> None:
    done = run_main("--serve", "--no-announce", *args)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == f"desktopchat: {message}"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def serve(redis_server: RedisProcess) -> Iterator[Any]:  # noqa: F811
    procs: list[subprocess.Popen[str]] = []

    def start(port: int) -> subprocess.Popen[str]:
        args = ["--serve", "--redis", redis_server.url, "--room", "cli", "--no-announce"]
        args += ["--bind", "127.0.0.1", "--port", str(port)]
        proc = subprocess.Popen(
            [sys.executable, "-m", "desktopchat", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(10)


def address_line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("Address:"):
            return line.strip()
    raise AssertionError("no invitation printed")


def test_the_invitation_lists_every_server_and_both_serve_one_room(
    serve: Any, make_client: Any
) -> None:
    first, second = _port(), _port()
    assert address_line(serve(first)) == f"Address: 127.0.0.1:{first}"
    listed = address_line(serve(second))
    assert listed == f"Address: 127.0.0.1:{second} (or 127.0.0.1:{first})"
    ann = Events(make_client(("127.0.0.1", first), "ann"))
    bob = Events(make_client(("127.0.0.1", second), "bob"))
    for who in (ann, bob):
        who.client.start()
        who.wait(lambda e: isinstance(e, ev.Replay), "to join")
    ann.client.send("hello across")
    said = bob.wait(lambda e: isinstance(e, ev.Message), "ann's line")
    assert isinstance(said, ev.Message) and said.text == "hello across"
