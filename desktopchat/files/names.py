"""Received file names made safe to save, and a path that never overwrites.

A file's name comes from another member: it is hostile. :func:`safe_name`
turns any string into one plain file name that is valid on Linux, Windows
and macOS alike and cannot point anywhere but into the folder it is saved in;
:func:`unique_path` picks "name (1).ext", "name (2).ext", ... when the name
is taken. Pure functions but for :func:`unique_path`'s look at the folder.

The rules of :func:`safe_name`, in order (docs/ARCHITECTURE.md, "Files"):

* Unicode NFC; control characters (C0, C1, DEL, NUL), line/paragraph
  separators, surrogates and format characters (bidi overrides and isolates
  such as U+202E, which can make "gnp.exe" read as "exe.png", zero-width
  spaces, BOM) are removed; ZWJ/ZWNJ stay (emoji and some scripts need them).
* Path separators ``/`` and ``\\`` split the name into parts; parts that are
  empty or only dots (``.``, ``..``) are dropped and the rest joined with
  "_": "../../etc/passwd" -> "etc_passwd", "a/b" -> "a_b".
* Characters Windows refuses in names (``< > : " | ? *``) become "_".
* Leading dots and spaces go (no hidden "dotfiles" such as ".bashrc" appear
  in the download folder), and so do trailing dots and spaces (Windows drops
  them silently, so "x.exe." would become "x.exe").
* A Windows device name (CON, PRN, AUX, NUL, COM0-9, LPT0-9, also with
  superscript digits, CONIN$, CONOUT$) as the part before the first dot, in
  any case, gets a "_" before it: "CON.txt" -> "_CON.txt".
* At most :data:`MAX_NAME_BYTES` bytes of UTF-8: the stem is shortened
  (never inside a character), the extension kept when it is short.
* Nothing left -> "file".
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

__all__ = ["MAX_NAME_BYTES", "numbered", "safe_name", "split_extension", "unique_path"]

#: Longest name safe_name returns, in UTF-8 bytes. File systems allow 255;
#: the rest leaves room for " (12)" and the ".part" of a file being received.
MAX_NAME_BYTES = 200

#: An extension longer than this (bytes, with its dot) is not kept when shortening.
_MAX_EXTENSION_BYTES = 24

#: Kept from the format characters (category Cf): zero-width (non-)joiner.
_KEEP_FORMAT = frozenset("\u200c\u200d")

_WINDOWS_RESERVED = re.compile(r'[<>:"|?*]')
_SEPARATORS = re.compile(r"[/\\]")

_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{port}{digit}" for port in ("COM", "LPT") for digit in "0123456789\u00b9\u00b2\u00b3"}
)

#: Double extensions kept together when numbering: "a.tar.gz" -> "a (1).tar.gz".
_DOUBLE_EXTENSIONS = (".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst", ".tar.lz", ".tar.z")

#: Names tried by unique_path before it gives up numbering one by one.
_MAX_NUMBER = 9999


def _drop_invisible(text: str) -> str:
    kept: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Zl", "Zp"):
            continue
        if category == "Cf" and char not in _KEEP_FORMAT:
            continue
        kept.append(char)
    return "".join(kept)


def _is_device(name: str) -> bool:
    stem = name.split(".", 1)[0].rstrip(" ")
    return stem.upper() in _DEVICES


def split_extension(name: str) -> tuple[str, str]:
    """("archive", ".tar.gz"), ("photo", ".png"), ("README", ""); a leading dot is no extension."""
    lowered = name.lower()
    for double in _DOUBLE_EXTENSIONS:
        if lowered.endswith(double) and len(name) > len(double):
            return name[: -len(double)], name[-len(double) :]
    dot = name.rfind(".")
    if dot <= 0:
        return name, ""
    return name[:dot], name[dot:]


def _cut_utf8(text: str, limit: int) -> str:
    """The longest prefix of ``text`` whose UTF-8 is at most ``limit`` bytes."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore")


def _shorten(name: str, limit: int) -> str:
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, extension = split_extension(name)
    if len(extension.encode("utf-8")) > _MAX_EXTENSION_BYTES:
        stem, extension = name, ""
    stem = _cut_utf8(stem, limit - len(extension.encode("utf-8")))
    return _trim(stem) + extension


def _trim(name: str) -> str:
    return name.lstrip(". ").rstrip(". ")


def safe_name(name: str, *, limit: int = MAX_NAME_BYTES) -> str:
    """``name`` as a plain, harmless file name (the rules are in the module docstring)."""
    text = _drop_invisible(unicodedata.normalize("NFC", name))
    parts = [part for part in _SEPARATORS.split(text) if part.strip(". ")]
    text = _WINDOWS_RESERVED.sub("_", "_".join(parts))
    text = _trim(text)
    if _is_device(text):
        text = f"_{text}"
    text = _shorten(text, limit)
    if not text or text.startswith("."):  # nothing left, or only an extension
        text = _shorten(f"file{text}", limit)
    return text


def numbered(name: str, number: int, *, limit: int = MAX_NAME_BYTES) -> str:
    """``name`` with " (NUMBER)" before its extension, shortened to fit ``limit`` bytes."""
    stem, extension = split_extension(name)
    suffix = f" ({number}){extension}"
    room = limit - len(suffix.encode("utf-8"))
    if room <= 0:  # an absurd extension: number the whole name
        stem, suffix = name, f" ({number})"
        room = limit - len(suffix.encode("utf-8"))
    return _cut_utf8(stem, room).rstrip(". ") + suffix


def _taken(path: Path) -> bool:
    # A ".part" twin is a download in progress (the client writes NAME.part and
    # renames it when verified): a new download must not resume into it.
    return path.exists() or path.is_symlink() or path.with_name(path.name + ".part").exists()


def unique_path(folder: Path, name: str) -> Path:
    """A path in ``folder`` for the received ``name`` that names no existing file.

    The name goes through :func:`safe_name` first; when it (or its ".part"
    download) exists, "name (1).ext", "name (2).ext", ... are tried. Only a
    look: the caller creates the file (a race with another program writing
    the same name at the same moment is not excluded).
    """
    plain = safe_name(name)
    candidate = folder / plain
    number = 0
    while _taken(candidate):
        number += 1
        if number > _MAX_NUMBER:
            raise FileExistsError(f"{folder} already holds {_MAX_NUMBER} files named like {plain}")
        candidate = folder / numbered(plain, number)
    return candidate
