"""Take the README's screenshots: the main window, the login dialog and a help window,
in the light and the dark theme, into docs/screenshots/.

Dev-only; needs a display (an Xvfb of its own is best, so nothing else is on
screen), ImageMagick's ``import`` and ``convert``. Run from the repository::

    Xvfb :86 -screen 0 1280x800x24 &
    DISPLAY=:86 python tools/screenshots.py            # writes docs/screenshots/
    DISPLAY=:86 python tools/screenshots.py --out DIR

Each theme gets a fresh room on 127.0.0.1 with four other members (raw
clients from tests/peer.py) who chat, one of them privately (a tab), so the
pictures show what a real session looks like. Every window is cropped to its
own size (no window manager: no title bar).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tkinter as tk
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

os.environ.setdefault("DESKTOPCHAT_HOME", tempfile.mkdtemp(prefix="dc-shots-"))

from peer import Peer  # noqa: E402  (tests/ on the path first)

from desktopchat.gui.app import ChatApp  # noqa: E402
from desktopchat.server import RoomServer  # noqa: E402
from desktopchat.settings import Settings  # noqa: E402

CONVERT = shutil.which("convert", path="/usr/bin") or "convert"


def pump(root: tk.Tk, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        root.update()
        time.sleep(0.02)


def grab(window: tk.Misc, path: Path) -> None:
    """Save ``window`` as it is on the screen."""
    window.update()
    time.sleep(0.2)
    window.update()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "screen.png"
        subprocess.run(["import", "-window", "root", str(raw)], check=True)
        w, h = window.winfo_width(), window.winfo_height()
        x, y = window.winfo_rootx(), window.winfo_rooty()
        crop = f"{w}x{h}+{x}+{y}"
        subprocess.run([CONVERT, str(raw), "-crop", crop, "+repage", str(path)], check=True)
    print(path)


def chat(root: tk.Tk, app: ChatApp, address: tuple[str, int]) -> list[Peer]:
    app.join(*address, "zoë")
    pump(root, 1.0)
    names = ("alice", "bob", "carol", "maximilian_longname-fitzgerald")
    alice, bob, carol, max_ = peers = [Peer.joined(address, n) for n in names]
    for who, text in (
        (alice, "morning all! is the build green again?"),
        (bob, "yes, since 9:12 — the flaky test was a race in the reconnect path"),
        (carol, "/me waves"),
        (None, "great, I'll cut the release after lunch"),
        (max_, "zoë: the notes are on https://example.org/release-notes"),
        (bob, "/msg zoë can you review my patch later?"),
        (alice, "line one of a longer note\nand its second line"),
    ):
        if who is None:
            app.send_text(text)
        else:
            who.send(text)
        pump(root, 0.3)
    pump(root, 0.5)
    return peers


def shoot(mode: str, out: Path) -> None:
    with RoomServer("127.0.0.1", 0) as room:
        root = tk.Tk(className="desktopchat")
        settings = Settings(geometry="900x560+0+0", userlist_width=170)
        app = ChatApp(root, settings, save=lambda _s: None, theme=mode)
        pump(root, 0.3)
        peers = chat(root, app, room.address)
        grab(root, out / f"main-{mode}.png")
        app.show_login()
        pump(root, 0.5)
        assert app.dialog is not None
        grab(app.dialog, out / f"login-{mode}.png")
        app.dialog.destroy()
        before = set(root.winfo_children())
        app.show_commands()
        pump(root, 0.5)
        (help_window,) = [
            w for w in root.winfo_children() if w not in before and isinstance(w, tk.Toplevel)
        ]
        help_window.geometry("760x560+0+0")
        pump(root, 0.3)
        grab(help_window, out / f"help-{mode}.png")
        help_window.destroy()
        for peer in peers:
            peer.close()
        app.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for mode in ("light", "dark"):
        shoot(mode, args.out)


if __name__ == "__main__":
    main()
