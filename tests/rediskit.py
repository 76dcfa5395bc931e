"""A real redis-server for the Redis room tests, and helpers around shared rooms.

:class:`RedisProcess` starts ``redis-server`` on a free port of 127.0.0.1 with
persistence off (``--save "" --appendonly no``), can kill it and start it
again on the same port (what a restart without persistence loses is what
the tests check). The ``redis_server`` fixture yields one and stops it after.
Without ``redis-server`` (or the ``redis`` package) the tests skip, unless
``DESKTOPCHAT_REQUIRE_REDIS`` is set (CI sets it): then they fail.

``python tests/rediskit.py URL ROOM PORTFILE`` runs one SharedRoomServer in a
process of its own (the tests kill it with SIGKILL) and writes its port to
PORTFILE once it listens.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from desktopchat.client import ChatClient
from desktopchat.protocol import events as ev

sys.path.insert(0, str(Path(__file__).resolve().parent))
from waiting import wait_until


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require_redis() -> str:
    """The redis-server program; skips (or fails, with DESKTOPCHAT_REQUIRE_REDIS) without it."""
    program = shutil.which("redis-server")
    try:
        import redis  # noqa: F401
    except ImportError:
        program = None
    if program is None:
        message = "redis-server and the redis package are needed (apt install redis-server)"
        if os.environ.get("DESKTOPCHAT_REQUIRE_REDIS"):
            pytest.fail(message)
        pytest.skip(message)
    return program


class RedisProcess:
    """One redis-server on 127.0.0.1, persistence off."""

    def __init__(self, program: str) -> None:
        self.program = program
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        args = [self.program, "--save", "", "--appendonly", "no"]
        args += ["--port", str(self.port), "--bind", "127.0.0.1"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        wait_until(answers, what="redis-server to answer")
        client.close()

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


@pytest.fixture
def redis_server() -> Iterator[RedisProcess]:
    server = RedisProcess(require_redis())
    yield server
    server.kill()


def shared_server(url: str, room: str = "r", **kwargs: Any) -> Any:
    """A started SharedRoomServer on 127.0.0.1 (stop it after)."""
    from desktopchat.server.redislink import open_link
    from desktopchat.server.sharedserver import SharedRoomServer

    link, state = open_link(url, room)
    server = SharedRoomServer("127.0.0.1", 0, link=link, state=state, **kwargs)
    server.start()
    return server


class Events:
    """Everything a ChatClient posted, kept for the test to look through."""

    def __init__(self, client: ChatClient) -> None:
        self.client = client
        self.seen: list[ev.Event] = []

    def _pull(self) -> None:
        while True:
            try:
                self.seen.append(self.client.events.get_nowait())
            except queue.Empty:
                return

    def wait(self, test: Callable[[ev.Event], bool], what: str, timeout: float = 10.0) -> ev.Event:
        """The first event (seen or to come) for which ``test`` holds."""
        found: list[ev.Event] = []

        def look() -> bool:
            self._pull()
            found[:] = [e for e in self.seen if test(e)][:1]
            return bool(found)

        wait_until(look, timeout, what)
        return found[0]

    def until(self, condition: Callable[[Events], bool], what: str) -> None:
        """Wait until ``condition(self)`` holds."""
        self.wait(lambda e: condition(self), what)

    def texts(self) -> list[tuple[int | None, str]]:
        """(id, text) of the messages seen, in order (those in a replay too)."""
        self._pull()
        flat = [x for e in self.seen for x in (e.events if isinstance(e, ev.Replay) else (e,))]
        return [(e.id, e.text) for e in flat if isinstance(e, ev.Message)]

    def acks(self) -> dict[int, int | None]:
        """cid -> id of the Accepted seen."""
        self._pull()
        return {e.cid: e.id for e in self.seen if isinstance(e, ev.Accepted)}


def _serve(url: str, room: str, portfile: str) -> None:
    server = shared_server(url, room, rate_limits=None)
    Path(portfile + ".tmp").write_text(str(server.address[1]))
    os.replace(portfile + ".tmp", portfile)
    signal.sigwait({signal.SIGTERM})
    server.stop()


def spawn(url: str, room: str, tmp: Path) -> tuple[subprocess.Popen[bytes], int]:
    """A SharedRoomServer in a process of its own; its port."""
    portfile = tmp / f"port-{time.monotonic_ns()}"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen([sys.executable, __file__, url, room, str(portfile)], env=env)
    wait_until(portfile.exists, 20.0, "the server process to listen")
    return proc, int(portfile.read_text())


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    _serve(sys.argv[1], sys.argv[2], sys.argv[3])
