"""``--serve`` announcing its invitation, run INSIDE a private network namespace (netns.py).

Started by tests/test_cli_invite.py; never run it on its own (it sends
multicast). 10.9.9.9 on the namespace's loopback stands for a LAN address.
It starts ``python -m desktopchat --serve`` on all addresses, reads the
invitation it prints, browses until the room is heard, lets one member in
and waits for the announced member count to follow; it prints one JSON
object with what it saw, and the test asserts on it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable

from peer import Peer

from desktopchat.net.discovery import FoundRoom, discover
from desktopchat.net.invite import parse_join_target

#: How long one step waits for what it expects.
STEP = 15.0


def main() -> None:
    subprocess.run(["ip", "addr", "add", "10.9.9.9/32", "dev", "lo"], check=True)
    home = tempfile.mkdtemp()
    env = {**os.environ, "DESKTOPCHAT_HOME": home}
    env.pop("DESKTOPCHAT_PASSWORD", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "desktopchat", "--serve", "--port", "0", "--room-name", "NS room"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    errors: list[str] = []
    reader = threading.Thread(target=lambda: errors.extend(proc.stderr or []), daemon=True)
    reader.start()
    assert proc.stdout is not None
    link = ""
    for line in proc.stdout:
        if line.startswith("desktopchat://"):
            link = line.strip()
        if line.startswith("Password:"):
            break
    report: dict[str, object] = {"link": link}
    try:
        target = parse_join_target(link)
        rooms = until(lambda: discover(1.0))
        report["found"] = [room.link() for room in rooms]
        with Peer(target.address) as member:
            member.join("ann")
            counted = until(lambda: [r for r in discover(1.0) if r.members == 1])
            report["members"] = [room.members for room in counted]
    finally:
        proc.terminate()
        proc.wait(STEP)
        reader.join(STEP)
    report["problems"] = [e for e in errors if "WARNING" in e]
    print(json.dumps(report))


def until(look: Callable[[], list[FoundRoom]]) -> list[FoundRoom]:
    deadline = time.monotonic() + STEP
    while True:
        found = look()
        if found or time.monotonic() > deadline:
            return found


if __name__ == "__main__":
    main()
