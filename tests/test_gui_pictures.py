"""Thumbnails in a Text and the picture viewer, in real Tk windows (screenshots checked)."""

from __future__ import annotations

import io
import shutil
import subprocess
import tkinter as tk
from pathlib import Path
from typing import Any

import pytest
from guitools import send_key
from PIL import Image, ImageDraw
from waiting import wait_until

from desktopchat.files.images import ImageError
from desktopchat.gui import viewer
from desktopchat.gui.pictures import THUMBNAIL_BOX, embed_thumbnail, save_picture, thumbnails_in
from desktopchat.gui.viewer import PictureViewer, show_viewer

pytestmark = pytest.mark.gui

RED, BLUE = (210, 30, 40), (30, 60, 200)


def picture(width: int = 400, height: int = 300, fmt: str = "PNG") -> bytes:
    """Left half red, right half blue."""
    source = Image.new("RGB", (width, height), RED)
    ImageDraw.Draw(source).rectangle([width // 2, 0, width, height], fill=BLUE)
    out = io.BytesIO()
    source.save(out, format=fmt, quality=95)
    return out.getvalue()


def screenshot(widget: tk.Misc, tmp_path: Path) -> Image.Image:
    """The screen as the X server shows it now (ImageMagick's import)."""
    widget.update()
    target = tmp_path / "screen.png"
    subprocess.run(["import", "-window", "root", str(target)], check=True, timeout=30)
    shot = Image.open(target)
    shot.load()
    return shot.convert("RGB")


def is_fitted(window: PictureViewer) -> bool:
    return window.fitted  # a call: mypy would keep an earlier assert's narrowing


def close(colour: tuple[int, int, int], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 24 for a, b in zip(colour, expected, strict=True))


@pytest.fixture
def text(tk_root: tk.Tk) -> tk.Text:
    tk_root.geometry("600x420+0+0")
    widget = tk.Text(tk_root)
    widget.pack(fill="both", expand=True)
    widget.insert("end", "ann offers holiday.jpg\n")
    widget.configure(state="disabled")
    tk_root.update()
    return widget


@pytest.mark.skipif(shutil.which("import") is None, reason="needs ImageMagick's import")
@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF"])
def test_the_thumbnail_shows_the_picture(
    text: tk.Text, tmp_path: Path, fmt: str, tk_root: tk.Tk
) -> None:
    thumb = embed_thumbnail(text, "end-1c", picture(800, 600, fmt), "holiday")
    assert str(text.cget("state")) == "disabled"  # read-only again
    assert thumb.image.width() == THUMBNAIL_BOX[0] and thumb.image.height() == 240
    wait_until(lambda: thumb.ready, what="decoded", root=tk_root)
    assert thumb.image.width() == THUMBNAIL_BOX[0] and thumb.image.height() == 240
    assert thumb.index is not None
    text.see(thumb.index)
    tk_root.update()
    box = text.bbox(thumb.index)
    assert box is not None
    x0, y0 = text.winfo_rootx() + box[0], text.winfo_rooty() + box[1]
    shot = screenshot(text, tmp_path)
    # the picture's halves, inside the 2-pixel padding: red left, blue right
    left = shot.getpixel((x0 + 2 + 80, y0 + 2 + 120))
    right = shot.getpixel((x0 + 2 + 240, y0 + 2 + 120))
    assert close(left, RED), left  # type: ignore[arg-type]
    assert close(right, BLUE), right  # type: ignore[arg-type]


def test_a_click_opens_the_viewer_and_esc_closes_it(text: tk.Text, tk_root: tk.Tk) -> None:
    thumb = embed_thumbnail(text, "end-1c", picture(), "holiday.png")
    opened: list[str] = []
    thumb.on_open = lambda: opened.append("open")
    assert thumb.index is not None
    box = text.bbox(thumb.index)
    assert box is not None
    text.event_generate("<Enter>", x=box[0] + 5, y=box[1] + 5)
    text.event_generate("<Motion>", x=box[0] + 5, y=box[1] + 5)
    text.event_generate("<ButtonPress-1>", x=box[0] + 5, y=box[1] + 5)
    text.event_generate("<ButtonRelease-1>", x=box[0] + 5, y=box[1] + 5)
    tk_root.update()
    assert opened == ["open"]


def test_the_default_open_is_the_viewer(text: tk.Text, tk_root: tk.Tk) -> None:
    thumb = embed_thumbnail(text, "end-1c", picture(), "holiday.png")
    thumb.open()
    windows = [w for w in tk_root.winfo_children() if isinstance(w, PictureViewer)]
    assert len(windows) == 1
    window = windows[0]
    assert window.title() == "holiday.png — desktopchat"
    assert window.shown_size == (400, 300)
    send_key(window.canvas, "<Escape>")
    assert not window.winfo_exists()


def test_the_context_menu_offers_view_and_save(text: tk.Text) -> None:
    saved: list[str] = []
    thumb = embed_thumbnail(
        text, "end-1c", picture(), "p.png", on_open=lambda: None, on_save=lambda: saved.append("s")
    )
    menu = thumb.context_menu()
    labels = [menu.entrycget(i, "label") for i in range(2)]
    assert labels == ["View picture", "Save picture…"]
    menu.invoke(1)
    assert saved == ["s"]


def test_thumbnails_of_dropped_lines_are_forgotten(text: tk.Text) -> None:
    first = embed_thumbnail(text, "end-1c", picture(), "one.png")
    embed_thumbnail(text, "end-1c", picture(), "two.png")
    assert len(thumbnails_in(text)) == 2
    text.configure(state="normal")
    assert first.index is not None
    text.delete(first.index)  # the transcript trimmed that line
    text.configure(state="disabled")
    assert [t.name for t in thumbnails_in(text)] == ["two.png"]
    assert first.index is None


def test_garbage_inserts_nothing(text: tk.Text) -> None:
    before = text.get("1.0", "end")
    with pytest.raises(ImageError):
        embed_thumbnail(text, "end-1c", b"GIF89a broken", "x.gif")
    assert text.get("1.0", "end") == before
    assert not text.image_names()


def test_a_large_picture_opens_fitted_and_toggles_to_actual_size(tk_root: tk.Tk) -> None:
    screen_w = tk_root.winfo_screenwidth()
    big = picture(screen_w * 2, 500)
    window = PictureViewer(tk_root, big, "wide.png")
    try:
        assert is_fitted(window) and not window.fits
        fitted = window.shown_size
        assert fitted[0] <= screen_w * viewer.SCREEN_SHARE
        assert fitted[0] / fitted[1] == pytest.approx(screen_w * 2 / 500, rel=0.02)
        assert window.zoom_button.cget("text") == "Actual size"
        window.zoom_button.invoke()
        assert not is_fitted(window) and window.shown_size == (screen_w * 2, 500)
        assert window.canvas.cget("scrollregion") == f"0 0 {screen_w * 2} 500"
        send_key(window.canvas, "f")
        assert is_fitted(window)
        tk_root.update()
        assert window.winfo_width() <= screen_w  # the window fits the screen
    finally:
        window.close()


def test_a_picture_that_fits_opens_at_actual_size(tk_root: tk.Tk) -> None:
    window = PictureViewer(tk_root, picture(200, 100, "JPEG"), "small.jpg")
    try:
        assert window.fits and not window.fitted
        assert window.shown_size == (200, 100)
        assert "disabled" in window.zoom_button.state()
    finally:
        window.close()


def test_viewer_save_calls_the_callers_save(tk_root: tk.Tk) -> None:
    calls: list[str] = []
    window = PictureViewer(tk_root, picture(), "p.png", on_save=lambda: calls.append("save"))
    send_key(window.canvas, "<Control-s>")
    assert calls == ["save"]
    window.close()


def test_an_undecodable_picture_opens_no_window_but_says_why(
    tk_root: tk.Tk, monkeypatch: pytest.MonkeyPatch
) -> None:
    said: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        "tkinter.messagebox.showerror", lambda *a, **k: said.append((*a, k.get("detail")))
    )
    assert show_viewer(tk_root, b"\x89PNG\r\n\x1a\nbroken", "bad.png") is None
    assert not [w for w in tk_root.winfo_children() if isinstance(w, tk.Toplevel)]
    assert said and "bad.png cannot be shown." in said[0]


def test_save_picture_writes_the_bytes_where_chosen(tk_root: tk.Tk, tmp_path: Path) -> None:
    asked: dict[str, Any] = {}

    def ask(**options: Any) -> str:
        asked.update(options)
        return str(tmp_path / "chosen.png")

    data = picture()
    assert save_picture(tk_root, data, "../evil/CON.png", ask=ask) == tmp_path / "chosen.png"
    assert (tmp_path / "chosen.png").read_bytes() == data
    assert asked["initialfile"] == "evil_CON.png"  # the sanitised name is suggested
    assert asked["title"] == "Save picture — desktopchat"
    assert not list(tmp_path.glob("*.part"))


def test_save_picture_cancelled_writes_nothing(tk_root: tk.Tk, tmp_path: Path) -> None:
    assert save_picture(tk_root, picture(), "p.png", ask=lambda **_o: "") is None


def test_a_failed_save_says_why(
    tk_root: tk.Tk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    said: list[str] = []
    monkeypatch.setattr("tkinter.messagebox.showerror", lambda *a, **k: said.append(a[1]))
    where = tmp_path / "missing-folder" / "p.png"
    assert save_picture(tk_root, picture(), "p.png", ask=lambda **_o: str(where)) is None
    assert said == [f"The picture could not be saved to {where}."]


def test_the_viewer_follows_the_theme(tk_root: tk.Tk) -> None:
    from desktopchat.gui import theme

    window = PictureViewer(tk_root, picture(), "p.png")
    try:
        wait_until(lambda: window.canvas.cget("background"), root=tk_root)
        assert window.canvas.cget("background") == theme.palette(tk_root).list_background
    finally:
        window.close()


def test_a_placeholder_holds_the_place_until_the_picture_is_decoded(
    text: tk.Text, tk_root: tk.Tk
) -> None:
    thumb = embed_thumbnail(text, "end-1c", picture(600, 300), "wide.png")
    placeholder = thumb.image
    assert not thumb.ready
    assert (placeholder.width(), placeholder.height()) == (320, 160)
    assert placeholder.get(10, 10) == (154, 154, 154)  # PLACEHOLDER, #9a9a9a
    wait_until(lambda: thumb.ready, what="decoded", root=tk_root)
    assert thumb.image is not placeholder
    assert (thumb.image.width(), thumb.image.height()) == (320, 160)
    assert thumb.image.get(10, 10) == RED
    assert str(text.image_cget(thumb.tag, "image")) == str(thumb.image)


def test_a_damaged_picture_keeps_its_placeholder_and_says_why(
    text: tk.Text, tk_root: tk.Tk
) -> None:
    noise = Image.effect_noise((300, 300), 60).convert("RGB")
    out = io.BytesIO()
    noise.save(out, format="PNG")
    damaged = out.getvalue()[: len(out.getvalue()) // 2]  # the header is fine
    thumb = embed_thumbnail(text, "end-1c", damaged, "cut.png")
    wait_until(lambda: thumb.failed, what="decoding failed", root=tk_root)
    assert not thumb.ready
    assert "damaged" in thumb.failed
