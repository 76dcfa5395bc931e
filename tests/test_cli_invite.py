"""The invitation end to end: ``--serve`` prints it, ``--join`` takes its link (real subprocesses).

Every room here listens on 127.0.0.1, so nothing is announced on the real
network (a room with no network address is never announced); the one that
announces runs inside a private network namespace (tests/netns.py).
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from netns import run_in_namespace
from peer import Peer
from waiting import TIMEOUT

from desktopchat.net.invite import JoinTarget, parse_join_target
from desktopchat.server.tlsconn import ENCRYPTED_ONLY

SERVE = [sys.executable, "-m", "desktopchat", "--serve"]


def environment(home: Path) -> dict[str, str]:
    env = {**os.environ, "DESKTOPCHAT_HOME": str(home)}
    env.pop("DESKTOPCHAT_PASSWORD", None)
    return env


class Served:
    """A ``--serve`` process; its invitation (stdout) and log (stderr) read on threads."""

    def __init__(self, home: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [*SERVE, "--bind", "127.0.0.1", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(home),
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._invited = threading.Event()
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self.out), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self.err), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: object, lines: list[str]) -> None:
        assert stream is not None
        for line in stream:  # type: ignore[attr-defined]
            lines.append(line)
            if line.startswith("Password:"):  # the invitation's last line
                self._invited.set()

    def invitation(self) -> str:
        assert self._invited.wait(TIMEOUT * 2), f"no invitation: {self.out} {self.err}"
        return "".join(self.out)

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(TIMEOUT)
        for reader in self._readers:
            reader.join(TIMEOUT)
        return code


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def served(home: Path) -> Iterator[list[Served]]:
    started: list[Served] = []
    yield started
    for process in started:
        if process.proc.poll() is None:
            process.proc.kill()
            process.proc.wait()


def certificate_fingerprint(address: tuple[str, int]) -> str:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # we read the certificate, we do not trust it
    with (
        socket.create_connection(address, timeout=TIMEOUT) as raw,
        context.wrap_socket(raw) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return hashlib.sha256(der).hexdigest()


def test_serve_prints_an_invitation_pinned_to_its_certificate(
    home: Path, served: list[Served]
) -> None:
    room = Served(home, "--room-name", "Lab  room")
    served.append(room)
    text = room.invitation()
    assert "python" not in text.lower()
    assert "Open desktopchat, choose Room ▸ Join room… and paste this link:" in text
    target = parse_join_target(text)
    assert target.host == "127.0.0.1"
    assert target.room_name == "Lab room"
    assert target.password_needed is False
    assert target.fingerprint == certificate_fingerprint(target.address)
    assert f"Address: 127.0.0.1:{target.port}\n" in text
    assert f"Fingerprint: {target.fingerprint[:4]} " in text
    assert room.stop() == 0
    log = "".join(room.err)
    assert "The room listens on 127.0.0.1 only, so nobody on another computer can join" in log
    assert "room not announced on the network: the room listens on 127.0.0.1 only" in log

    # The identity is kept: the next run has the same fingerprint.
    again = Served(home, "--password-file", str(write(home / "pw", "secret\n")))
    served.append(again)
    second = parse_join_target(again.invitation())
    assert second.fingerprint == target.fingerprint
    assert second.password_needed is True
    assert second.room_name is not None and "'s room on " in second.room_name
    assert again.stop() == 0


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_encrypted_only_refuses_a_plaintext_client(home: Path, served: list[Served]) -> None:
    room = Served(home, "--encrypted-only", "--no-announce")
    served.append(room)
    text = room.invitation()
    assert "Encrypted: yes (unencrypted connections are refused)" in text
    target = parse_join_target(text)
    with Peer(target.address, tutorial=True) as console:
        console.send("bob")
        assert console.pair() == ("*error", ENCRYPTED_ONLY)
    assert room.stop() == 0


@pytest.mark.parametrize(
    ("link", "words"),
    [
        ("desktopchat://192.0.2.2:1234?fp=123", "fingerprint (fp=) is not 64 hexadecimal digits"),
        ("desktopchat://192.0.2.2:99999", "Port must be a number from 1 to 65535"),
        ("ftp://192.0.2.2:1234", "ftp:// links are not desktopchat rooms"),
    ],
)
def test_join_with_a_malformed_link_is_one_clear_line(home: Path, link: str, words: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "desktopchat", "--join", link],
        capture_output=True,
        text=True,
        env=environment(home),
        timeout=TIMEOUT * 4,
    )
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("desktopchat: error: argument --join")
    assert words in last
    assert done.stdout == ""


def test_join_accepts_a_link(monkeypatch: pytest.MonkeyPatch) -> None:
    from desktopchat import __main__ as cli

    calls: list[dict[str, object]] = []

    def run(**keywords: object) -> int:
        calls.append(keywords)
        return 0

    monkeypatch.setattr("desktopchat.gui.run", run)
    fp = "0f" * 32
    assert (
        cli._window(
            cli.build_parser().parse_args(["--join", f"desktopchat://h:7?fp={fp}"]),
            cli.build_parser(),
        )
        == 0
    )
    [call] = calls
    assert (call["join"], call["pin"]) == (("h", 7), fp)
    assert cli.build_parser().parse_args(["--join", "h:7"]).join == JoinTarget("h", 7)


def test_announced_room_is_found_with_the_invitations_fingerprint() -> None:
    report = run_in_namespace("invite_ns.py", timeout=60)
    assert report["found"] == [report["link"]], report["stderr"]
    assert report["members"] == [1], report["stderr"]
    assert report["problems"] == [], report["stderr"]
