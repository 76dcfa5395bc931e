"""Benchmark (run by hand): what long lines without spaces cost the window to lay out.

    python benchmarks/transcript_layout.py [--lines 4] [--chars 65000]

In the real window (ChatApp under the display in $DISPLAY, or a private Xvfb
it starts), for each kind of character: show ``--lines`` messages of
``--chars`` characters without a space, then (where the transcript has
"show more") show each of them in full and scroll through them. An
``after(10)`` heartbeat on the Tk
thread measures for 3 s after each step how long the event loop could not
serve the user: Tk lays long lines out in the background, in slices, so the
cost shows as late heartbeats rather than in the insert itself.

Reported per step: the insert (``flush`` + ``update``), the longest
heartbeat gap, and the busy time (the sum of every heartbeat's lateness
beyond 5 ms). Issue 8, finding 8: a 65,000-character line cost about 0.5 s
per line; the target is a window that stays responsive (gap <= 100 ms).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tkinter as tk
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gui_load import ensure_display

from desktopchat.gui.app import ChatApp
from desktopchat.gui.lines import Kind, Line
from desktopchat.settings import Settings

HEARTBEAT_MS = 10
SETTLE_S = 3.0
CHARACTERS = {"latin x": "x", "latin é": "é", "CJK 界": "界"}


class Heartbeat:
    """Records when each ``after(10)`` tick fired."""

    def __init__(self, root: tk.Tk) -> None:
        self.root = root
        self.beats: list[float] = []
        root.after(HEARTBEAT_MS, self._beat)

    def _beat(self) -> None:
        self.beats.append(time.perf_counter())
        self.root.after(HEARTBEAT_MS, self._beat)

    def run(self, seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            self.root.update()
            time.sleep(0.001)

    def since(self, start: float) -> tuple[float, float]:
        """(longest gap, busy time) in seconds among the beats after ``start``."""
        gaps = [b - a for a, b in zip(self.beats, self.beats[1:], strict=False) if a >= start]
        late = [gap - HEARTBEAT_MS / 1000 for gap in gaps]
        return max(gaps, default=0.0), sum(x for x in late if x > 0.005)


def measure(app: ChatApp, beat: Heartbeat, step: Callable[[], None]) -> str:
    """Run ``step``; its cost as a table row's cells."""
    start = time.perf_counter()
    step()
    app.root.update()
    inserted = time.perf_counter() - start
    beat.run(SETTLE_S)
    gap, busy = beat.since(start)
    return f"{inserted * 1000:7.0f} ms | {gap * 1000:6.0f} ms | {busy:6.2f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=4)
    parser.add_argument("--chars", type=int, default=65_000)
    args = parser.parse_args(argv)
    xvfb = ensure_display()
    os.environ["DESKTOPCHAT_HOME"] = tempfile.mkdtemp(prefix="desktopchat-bench-")
    root = tk.Tk()
    app = ChatApp(root, Settings(), save=lambda _s: None)
    root.geometry("800x500+0+0")
    root.update()
    t = app.transcript
    beat = Heartbeat(root)
    beat.run(0.3)
    print(f"{args.lines} messages of {args.chars:,} characters without a space, window 800x500")
    print("| characters | step | insert | longest gap | busy |")
    print("|---|---|---:|---:|---:|")
    try:
        for label, char in CHARACTERS.items():
            t.clear()

            def show(char: str = char) -> None:
                for _ in range(args.lines):
                    t.show(Line(Kind.MESSAGE, char * args.chars, time.time(), "mallory"))
                t.show(Line(Kind.MESSAGE, "after them", time.time(), "bob"))
                t.flush()

            print(f"| {label} | shown | {measure(app, beat, show)} |")
            show_more = getattr(t, "show_more", None)
            if show_more is not None:

                def expand(show_more: Callable[[int], bool] = show_more) -> None:
                    while ranges := t.text.tag_ranges("more"):
                        show_more(int(str(ranges[0]).split(".")[0]))

                print(f"| {label} | all shown in full | {measure(app, beat, expand)} |")

            def scroll() -> None:
                for step in range(21):
                    t.text.yview_moveto(step / 20)
                    app.root.update()

            print(f"| {label} | scrolled through, top to bottom | {measure(app, beat, scroll)} |")
    finally:
        app.quit()
        if xvfb is not None:
            xvfb.terminate()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
