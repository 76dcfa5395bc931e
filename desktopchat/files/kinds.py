"""What kind of file this is: its MIME type, a picture we show, a program we never open.

Pure functions over a name and the first bytes of the content (``head``:
:data:`HEAD_BYTES` are enough), plus, for :func:`is_executable`, the x bit of
a file on disk. Content beats the name where the two disagree about a
picture or a program: a member chooses the name, and "photo.png" whose bytes
start with "MZ" is a Windows program.

* :func:`guess_mime`: magic bytes first (PNG, GIF, JPEG, WebP, BMP, PDF, ZIP,
  gzip, ELF, PE, scripts), then the extension from Python's built-in table
  (never the machine's /etc/mime.types, so every machine answers alike),
  else ``application/octet-stream``.
* :func:`is_image`: the formats shown inline -- PNG, GIF, JPEG.
* :func:`is_executable`: an extension a desktop runs or installs when the file
  is opened (:data:`EXECUTABLE_EXTENSIONS`), program magic (ELF, MZ, Mach-O,
  ``#!``), or a file on disk with an x bit. Such files are never opened by
  desktopchat, only shown in their folder.
"""

from __future__ import annotations

import mimetypes
import os
import stat
from pathlib import Path, PurePath

__all__ = [
    "EXECUTABLE_EXTENSIONS",
    "HEAD_BYTES",
    "IMAGE_TYPES",
    "UNKNOWN",
    "guess_mime",
    "is_executable",
    "is_image",
]

#: Bytes of a file's start the magic checks look at.
HEAD_BYTES = 64

#: The type of anything we cannot name.
UNKNOWN = "application/octet-stream"

#: Pictures shown inline (thumbnail in the transcript, the viewer).
IMAGE_TYPES = frozenset({"image/png", "image/gif", "image/jpeg"})

#: Extensions (lower case, with the dot) that run, install or link to code when opened.
EXECUTABLE_EXTENSIONS = frozenset(
    {
        # Windows programs, installers, scripts and shortcuts
        ".exe", ".com", ".bat", ".cmd", ".msi", ".msp", ".mst", ".scr", ".pif", ".cpl",
        ".dll", ".sys", ".ocx", ".ps1", ".psm1", ".psd1", ".vbs", ".vbe", ".vb", ".js",
        ".jse", ".wsf", ".wsh", ".ws", ".hta", ".lnk", ".url", ".scf", ".reg", ".inf",
        ".msc", ".gadget", ".application", ".appref-ms", ".appx", ".msix", ".xbap",
        # Java, Python, other interpreters
        ".jar", ".jnlp", ".class", ".py", ".pyw", ".pyc", ".pyz", ".pyzw", ".pl", ".rb",
        ".php", ".lua", ".tcl",
        # Unix shells, launchers, packages, binaries
        ".sh", ".bash", ".zsh", ".csh", ".ksh", ".fish", ".command", ".desktop",
        ".appimage", ".run", ".elf", ".so", ".ko", ".deb", ".rpm",
        ".snap", ".flatpakref", ".flatpak",
        # macOS and Android
        ".app", ".dmg", ".pkg", ".mpkg", ".dylib", ".workflow", ".apk", ".xapk",
    }
)  # fmt: skip

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"BM", "image/bmp"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"\x7fELF", "application/x-executable"),
    (b"MZ", "application/vnd.microsoft.portable-executable"),
    (b"#!", "text/x-script"),
)

#: Program magic: ELF, DOS/PE, Mach-O (both byte orders, 32/64 bit, fat), a script's "#!".
_PROGRAM_MAGIC = (
    b"\x7fELF",
    b"MZ",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",
)

#: Python's built-in extension table only (MimeTypes() skips the system's files).
_TABLE = mimetypes.MimeTypes()


def _magic_type(head: bytes) -> str | None:
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            if magic == b"BM" and head[6:10] != b"\0\0\0\0":
                continue  # "BM" starts words too; a BMP has four zero bytes after its size
            return mime
    return None


def guess_mime(name: str, head: bytes = b"") -> str:
    """The MIME type of a file called ``name`` whose content starts with ``head``."""
    found = _magic_type(head)
    if found is not None:
        return found
    guessed, encoding = _TABLE.guess_type(PurePath(name.rstrip(". ")).name or "x", strict=False)
    if encoding == "gzip":
        return "application/gzip"
    if encoding is not None:
        return UNKNOWN
    return guessed or UNKNOWN


def is_image(mime: str | None) -> bool:
    """True for the picture types shown inline (PNG, GIF, JPEG); parameters are ignored."""
    if not mime:
        return False
    plain = mime.split(";", 1)[0].strip().lower()
    return plain in IMAGE_TYPES or plain in ("image/jpg", "image/pjpeg")


def _extension(name: str) -> str:
    # Windows ignores trailing dots and spaces: "x.exe. " runs as x.exe.
    return PurePath(name.rstrip(". ") or "x").suffix.lower()


def _has_x_bit(path: Path) -> bool:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISREG(mode) and bool(mode & 0o111)


def is_executable(path_or_name: str | os.PathLike[str], head: bytes = b"") -> bool:
    """True when opening the file could run code: extension, magic bytes, or x bit on disk.

    A ``Path`` is also looked at on disk (its x bit); a ``str`` is only a name.
    """
    name = os.fspath(path_or_name)
    if _extension(name) in EXECUTABLE_EXTENSIONS:
        return True
    if head.startswith(_PROGRAM_MAGIC):
        return True
    return isinstance(path_or_name, Path) and _has_x_bit(path_or_name)
