"""Paste in the message box: the real X clipboard -> picture sent, files offered, text pasted."""

from __future__ import annotations

import contextlib
import io
import shutil
import tkinter as tk
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from clipkit import clipboard_owner
from guitools import send_key
from PIL import Image

from desktopchat.gui.clipimage import (
    ClipboardPaste,
    pasted_image_name,
    paths_in_text,
    read_clipboard,
    tk_bytes,
)
from desktopchat.gui.inputbox import InputBox
from desktopchat.gui.textmenu import InputMenu

pytestmark = pytest.mark.gui

needs_xclip = pytest.mark.skipif(shutil.which("xclip") is None, reason="needs xclip")


def png_bytes(
    colour: tuple[int, int, int] = (200, 30, 40), size: tuple[int, int] = (64, 48)
) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


# --- pure parts -------------------------------------------------------------------


def test_tk_hex_words_become_bytes() -> None:
    assert tk_bytes("0x89 0x50 0x0 0xff 0xa") == b"\x89P\x00\xff\n"
    assert tk_bytes("0x89 0X50 0x0A") == b"\x89P\n"  # an upper-case Tk would be slower, same bytes
    assert tk_bytes(b"\x00\x01") == b"\x00\x01"
    assert tk_bytes("abc") == b"abc"


def test_paths_in_text(tmp_path: Path) -> None:
    one, two = tmp_path / "a b.txt", tmp_path / "ü.png"
    one.write_text("1")
    two.write_bytes(b"2")
    assert paths_in_text(f"{one}\n{two}\n") == [one, two]
    assert paths_in_text(f"  {one}  ") == [one]
    uri = "file://" + str(two).replace("ü", "%C3%BC")
    assert paths_in_text(
        f"# comment\r\nfile://{one.as_posix().replace(' ', '%20')}\r\n{uri}\r\n"
    ) == [
        one,
        two,
    ]
    assert paths_in_text(f"copy\nfile://{one}") == [one]  # GNOME's copied files
    assert paths_in_text(f"file://localhost{one}") == [one]


@pytest.mark.parametrize(
    "text",
    [
        "hello",
        "",
        "\n\n",
        "relative/path.txt",
        "/no/such/file.txt",
        "file://otherhost/etc/hostname",
        "see /etc/hostname",
    ],
)
def test_text_that_is_not_only_files_is_text(text: str) -> None:
    assert paths_in_text(text) is None


def test_a_folder_or_a_mix_is_text(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("x")
    assert paths_in_text(str(tmp_path)) is None
    assert paths_in_text(f"{real}\nhello") is None


def test_pasted_image_name_has_no_colons() -> None:
    name = pasted_image_name(0)
    assert name.startswith("Pasted image ") and name.endswith(".png")
    assert ":" not in name


# --- the real X clipboard -----------------------------------------------------------


@pytest.fixture
def put_on_clipboard() -> Iterator[Callable[[bytes, str], None]]:
    """Own the CLIPBOARD with xclip (a separate X client) offering bytes of one type."""
    with contextlib.ExitStack() as owners:
        yield lambda data, target: owners.enter_context(clipboard_owner(data, target))


class Recorder:
    def __init__(self) -> None:
        self.images: list[tuple[bytes, str]] = []
        self.files: list[list[Path]] = []
        self.errors: list[tuple[str, str]] = []
        self.asked: list[tuple[str, str, str]] = []
        self.answer: bool | None = True

    def ask(self, title: str, message: str, detail: str) -> bool | None:
        self.asked.append((title, message, detail))
        return self.answer


@pytest.fixture
def box(tk_root: tk.Tk) -> tuple[InputBox, Recorder, ClipboardPaste]:
    from tkinter import font as tkfont

    record = Recorder()
    widget = InputBox(
        tk_root, on_submit=lambda _t: True, text_font=tkfont.nametofont("TkFixedFont")
    )
    widget.pack()
    paste = ClipboardPaste(
        widget,
        send_image=lambda png, name: record.images.append((png, name)),
        send_files=record.files.append,
        ask=record.ask,
        show_error=lambda m, d: record.errors.append((m, d)),
    )
    tk_root.update()
    return widget, record, paste


@needs_xclip
@pytest.mark.parametrize("sequence", ["<Control-v>", "<Shift-Insert>"])
def test_a_picture_on_the_clipboard_is_sent_as_png(
    box: tuple[InputBox, Recorder, ClipboardPaste],
    put_on_clipboard: Callable[[bytes, str], None],
    sequence: str,
) -> None:
    widget, record, paste = box
    widget.insert("1.0", "typed")
    original = png_bytes((10, 200, 30))
    put_on_clipboard(original, "image/png")
    assert paste.has_picture_or_files()
    send_key(widget, sequence)
    assert len(record.images) == 1
    png, name = record.images[0]
    assert name.startswith("Pasted image ") and name.endswith(".png")
    sent = Image.open(io.BytesIO(png))
    assert sent.format == "PNG" and sent.size == (64, 48)
    assert sent.convert("RGB").getpixel((5, 5)) == (10, 200, 30)
    assert widget.get_text() == "typed"  # nothing pasted as text, nothing lost


@needs_xclip
def test_a_jpeg_on_the_clipboard_is_sent_as_png(
    box: tuple[InputBox, Recorder, ClipboardPaste], put_on_clipboard: Callable[[bytes, str], None]
) -> None:
    widget, record, _paste = box
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (250, 250, 0)).save(out, format="JPEG")
    put_on_clipboard(out.getvalue(), "image/jpeg")
    widget.event_generate("<<Paste>>")
    assert len(record.images) == 1
    assert record.images[0][0].startswith(b"\x89PNG")


@needs_xclip
def test_a_broken_picture_is_refused_with_a_reason(
    box: tuple[InputBox, Recorder, ClipboardPaste], put_on_clipboard: Callable[[bytes, str], None]
) -> None:
    widget, record, _paste = box
    put_on_clipboard(b"\x89PNG\r\n\x1a\nnot really", "image/png")
    widget.event_generate("<<Paste>>")
    assert not record.images
    assert record.errors and "cannot be sent" in record.errors[0][0]
    assert widget.get_text() == ""


@needs_xclip
def test_copied_files_are_offered_after_asking(
    box: tuple[InputBox, Recorder, ClipboardPaste],
    put_on_clipboard: Callable[[bytes, str], None],
    tmp_path: Path,
) -> None:
    widget, record, _paste = box
    files = [tmp_path / "one.txt", tmp_path / "two words.pdf"]
    for path in files:
        path.write_text("x")
    uris = "".join(f"file://{p.as_posix().replace(' ', '%20')}\r\n" for p in files)
    put_on_clipboard(uris.encode(), "text/uri-list")
    widget.event_generate("<<Paste>>")
    assert record.asked == [("Send files — desktopchat", "Send 2 files?", "one.txt\ntwo words.pdf")]
    assert record.files == [files]
    assert widget.get_text() == ""


@pytest.mark.parametrize(
    ("answer", "sent", "pasted"), [(True, True, False), (False, False, True), (None, False, False)]
)
def test_pasted_paths_yes_sends_no_pastes_cancel_does_nothing(
    box: tuple[InputBox, Recorder, ClipboardPaste],
    tmp_path: Path,
    answer: bool | None,
    sent: bool,
    pasted: bool,
) -> None:
    widget, record, _paste = box
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.7")
    widget.clipboard_clear()
    widget.clipboard_append(str(path))
    record.answer = answer
    widget.event_generate("<<Paste>>")
    assert record.asked[0][1] == "Send 1 file?"
    assert record.asked[0][2].endswith("No pastes the text instead.")
    assert record.files == ([[path]] if sent else [])
    assert widget.get_text() == (str(path) if pasted else "")


@pytest.mark.parametrize(
    "text",
    [
        "hello",
        "two\nlines",
        "héllo wörld — ☺",
        "/no/such/file.png",
        "  spaced  ",
        "0x89 0x50",  # looks like Tk's hex words: still text
    ],
)
def test_ordinary_text_is_pasted_unchanged(
    box: tuple[InputBox, Recorder, ClipboardPaste], text: str
) -> None:
    widget, record, paste = box
    widget.insert("1.0", "[")
    widget.clipboard_clear()
    widget.clipboard_append(text)
    send_key(widget, "<Control-v>")
    assert widget.get_text() == "[" + text
    assert not record.asked and not record.images and not record.files
    assert not paste.has_picture_or_files()


def test_an_empty_clipboard_pastes_nothing(box: tuple[InputBox, Recorder, ClipboardPaste]) -> None:
    widget, record, _paste = box
    widget.clipboard_clear()
    widget.event_generate("<<Paste>>")
    assert widget.get_text() == ""
    assert not record.images and not record.errors


@needs_xclip
def test_read_clipboard_prefers_text_to_a_picture(
    tk_root: tk.Tk, put_on_clipboard: Callable[[bytes, str], None]
) -> None:
    put_on_clipboard(png_bytes(), "image/png")
    found = read_clipboard(tk_root)
    assert found.picture is not None and found.text is None
    tk_root.clipboard_clear()
    tk_root.clipboard_append("cells")  # now Tk owns it, text only
    found = read_clipboard(tk_root)
    assert found.text == "cells" and found.picture is None


@needs_xclip
def test_the_context_menus_paste_is_enabled_for_a_picture(
    box: tuple[InputBox, Recorder, ClipboardPaste], put_on_clipboard: Callable[[bytes, str], None]
) -> None:
    widget, record, paste = box
    menu = InputMenu(widget)
    menu.can_paste_other = paste.has_picture_or_files
    put_on_clipboard(png_bytes(), "image/png")
    built = menu.fill()
    labels = [built.entrycget(i, "label") for i in (0, 1, 2)]
    assert labels == ["Cut", "Copy", "Paste"]
    assert built.entrycget(2, "state") == "normal"
    built.invoke(2)
    assert len(record.images) == 1
