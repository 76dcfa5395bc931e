"""The room finder window, run INSIDE a private network namespace (see netns.py).

Started by tests/test_roomfinder.py; never run it on its own (it sends
multicast). A real Tk window (DISPLAY reached through its socket file) shows
a RoomFinder with a real Browser while a real encrypted RoomServer is
announced; the script double-clicks the room, presses Return on it, closes
the announcement, and prints one JSON object with what happened.
"""

from __future__ import annotations

import json
import tempfile
import time
import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktopchat.gui.roomfinder import RoomFinder
from desktopchat.net import tls
from desktopchat.net.discovery import Announcer
from desktopchat.net.invite import JoinTarget
from desktopchat.server import RoomServer

STEP = 15.0


def pump_until(root: tk.Tk, condition: Callable[[], bool], seconds: float = STEP) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        root.update()
        time.sleep(0.02)
    return True


def double_click(tree: tk.Misc, x: int, y: int) -> None:
    """Two real clicks at (x, y), as a person double-clicks."""
    for _ in range(2):
        tree.event_generate("<ButtonPress-1>", x=x, y=y)
        tree.event_generate("<ButtonRelease-1>", x=x, y=y)
    tree.update()


def main() -> None:
    report: dict[str, Any] = {"errors": []}
    root = tk.Tk()
    root.report_callback_exception = lambda *exc: report["errors"].append(repr(exc[1]))
    joined: list[JoinTarget] = []
    finder = RoomFinder(root, joined.append, poll_ms=100, hint_after=60)
    finder.pack(fill="both", expand=True)
    root.update()
    with tempfile.TemporaryDirectory() as home:
        identity = tls.load_or_create_identity(Path(home))
        with RoomServer("0.0.0.0", 0, identity=identity) as server:
            port = server.address[1]
            assert server.fingerprint is not None
            report["port"], report["fingerprint"] = port, server.fingerprint
            announcer = Announcer("Alice's room", port, server.fingerprint, False, True)
            announcer.start()
            report["found"] = pump_until(root, lambda: bool(finder.tree.get_children()))
            items = finder.tree.get_children()
            report["rows"] = [list(finder.tree.item(item, "values")) for item in items]
            report["status"] = finder.status.cget("text")
            if items:
                box = finder.tree.bbox(items[0])
                assert isinstance(box, tuple)  # "" if the row were not visible
                x, y, _, height = box
                double_click(finder.tree, x + 10, y + height // 2)
                pump_until(root, lambda: bool(joined), 3)
                report["double_click"] = [vars(t) for t in joined]
                joined.clear()
                finder.tree.selection_set(items[0])
                finder.tree.focus_force()
                root.update()
                finder.tree.event_generate("<Return>")
                root.update()
                report["return"] = [vars(t) for t in joined]
            announcer.close(timeout=5)
            report["gone"] = pump_until(root, lambda: not finder.tree.get_children())
    finder.destroy()
    root.update()
    root.destroy()
    print(json.dumps(report, default=list))


if __name__ == "__main__":
    main()
