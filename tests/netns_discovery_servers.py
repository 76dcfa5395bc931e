"""A Redis room's servers found as ONE room, run INSIDE a private network namespace.

Started by tests/test_discovery_netns_servers.py; never run it on its own (it
sends multicast). The namespace gets a LAN-like address on its loopback
(10.77.0.1, so the rooms are announced: a room on 127.0.0.1 only is not), a
real redis-server, and real ``python -m desktopchat --serve --redis``
processes sharing one room (and one identity). A real Browser and
``--discover`` look at them; a real ChatClient joins from what the browser
found and moves to the other server when its own is killed. Prints one JSON
object with what it saw at each step; each step waits (bounded) for what it
expects, so a missing behaviour shows up as a wrong snapshot, not a hang.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: How long one step waits for what it expects: a re-announcement comes within
#: Publicity's poll (2 s) plus the announcer's rate limit (5 s).
STEP = 20.0

#: The address the namespace's "LAN" has (on its loopback device).
LAN = "10.77.0.1"


def wait_for(condition: Callable[[], bool], seconds: float = STEP) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("0.0.0.0", 0))
        return int(s.getsockname()[1])


class Serve:
    """One ``--serve --redis`` process; its stdout lines kept."""

    def __init__(self, url: str, port: int, home: str, *extra: str) -> None:
        self.port = port
        self.lines: list[str] = []
        args = ["--serve", "--redis", url, "--room", "lab", "--room-name", "Lab"]
        args += ["--port", str(port), *extra]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "desktopchat", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
            env={**os.environ, "DESKTOPCHAT_HOME": home, "PYTHONUNBUFFERED": "1"},
        )
        threading.Thread(target=self._read, daemon=True).start()
        if not wait_for(lambda: any(line.startswith("Address:") for line in self.lines)):
            raise RuntimeError(f"the server on port {port} printed no invitation")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.strip())

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        self.proc.wait(10)


def main() -> None:
    report: dict[str, Any] = {}
    subprocess.run(["ip", "addr", "add", f"{LAN}/24", "dev", "lo"], check=True)
    try:
        import redis  # noqa: F401
        from rediskit import RedisProcess
    except ImportError as exc:
        print(json.dumps({"skipped": f"no redis package: {exc}"}))
        return
    import shutil

    program = shutil.which("redis-server")
    if program is None:
        print(json.dumps({"skipped": "no redis-server"}))
        return

    from desktopchat.client import ChatClient
    from desktopchat.net.discovery import Browser, FoundRoom
    from desktopchat.protocol import events as ev

    redis_process = RedisProcess(program)
    servers: list[Serve] = []
    browser: Browser | None = None
    client: ChatClient | None = None
    try:
        with tempfile.TemporaryDirectory() as home:
            first, second, quiet = free_port(), free_port(), free_port()
            report["ports"] = [first, second, quiet]
            servers.append(Serve(redis_process.url, first, home))
            servers.append(Serve(redis_process.url, second, home))
            browser = Browser()

            def lab() -> FoundRoom | None:
                rooms = [room for room in browser.rooms() if room.name == "Lab"]
                return rooms[0] if len(rooms) == 1 else None

            def addresses() -> set[tuple[str, int]]:
                room = lab()
                return set() if room is None else {room.join_target().address, *room.alternatives}

            both = {(LAN, first), (LAN, second)}
            wait_for(lambda: (room := lab()) is not None and room.servers == 2)
            report["listed"] = [asdict(room) for room in browser.rooms()]

            # A server that does not announce itself: the others announce its address.
            servers.append(Serve(redis_process.url, quiet, home, "--no-announce"))
            wait_for(lambda: addresses() == {*both, (LAN, quiet)})
            report["with_quiet"] = sorted(addresses())
            servers.pop().stop()  # a clean stop: its servers-entry goes, the others re-announce
            wait_for(lambda: addresses() == both)
            report["after_quiet"] = sorted(addresses())

            # Join as a window does from the list: pinned, with every address.
            room = lab()
            assert room is not None
            target = room.join_target()
            report["target"] = {
                "address": list(target.address),
                "fingerprint": target.fingerprint,
                "alternatives": target.alternatives,
            }
            client = ChatClient(
                target.host,
                target.port,
                "ann",
                pin=target.fingerprint,
                alternatives=target.alternatives,
            )
            seen: list[ev.Event] = []

            def saw(test: Callable[[ev.Event], bool]) -> bool:
                assert client is not None
                while not client.events.empty():
                    seen.append(client.events.get_nowait())
                return any(test(e) for e in seen)

            client.start()
            report["joined"] = wait_for(lambda: saw(lambda e: isinstance(e, ev.Replay)))
            wait_for(lambda: (r := lab()) is not None and r.members == 1)
            report["members"] = None if (r := lab()) is None else r.members

            done = subprocess.run(
                [sys.executable, "-m", "desktopchat", "--discover", "--timeout", "2"],
                capture_output=True,
                text=True,
                timeout=STEP,
                cwd=ROOT,
            )
            report["discover"] = {"rc": done.returncode, "stdout": done.stdout}

            # The server she is on dies without a goodbye: she moves to the other.
            on = next(s for s in servers if s.port == target.port)
            on.stop(signal.SIGKILL)
            report["moved"] = wait_for(
                lambda: saw(lambda e: isinstance(e, ev.Connected) and e.resumed)
            )
            report["now_on"] = client.port
            cid = client.send("still here")
            report["acknowledged"] = wait_for(
                lambda: saw(lambda e: isinstance(e, ev.Accepted) and e.cid == cid)
            )

            # The survivors bury the dead server and stop listing it: its record,
            # lingering without goodbyes, is no longer part of the room's entry.
            survivor = (LAN, client.port)

            def survivors_entry() -> FoundRoom | None:
                return next(
                    (r for r in browser.rooms() if r.join_target().address == survivor), None
                )

            wait_for(
                lambda: (
                    (r := survivors_entry()) is not None
                    and (LAN, target.port) not in r.alternatives
                )
            )
            entry = survivors_entry()
            report["survivor"] = None if entry is None else asdict(entry)
    finally:
        if client is not None:
            client.close()
        if browser is not None:
            browser.close(timeout=5)
        for serve in servers:
            serve.stop()
        redis_process.kill()
    print(json.dumps(report, default=list))


if __name__ == "__main__":
    main()
