"""Take issue 11's screenshots of file transfers in the light and the dark theme.

Dev-only, like tools/screenshots.py (whose ``grab`` and ``pump`` it uses):
an Xvfb of its own, ImageMagick, Pillow. Run from the repository::

    Xvfb :93 -screen 0 1280x800x24 &
    DISPLAY=:93 python tools/screenshots_files.py   # writes docs/screenshots/files-*

A real room on 127.0.0.1 and real ChatClients (bob, carol) offering files to
the window (zoë): offer lines with a picture's thumbnail
(``files-offer-*``), a transfer in progress with its speed and time left
(``files-progress-*``: the disk is made slow, 20 ms a chunk, so the bar can
be seen moving), and finished lines -- saved, a program that is not opened,
our own offer fetched by others (``files-done-*``).
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
import tkinter as tk
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from screenshots import REPO, grab, pump

from desktopchat.client import ChatClient
from desktopchat.gui.app import ChatApp
from desktopchat.gui.transferrules import Transfer
from desktopchat.server import RoomServer
from desktopchat.settings import Settings
from desktopchat.transfer import incoming

OUT = REPO / "docs" / "screenshots"


def make_files(folder: Path) -> None:
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (800, 500), (70, 140, 215))
    pen = ImageDraw.Draw(picture)
    pen.ellipse((520, 60, 680, 220), fill=(252, 210, 60))
    pen.polygon([(0, 500), (260, 230), (520, 500)], fill=(60, 120, 70))
    pen.polygon([(300, 500), (560, 280), (800, 500)], fill=(40, 100, 60))
    data = io.BytesIO()
    picture.save(data, "JPEG", quality=85)
    (folder / "lake-district.jpg").write_bytes(data.getvalue())
    (folder / "minutes-2026-11-30.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(380_000))
    (folder / "setup-tool.sh").write_bytes(b"#!/bin/sh\necho installing\n")
    with (folder / "conference-talk.mp4").open("wb") as f:
        f.write(os.urandom(60 * 1024**2))
    (folder / "slides.odp").write_bytes(os.urandom(2_400_000))


def item(app: ChatApp, name: str) -> Transfer:
    return next(i for i in app.presenter.transfers.items.values() if i.name == name)


def shoot(mode: str, files: Path, downloads: Path) -> None:
    for old in downloads.iterdir():
        old.unlink()
    with RoomServer("127.0.0.1", 0) as room:
        root = tk.Tk(className="desktopchat")
        settings = Settings(geometry="900x620+0+0", userlist_width=150, name="zoë")
        app = ChatApp(root, settings, save=lambda _s: None, theme=mode)
        app.presenter.transfers.download_dir = downloads
        app.join(*room.address, "zoë")
        pump(root, 1.0)
        bob = ChatClient(*room.address, "bob")
        carol = ChatClient(*room.address, "carol")
        bob.start()
        carol.start()
        pump(root, 1.0)
        bob.send("the photos from the weekend, and the minutes")
        bob.offer_file(files / "lake-district.jpg")
        pump(root, 0.5)
        bob.offer_file(files / "minutes-2026-11-30.pdf")
        pump(root, 0.3)
        carol.offer_file(files / "setup-tool.sh")
        pump(root, 1.5)
        app.transcript.text.yview_moveto(1.0)
        grab(root, OUT / f"files-offer-{mode}.png")

        carol.send("and the recording of the talk")
        carol.offer_file(files / "conference-talk.mp4")
        pump(root, 0.8)
        app.presenter.transfers.save(
            item(app, "minutes-2026-11-30.pdf"), downloads / "minutes-2026-11-30.pdf"
        )
        app.presenter.transfers.save(item(app, "setup-tool.sh"), downloads / "setup-tool.sh")
        pump(root, 0.8)
        store = incoming.PartFile._store

        def slow(self: incoming.PartFile, data: bytes | memoryview) -> None:
            time.sleep(0.02)
            store(self, data)

        incoming.PartFile._store = slow  # type: ignore[method-assign]
        app.presenter.transfers.save(
            item(app, "conference-talk.mp4"), downloads / "conference-talk.mp4"
        )
        pump(root, 3.0)
        app.transcript.text.yview_moveto(1.0)
        grab(root, OUT / f"files-progress-{mode}.png")
        app.presenter.transfers.cancel(item(app, "conference-talk.mp4"))
        incoming.PartFile._store = store  # type: ignore[method-assign]

        app.send_files([files / "slides.odp"])
        pump(root, 1.0)
        mine = item(app, "slides.odp")
        bob.fetch_file(mine.file, files / "bob-slides.odp")
        carol.fetch_file(mine.file, files / "carol-slides.odp")
        pump(root, 1.5)
        app.transcript.text.yview_moveto(1.0)
        grab(root, OUT / f"files-done-{mode}.png")
        for f in ("bob-slides.odp", "carol-slides.odp"):
            (files / f).unlink(missing_ok=True)
        bob.close()
        carol.close()
        app.quit()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DESKTOPCHAT_HOME"] = str(Path(tmp) / "home")
        os.environ["HOME"] = tmp  # "Saved to ~/Downloads/…", as for a user
        files, downloads = Path(tmp) / "files", Path(tmp) / "Downloads"
        files.mkdir()
        downloads.mkdir()
        make_files(files)
        for mode in ("light", "dark"):
            shoot(mode, files, downloads)


if __name__ == "__main__":
    main()
