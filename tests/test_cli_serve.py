"""``python -m desktopchat --serve`` as a user runs it: a real subprocess."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from peer import Peer
from waiting import TIMEOUT

from desktopchat.protocol import events


def start(args: list[str], tmp_path: Path, **env: str) -> subprocess.Popen[str]:
    environment = {**os.environ, "DESKTOPCHAT_HOME": str(tmp_path), **env}
    environment.pop("DESKTOPCHAT_PASSWORD", None)
    environment.update(env)
    return subprocess.Popen(
        [sys.executable, "-m", "desktopchat", "--serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )


class ServeProcess:
    """A running ``--serve`` process whose stderr is collected on a thread."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._port = threading.Event()
        self.port = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)
            match = re.search(r"room listening on 127\.0\.0\.1:(\d+)", line)
            if match:
                self.port = int(match.group(1))
                self._port.set()

    def wait_port(self) -> tuple[str, int]:
        assert self._port.wait(TIMEOUT * 2), f"no port logged: {self.lines}"
        return "127.0.0.1", self.port

    def finish(self) -> int:
        code = self.proc.wait(TIMEOUT)
        self._reader.join(TIMEOUT)
        return code


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[ServeProcess]:
    proc = start(["--bind", "127.0.0.1", "--port", "0"], tmp_path)
    sp = ServeProcess(proc)
    yield sp
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_serve_serves_clients_and_exits_0_on_sigterm(serve: ServeProcess) -> None:
    address = serve.wait_port()
    alice = Peer(address)
    alice.enter("alice")
    bob = Peer(address)
    assert bob.enter("bob") == ["alice", "bob"]
    alice.expect(events.JOIN, "bob")
    alice.send("hi bob")
    bob.expect("alice", "hi bob")
    serve.proc.send_signal(signal.SIGTERM)
    assert serve.finish() == 0
    for peer in (alice, bob):
        assert peer.until_closed() == [(events.INFO, events.ROOM_CLOSED)]
    log = "".join(serve.lines)
    assert "others can join at: 127.0.0.1:" in log
    assert "Traceback" not in log
    assert "hi bob" not in log  # chat text is not logged at the default level


def test_ctrl_c_is_a_clean_stop(serve: ServeProcess) -> None:
    address = serve.wait_port()
    with Peer(address) as alice:
        alice.enter("alice")
        serve.proc.send_signal(signal.SIGINT)
        assert serve.finish() == 0
        assert alice.until_closed() == [(events.INFO, events.ROOM_CLOSED)]
    assert "Traceback" not in "".join(serve.lines)


def test_password_from_file_and_environment(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("open sesame\nignored second line\n", encoding="utf-8")
    for args, env in (
        (["--password-file", str(secret)], {}),
        ([], {"DESKTOPCHAT_PASSWORD": "open sesame"}),
    ):
        sp = ServeProcess(start(["--bind", "127.0.0.1", "--port", "0", *args], tmp_path, **env))
        try:
            address = sp.wait_port()
            with Peer(address) as good:
                assert good.enter("alice", password="open sesame") == ["alice"]
            with Peer(address) as bad:
                bad.send("eve")
                assert bad.answer() == (events.AUTH, "password required")
                bad.send("open sesame\n")
                assert bad.closed_with_error() == "Wrong password."
            sp.proc.send_signal(signal.SIGTERM)
            assert sp.finish() == 0
        finally:
            if sp.proc.poll() is None:
                sp.proc.kill()
        assert "open sesame" not in "".join(sp.lines)


def _problem_lines(stderr: str) -> list[str]:
    # The complaint must be the only line besides INFO (a first start says it
    # created the room's certificate before it finds the port taken).
    return [line for line in stderr.splitlines() if line.strip() and " INFO " not in line]


def test_busy_port_exits_2_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = start(["--bind", "127.0.0.1", "--port", str(port)], tmp_path)
        _, stderr = proc.communicate(timeout=TIMEOUT * 2)
    assert proc.returncode == 2
    assert "Traceback" not in stderr
    lines = _problem_lines(stderr)
    assert len(lines) == 1, stderr
    assert f"port {port}" in lines[0] and "already in use" in lines[0]


def test_unreadable_password_file_exits_2(tmp_path: Path) -> None:
    proc = start(
        ["--bind", "127.0.0.1", "--port", "0", "--password-file", str(tmp_path / "missing")],
        tmp_path,
    )
    _, stderr = proc.communicate(timeout=TIMEOUT * 2)
    assert proc.returncode == 2
    lines = _problem_lines(stderr)
    assert len(lines) == 1 and "password file" in lines[0], stderr
