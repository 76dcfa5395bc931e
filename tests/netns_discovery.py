"""Discovery end to end, run INSIDE a private network namespace (see netns.py).

Started by tests/test_discovery_netns.py; never run it on its own (it sends
multicast). It hosts a real encrypted RoomServer on port 0 with an Announcer,
registers hostile records with raw zeroconf, browses with a Browser and with
``python -m desktopchat --discover``, and prints one JSON object with what it
saw at each step; the test asserts on it. Each step waits (bounded) for what
it expects, so a missing behaviour shows up as a wrong snapshot, not a hang.
"""

from __future__ import annotations

import json
import logging
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

from peer import Peer

from desktopchat.net import tls
from desktopchat.net.discovery import SERVICE_TYPE, Announcer, Browser, FoundRoom
from desktopchat.server import RoomServer

#: How long one step waits for what it expects.
STEP = 15.0

VALID = {"v": "2", "name": "Control", "fp": "ab" * 32, "pw": "0", "enc": "0", "n": "1"}

#: instance label -> (TXT properties, port, addresses): each is malformed one way.
HOSTILE: dict[str, tuple[dict[str, Any], int, list[str]]] = {
    "bad fp": ({**VALID, "fp": "zz" * 32}, 4000, ["127.0.0.1"]),
    "short fp": ({**VALID, "fp": "ab" * 8}, 4000, ["127.0.0.1"]),
    "bad utf8": ({**VALID, "name": b"\xff\xfe"}, 4000, ["127.0.0.1"]),
    "long name": ({**VALID, "name": "x" * 65}, 4000, ["127.0.0.1"]),
    "bad count": ({**VALID, "n": "many"}, 4000, ["127.0.0.1"]),
    "no version": ({k: v for k, v in VALID.items() if k != "v"}, 4000, ["127.0.0.1"]),
    "bad flag": ({**VALID, "pw": "yes"}, 4000, ["127.0.0.1"]),
    "no fp": ({k: v for k, v in VALID.items() if k != "fp"}, 4000, ["127.0.0.1"]),
    "multicast only": (VALID, 4000, ["224.0.0.251"]),
    "escape in name": ({**VALID, "name": "Evil\x1b[2J"}, 4000, ["127.0.0.1"]),
}

#: A valid record from the same announcer (it is heard: the others are refused).
CONTROL = ({**VALID, "name": "Control \u2615 room"}, 4001, ["127.0.0.1"])


def wait_for(condition: Callable[[], bool], seconds: float = STEP) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class Ignored(logging.Handler):
    """The names the browser logged as malformed."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.names: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("ignoring a malformed record"):
            self.names.add(str(record.args[0]) if record.args else "")  # type: ignore[index]


def register_hostile() -> Any:
    """A raw zeroconf announcing every HOSTILE record and CONTROL (in parallel)."""
    from zeroconf import ServiceInfo, Zeroconf

    zc = Zeroconf()
    threads = []
    for label, (properties, port, addresses) in [*HOSTILE.items(), ("control", CONTROL)]:
        info = ServiceInfo(
            SERVICE_TYPE,
            f"{label}.{SERVICE_TYPE}",
            port=port,
            properties=properties,
            addresses=[socket.inet_aton(a) for a in addresses],
            server=f"hostile-{label.replace(' ', '-')}.local.",  # own A records each
        )
        thread = threading.Thread(target=zc.register_service, args=(info,))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    return zc


def snapshot(rooms: list[FoundRoom]) -> list[dict[str, Any]]:
    return [asdict(room) for room in rooms]


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    ignored = Ignored()
    log = logging.getLogger("desktopchat.net.discovery")
    log.setLevel(logging.DEBUG)
    log.addHandler(ignored)
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as home:
        identity = tls.load_or_create_identity(Path(home))
        with RoomServer("0.0.0.0", 0, identity=identity, password="secret") as server:
            port = server.address[1]
            report["port"] = port
            report["fingerprint"] = server.fingerprint
            assert server.fingerprint is not None
            announcer = Announcer(
                "Alice's room", port, server.fingerprint, True, False, min_interval=0.5
            )
            announcer.start()
            hostile = register_hostile()
            browser = Browser()

            def names() -> set[str]:
                return {room.name for room in browser.rooms()}

            hostile_names = {f"{label}.{SERVICE_TYPE}" for label in HOSTILE}
            wait_for(
                lambda: (
                    {"Alice's room", "Control \u2615 room"} <= names()
                    and hostile_names <= ignored.names
                )
            )
            report["ignored"] = sorted(ignored.names)
            report["first"] = snapshot(browser.rooms())

            def alice() -> FoundRoom | None:
                return next((r for r in browser.rooms() if r.name == "Alice's room"), None)

            with Peer.joined(("127.0.0.1", port), "bob", "secret"):
                wait_for(lambda: server.member_count == 1)
                announcer.update(server.member_count)
                wait_for(lambda: (room := alice()) is not None and room.members == 1)
                report["joined"] = snapshot(browser.rooms())

            result = subprocess.run(
                [sys.executable, "-m", "desktopchat", "--discover", "--timeout", "2"],
                capture_output=True,
                text=True,
                timeout=STEP,
            )
            report["discover"] = {
                "rc": result.returncode,
                "stdout": result.stdout,
                "stderr": result.stderr,
            }

            report["closed_in_time"] = announcer.close(timeout=5)
            wait_for(lambda: alice() is None)
            report["after_close"] = snapshot(browser.rooms())
            hostile.close()
            browser.close(timeout=5)

    # With every room gone, --discover says what commonly blocks it.
    result = subprocess.run(
        [sys.executable, "-m", "desktopchat", "--discover", "--timeout", "1"],
        capture_output=True,
        text=True,
        timeout=STEP,
    )
    report["empty"] = {"rc": result.returncode, "stdout": result.stdout, "stderr": result.stderr}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
