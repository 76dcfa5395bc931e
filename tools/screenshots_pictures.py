"""Take issue 11's picture screenshots: a picture inline in the transcript, and the viewer.

Dev-only, like tools/screenshots.py (whose ``grab`` and ``pump`` it uses):
an Xvfb of its own, ImageMagick. Run from the repository::

    Xvfb :94 -screen 0 1280x800x24 &
    DISPLAY=:94 python tools/screenshots_pictures.py   # docs/screenshots/files-*.png

A real room on 127.0.0.1: alice's window offers a picture (a drawn
"holiday photo", 1600 x 1000) to the room, as a paste does; zoë's window
fetches it into memory and shows its thumbnail (files-picture-inline.png);
a click on the thumbnail opens the viewer (files-viewer.png).
"""

from __future__ import annotations

import argparse
import io
import sys
import tkinter as tk
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from screenshots import REPO, grab, pump

from desktopchat.gui.app import ChatApp
from desktopchat.gui.pictures import thumbnails_in
from desktopchat.gui.viewer import PictureViewer
from desktopchat.server import RoomServer
from desktopchat.settings import Settings

from peer import Peer  # isort: skip


def holiday_photo() -> bytes:
    """A drawn landscape: sky, sun, hills, a lake; PNG bytes."""
    from PIL import Image, ImageDraw

    width, height = 1600, 1000
    picture = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(picture)
    for y in range(560):  # the sky, lighter towards the horizon
        shade = y / 560
        draw.line([(0, y), (width, y)], fill=(int(70 + 120 * shade), int(130 + 90 * shade), 235))
    draw.ellipse([1150, 120, 1350, 320], fill=(255, 214, 90))
    draw.polygon([(0, 560), (350, 330), (700, 560)], fill=(70, 125, 80))
    draw.polygon([(450, 560), (900, 280), (1350, 560)], fill=(55, 105, 70))
    draw.polygon([(1100, 560), (1400, 380), (1600, 470), (1600, 560)], fill=(80, 140, 90))
    draw.rectangle([0, 560, width, height], fill=(40, 110, 170))
    for y in range(600, height, 40):  # ripples
        draw.line([(100 + y % 160, y), (400 + y % 160, y)], fill=(120, 180, 220), width=4)
        draw.line(
            [(900 - y % 120, y + 15), (1250 - y % 120, y + 15)], fill=(120, 180, 220), width=4
        )
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def shoot(out: Path) -> None:
    with RoomServer("127.0.0.1", 0) as room:
        host, port = room.address
        root = tk.Tk(className="desktopchat")
        settings = Settings(geometry="900x620+0+0", userlist_width=150, name="zoë")
        app = ChatApp(root, settings, save=lambda _s: None, theme="light")
        app.join(host, port, "zoë")
        pump(root, 0.8)
        alice = Peer.joined((host, port), "alice")
        alice.send("look where we are this week")
        sender_root = tk.Tk(className="desktopchat")
        sender = ChatApp(sender_root, Settings(geometry="400x300+880+480"), save=lambda _s: None)
        sender.join(host, port, "bob")
        for _ in range(40):
            pump(root, 0.05)
            pump(sender_root, 0.05)
            if sender.online and sender.client is not None and sender.client.files_allowed:
                break
        client = sender.client
        assert client is not None
        client.offer_bytes(holiday_photo(), "lake.png", "image/png")
        for _ in range(100):
            pump(root, 0.05)
            pump(sender_root, 0.02)
            if [t for t in thumbnails_in(app.transcript.text) if t.ready]:
                break
        root.lift()
        root.focus_force()  # zoë is looking: no "new messages" line
        pump(root, 0.2)
        alice.send("wow, jealous")
        pump(root, 0.6)
        pump(sender_root, 0.1)
        root.lift()
        grab(root, out / "files-picture-inline.png")
        thumbnails_in(app.transcript.text)[0].open()
        pump(root, 0.5)
        viewers = [w for w in root.winfo_children() if isinstance(w, PictureViewer)]
        grab(viewers[0], out / "files-viewer.png")
        viewers[0].close()
        alice.close()
        sender.quit()
        app.quit()
        app.presenter.wait_stopped(2.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    shoot(args.out)


if __name__ == "__main__":
    main()
