"""Paste in the message box: a picture on the clipboard is sent, copied files are offered.

Role: :class:`ClipboardPaste` takes over the message box's ``<<Paste>>``
(Ctrl+V, Shift+Insert, the context menu's Paste) and looks at the CLIPBOARD
first:

1. files copied in a file manager (``text/uri-list`` or GNOME's
   ``x-special/gnome-copied-files``), or pasted text whose every line is an
   existing file's path or ``file://`` URI -> "Send N files?" -- Yes sends
   them (``send_files``), No pastes the text as typed, Cancel does nothing;
2. else, clipboard text -> Tk's own paste, untouched;
3. else, a picture (``image/png``, else ``image/jpeg`` or ``image/gif``) ->
   converted to PNG (files/images.py: bounded, metadata dropped) and sent as
   "Pasted image YYYY-MM-DD HH-MM-SS.png" through ``send_image``.

Text wins over a picture when the clipboard offers both (a spreadsheet's
cells come with a picture of themselves: the user wants the text).

How the clipboard is read: on X11, Tk asks the owner for ``TARGETS`` and then
the chosen type; Tk hands 8-bit data of a type it does not know as "0x89
0x50 ..." words, decoded here (:func:`tk_bytes`). Elsewhere (Windows, macOS,
where Tk's clipboard is text only) Pillow's ``ImageGrab.grabclipboard`` is
asked for a picture or a file list. Reading never raises: a clipboard that
cannot be read pastes as Tk would.
"""

from __future__ import annotations

import logging
import time
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from tkinter import messagebox
from urllib.parse import urlsplit

from desktopchat.gui.title import dialog_title

__all__ = [
    "MAX_PASTED_PATHS",
    "ClipboardContent",
    "ClipboardPaste",
    "pasted_image_name",
    "paths_in_text",
    "read_clipboard",
    "tk_bytes",
]

log = logging.getLogger(__name__)

#: More lines than this in pasted text are never looked at as paths (no stat storm).
MAX_PASTED_PATHS = 100

#: Pasted text longer than this (characters) is text, never a list of paths.
_MAX_PATH_TEXT = 64 * 1024

#: The picture types taken from the clipboard, best first.
IMAGE_TARGETS = ("image/png", "image/jpeg", "image/gif")
#: Clipboard types that list copied files.
FILE_TARGETS = ("text/uri-list", "x-special/gnome-copied-files")
#: Clipboard types Tk's own paste reads as text.
TEXT_TARGETS = ("UTF8_STRING", "STRING", "TEXT", "text/plain", "text/plain;charset=utf-8")

#: Tk's hex words ("0x0" .. "0xff") -> byte values: a table lookup is 2x faster than int().
_HEX_WORDS = {f"0x{value:x}": value for value in range(256)}


def tk_bytes(value: object) -> bytes:
    """The bytes of a Tk ``clipboard get -type T`` answer for a non-text type.

    Tk returns 8-bit data of a type it does not know as hex words
    ("0x89 0x50 0x4e ..."); a newer Tk may hand bytes or a str of code points
    below 256 instead: each is taken as it comes.
    """
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    text = str(value)
    if text.startswith("0x"):
        words = text.split()
        try:
            return bytes(map(_HEX_WORDS.__getitem__, words))
        except KeyError:  # upper case or padded: slower, same bytes
            return bytes(int(word, 16) & 0xFF for word in words)
    return text.encode("latin-1", errors="replace")


def paths_in_text(text: str) -> list[Path] | None:
    """The files ``text`` lists, one per line (paths or file:// URIs); None when it is text.

    Every non-empty line must name an existing regular file; ``#`` lines (a
    text/uri-list's comments) and GNOME's leading "copy"/"cut" are skipped.
    """
    if len(text) > _MAX_PATH_TEXT:
        return None
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    if lines and lines[0] in ("copy", "cut"):
        lines = lines[1:]
    if not lines or len(lines) > MAX_PASTED_PATHS:
        return None
    paths: list[Path] = []
    for line in lines:
        path = _path_of(line)
        if path is None or not path.is_file():
            return None
        paths.append(path)
    return paths


def _path_of(line: str) -> Path | None:
    if line.startswith("file:"):
        from urllib.request import url2pathname  # slow to import (http, email): only here

        parts = urlsplit(line)
        if parts.netloc not in ("", "localhost"):
            return None  # another machine's file
        return Path(url2pathname(parts.path))  # "/C:/x" -> "C:\\x" on Windows
    path = Path(line).expanduser()
    return path if path.is_absolute() else None


def pasted_image_name(when: float | None = None) -> str:
    """ "Pasted image 2024-05-01 14-03-59.png" (local time; no colons: Windows refuses them)."""
    return time.strftime("Pasted image %Y-%m-%d %H-%M-%S.png", time.localtime(when))


@dataclass
class ClipboardContent:
    """What Ctrl+V found: at most one of files, picture (raw bytes of its type) or text."""

    files: list[Path] = field(default_factory=list)
    picture: bytes | None = None
    text: str | None = None


def _targets(widget: tk.Misc) -> list[str]:
    try:
        answer = widget.clipboard_get(type="TARGETS")
    except tk.TclError:
        return []
    return [str(t) for t in widget.tk.splitlist(answer)]


def _get(widget: tk.Misc, target: str) -> object | None:
    try:
        answer: object = widget.tk.call(
            "clipboard", "get", "-displayof", str(widget), "-type", target
        )
    except tk.TclError:
        return None
    return answer


def read_clipboard(widget: tk.Misc) -> ClipboardContent:
    """Look at the CLIPBOARD (see the module docstring for the order)."""
    if widget.tk.call("tk", "windowingsystem") != "x11":
        return _read_with_pillow(widget)
    targets = _targets(widget)
    for target in FILE_TARGETS:
        if target in targets:
            listed = _get(widget, target)
            files = paths_in_text(tk_bytes(listed).decode("utf-8", "replace")) if listed else None
            if files:
                return ClipboardContent(files=files)
    # Text only when the owner lists a text type: some owners (xclip) answer any
    # request with their one type, and Tk would turn a picture into "0x89 0x50 ..." text.
    has_text = not targets or any(t in targets for t in TEXT_TARGETS)
    text = _text(widget) if has_text else None
    if text is not None:
        return ClipboardContent(files=paths_in_text(text) or [], text=text)
    for target in IMAGE_TARGETS:
        if target in targets:
            data = _get(widget, target)
            if data is not None:
                return ClipboardContent(picture=tk_bytes(data))
    return ClipboardContent()


def _text(widget: tk.Misc) -> str | None:
    try:
        return widget.clipboard_get()
    except tk.TclError:  # no text on the clipboard
        return None


def _read_with_pillow(widget: tk.Misc) -> ClipboardContent:
    text = _text(widget)
    try:
        from PIL import ImageGrab

        grabbed = ImageGrab.grabclipboard()
    except Exception as exc:  # no clipboard helper, an odd format: paste as Tk would
        log.info("the clipboard holds no picture we can read: %s", exc)
        grabbed = None
    if isinstance(grabbed, list):
        files = [Path(p) for p in grabbed if Path(p).is_file()]
        if files:
            return ClipboardContent(files=files)
    if text is not None:
        return ClipboardContent(files=paths_in_text(text) or [], text=text)
    if grabbed is not None and not isinstance(grabbed, list):
        import io

        out = io.BytesIO()
        grabbed.save(out, format="PNG")
        return ClipboardContent(picture=out.getvalue())
    return ClipboardContent()


#: ``ask(title, message, detail)`` -> True (send), False (paste as text), None (cancel).
Ask = Callable[[str, str, str], bool | None]


def ask_send_files(parent: tk.Misc) -> Ask:
    """The default question: Yes / No / Cancel over ``parent``'s window."""

    def ask(title: str, message: str, detail: str) -> bool | None:
        return messagebox.askyesnocancel(
            title, message, detail=detail, parent=parent.winfo_toplevel()
        )

    return ask


class ClipboardPaste:
    """Ctrl+V / Shift+Insert / Paste in ``box``: pictures and files first (module docstring)."""

    def __init__(
        self,
        box: tk.Text,
        *,
        send_image: Callable[[bytes, str], object],
        send_files: Callable[[list[Path]], None],
        ask: Ask | None = None,
        show_error: Callable[[str, str], None] | None = None,
    ) -> None:
        self.box = box
        self.send_image = send_image
        self.send_files = send_files
        self.ask = ask if ask is not None else ask_send_files(box)
        self.show_error = show_error if show_error is not None else self._error_box
        box.bind("<<Paste>>", self.on_paste, add=True)

    def has_picture_or_files(self) -> bool:
        """True when Paste would send something (the context menu enables Paste for it)."""
        if self.box.tk.call("tk", "windowingsystem") != "x11":
            return False  # asking Pillow costs a conversion; the menu enables Paste for text
        targets = _targets(self.box)
        return any(t in targets for t in (*FILE_TARGETS, *IMAGE_TARGETS))

    def on_paste(self, _event: object = None) -> str | None:
        """The ``<<Paste>>`` handler: "break" when it handled the paste, None for Tk's own."""
        try:
            content = read_clipboard(self.box)
        except tk.TclError as exc:
            log.info("reading the clipboard failed: %s", exc)
            return None
        if content.files:
            return self._files(content)
        if content.text is not None:
            return None  # ordinary text: Tk pastes it, unchanged
        if content.picture is not None:
            self._picture(content.picture)
            return "break"
        return None

    def _files(self, content: ClipboardContent) -> str | None:
        files = content.files
        count = "1 file" if len(files) == 1 else f"{len(files)} files"
        names = "\n".join(p.name for p in files[:10])
        more = f"\n… and {len(files) - 10} more" if len(files) > 10 else ""
        detail = names + more
        if content.text is not None:
            detail += "\n\nNo pastes the text instead."
        answer = self.ask(dialog_title("Send files"), f"Send {count}?", detail)
        if answer is None:
            return "break"
        if answer:
            self.send_files(files)
            return "break"
        if content.text is None:
            return "break"  # copied files, no text to paste
        return None  # No: paste the paths as text

    def _picture(self, raw: bytes) -> None:
        from desktopchat.files.images import ImageError, to_png

        try:
            png = to_png(raw)
        except ImageError as exc:
            self.show_error("The picture on the clipboard cannot be sent.", str(exc))
            return
        self.send_image(png, pasted_image_name())

    def _error_box(self, message: str, detail: str) -> None:
        messagebox.showerror(
            dialog_title("Paste"), message, detail=detail, parent=self.box.winfo_toplevel()
        )
