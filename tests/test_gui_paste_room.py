"""A screenshot pasted in one window reaches another window in a real room as a thumbnail.

ann's window pastes a PNG that another program (xclip) holds on the X
CLIPBOARD; bob's window, a second Tk interpreter joined to the same real
room, fetches the picture into memory and shows its thumbnail; the screen
(ImageMagick's import) shows the picture's colours where the thumbnail is.
A dropped file goes the same way (tkdnd's own XDND handlers).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tkinter as tk
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from clipkit import clipboard_owner, drop_uris
from guitools import install_error_recorder, send_key, transcript
from PIL import Image, ImageDraw
from waiting import wait_until

from desktopchat.gui.app import ChatApp
from desktopchat.gui.pictures import thumbnails_in
from desktopchat.server import RoomServer
from desktopchat.settings import Settings

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(
        shutil.which("xclip") is None or shutil.which("import") is None,
        reason="needs xclip and ImageMagick's import",
    ),
]

GREEN, MAGENTA = (20, 180, 60), (200, 20, 200)


def screenshot_png() -> bytes:
    """A 300 x 200 picture: green left half, magenta right half."""
    source = Image.new("RGB", (300, 200), GREEN)
    ImageDraw.Draw(source).rectangle([150, 0, 300, 200], fill=MAGENTA)
    out = io.BytesIO()
    source.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def bob(tmp_path: Path) -> Iterator[ChatApp]:
    """A second window (its own Tk interpreter, as a second program has)."""
    root = tk.Tk(className="desktopchat")
    errors = install_error_recorder(root)
    chat = ChatApp(root, Settings(), save=lambda _s: None)
    root.geometry("780x560+0+0")
    root.update()
    yield chat
    chat.quit()
    assert chat.presenter.wait_stopped(3.0)
    assert not errors.errors, errors.errors


def both(app: ChatApp, bob: ChatApp, condition: Callable[[], object]) -> Callable[[], object]:
    def check() -> object:
        bob.root.update()
        return condition()

    return check


def in_room(app: ChatApp, bob: ChatApp, room: RoomServer) -> None:
    host, port = room.address
    app.root.geometry("600x400+10+10")
    app.join(host, port, "ann")
    bob.join(host, port, "bob")
    wait_until(
        both(app, bob, lambda: app.online and bob.online), what="both in the room", root=app.root
    )
    wait_until(
        both(app, bob, lambda: app.client is not None and app.client.files_allowed is not None),
        what="the room takes files",
        root=app.root,
    )


def test_a_pasted_picture_shows_as_a_thumbnail_in_the_other_window(
    app: ChatApp, bob: ChatApp, room: RoomServer, tmp_path: Path
) -> None:
    in_room(app, bob, room)
    with clipboard_owner(screenshot_png(), "image/png"):
        send_key(app.input, "<Control-v>")
    assert app.input.get_text() == ""  # nothing pasted as text
    wait_until(
        both(app, bob, lambda: [t for t in thumbnails_in(bob.transcript.text) if t.ready]),
        timeout=15,
        what="bob's thumbnail",
        root=app.root,
    )
    wait_until(
        both(app, bob, lambda: "Pasted image" in transcript(app)), what="ann's line", root=app.root
    )
    assert "Pasted image" in transcript(bob)
    thumb = thumbnails_in(bob.transcript.text)[0]
    assert thumb.name.startswith("Pasted image ") and thumb.name.endswith(".png")
    assert (thumb.image.width(), thumb.image.height()) == (300, 200)  # smaller than the box

    text = bob.transcript.text
    assert thumb.index is not None
    bob.root.lift()
    text.see(thumb.index)
    for _ in range(3):
        bob.root.update()
    box = text.bbox(thumb.index)
    assert box is not None
    x0, y0 = text.winfo_rootx() + box[0] + 2, text.winfo_rooty() + box[1] + 2  # 2: padding
    shot_file = tmp_path / "screen.png"
    subprocess.run(["import", "-window", "root", str(shot_file)], check=True, timeout=30)
    shot = Image.open(shot_file).convert("RGB")
    visible_h = min(200, text.winfo_rooty() + text.winfo_height() - y0) - 1
    for x, expected in ((x0 + 40, GREEN), (x0 + 260, MAGENTA)):
        for y in (y0 + 5, y0 + visible_h // 2, y0 + visible_h - 2):
            got = shot.getpixel((x, y))
            assert all(abs(a - b) <= 8 for a, b in zip(got, expected, strict=True)), (x, y, got)  # type: ignore[arg-type]


def test_a_picture_pasted_outside_a_room_is_refused_in_words(app: ChatApp) -> None:
    with clipboard_owner(screenshot_png(), "image/png"):
        send_key(app.input, "<Control-v>")
    wait_until(lambda: "The picture was not sent." in transcript(app), root=app.root)
    assert "Join a room first" in transcript(app)


def test_a_file_dropped_on_the_window_is_offered_to_the_room(
    app: ChatApp, bob: ChatApp, room: RoomServer, tmp_path: Path
) -> None:
    in_room(app, bob, room)
    drop = app.paste_drop.install_drop()
    assert drop is not None
    notes = tmp_path / "meeting notes.txt"
    notes.write_text("agenda\n")
    drop_uris(app.root, app.transcript.text, f"file://{tmp_path}/meeting%20notes.txt\r\n")
    wait_until(
        both(app, bob, lambda: "meeting notes.txt" in transcript(bob)),
        timeout=15,
        what="bob sees the offer",
        root=app.root,
    )
