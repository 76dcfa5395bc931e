"""ThumbnailMaker: thumbnails made on a worker thread, results handed back on the Tk thread."""

from __future__ import annotations

import io
import threading
import tkinter as tk

import pytest
from PIL import Image
from waiting import wait_until

from desktopchat.files import images
from desktopchat.gui import thumbmaker
from desktopchat.gui.thumbmaker import MAX_WAITING, ThumbnailMaker, maker_for

pytestmark = pytest.mark.gui


def png(colour: str = "red", size: tuple[int, int] = (400, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def is_busy(maker: ThumbnailMaker) -> bool:
    return maker.busy  # a call: mypy would keep an earlier assert's narrowing


def test_results_come_back_on_the_tk_thread(tk_root: tk.Tk) -> None:
    maker = ThumbnailMaker(tk_root)
    got: list[tuple[tuple[int, int] | None, str, str]] = []

    def done(result: bytes | None, error: str) -> None:
        size = Image.open(io.BytesIO(result)).size if result else None
        got.append((size, error, threading.current_thread().name))

    maker.make(png(), (100, 100), done)
    maker.make(b"no picture", (100, 100), done)
    assert is_busy(maker)
    wait_until(lambda: len(got) == 2, root=tk_root)
    assert got[0] == ((100, 50), "", "MainThread")
    assert got[1][0] is None and "PNG, GIF or JPEG" in got[1][1]
    assert got[1][2] == "MainThread"
    assert not is_busy(maker)
    assert maker.wait(5)  # the worker ends when nothing waits
    assert not [t for t in threading.enumerate() if t.name == "desktopchat-thumbnails"]


def test_the_worker_never_holds_a_callback(tk_root: tk.Tk) -> None:
    """Tk objects must die on the Tk thread: the job the worker sees has no callback."""
    assert set(thumbmaker._Job.__dataclass_fields__) == {"number", "data", "box"}


def test_too_many_waiting_jobs_drop_the_oldest(
    tk_root: tk.Tk, monkeypatch: pytest.MonkeyPatch
) -> None:
    maker = ThumbnailMaker(tk_root)
    gate = threading.Event()
    real = images.thumbnail

    def slow(data: bytes, max_w: int, max_h: int) -> bytes:
        gate.wait(10)
        return real(data, max_w, max_h)

    monkeypatch.setattr("desktopchat.gui.thumbmaker.thumbnail", slow)
    errors: list[str] = []
    picture = png()
    for _ in range(MAX_WAITING + 4):
        maker.make(picture, (50, 50), lambda _png, error: errors.append(error))
    gate.set()
    wait_until(lambda: len(errors) == MAX_WAITING + 4, root=tk_root)
    dropped = [e for e in errors if e]
    assert 3 <= len(dropped) <= 4  # the first may have been taken by the worker already
    assert set(dropped) == {"Too many pictures at once."}
    assert maker.wait(5)


def test_one_maker_per_interpreter(tk_root: tk.Tk) -> None:
    child = tk.Frame(tk_root)
    assert maker_for(child) is maker_for(tk_root)
