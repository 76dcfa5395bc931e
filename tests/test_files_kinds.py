"""desktopchat.files.kinds: MIME types, pictures shown inline, programs never opened."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktopchat.files.kinds import UNKNOWN, guess_mime, is_executable, is_image

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
GIF = b"GIF89a\x01\x00\x01\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
ELF = b"\x7fELF\x02\x01\x01"
PE = b"MZ\x90\x00\x03\x00"


@pytest.mark.parametrize(
    ("name", "head", "mime"),
    [
        ("photo.png", PNG, "image/png"),
        ("photo.gif", GIF, "image/gif"),
        ("photo.jpg", JPEG, "image/jpeg"),
        ("no-extension", PNG, "image/png"),  # the content names it
        ("photo.png", JPEG, "image/jpeg"),  # content beats the name
        ("photo.png", PE, "application/vnd.microsoft.portable-executable"),
        ("tool", ELF, "application/x-executable"),
        ("run.txt", b"#!/bin/sh\n", "text/x-script"),
        ("a.webp", b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        ("doc.pdf", b"%PDF-1.7", "application/pdf"),
        ("notes.txt", b"hello", "text/plain"),
        ("notes.txt", b"", "text/plain"),
        ("Photo.JPEG", b"", "image/jpeg"),
        ("x.tar.gz", b"", "application/gzip"),
        ("blob", b"\x00\x01\x02", UNKNOWN),
        ("", b"", UNKNOWN),
        ("trailing.png. ", b"", "image/png"),
        ("BMW is a word.txt", b"BMW is a word", "text/plain"),  # "BM" alone is no bitmap
        ("pic.bmp", b"BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00", "image/bmp"),
    ],
)
def test_guess_mime(name: str, head: bytes, mime: str) -> None:
    assert guess_mime(name, head) == mime


@pytest.mark.parametrize(
    ("mime", "shown"),
    [
        ("image/png", True),
        ("image/gif", True),
        ("image/jpeg", True),
        ("IMAGE/PNG", True),
        ("image/jpeg; q=1", True),
        ("image/jpg", True),
        ("image/webp", False),
        ("image/svg+xml", False),  # scripts inside: never inline
        ("image/bmp", False),
        ("application/octet-stream", False),
        ("-", False),
        ("", False),
        (None, False),
    ],
)
def test_is_image(mime: str | None, shown: bool) -> None:
    assert is_image(mime) is shown


@pytest.mark.parametrize(
    "name",
    [
        "setup.exe",
        "SETUP.EXE",
        "photo.png.exe",
        "x.exe.",
        "x.exe  ",
        "run.bat",
        "run.cmd",
        "old.com",
        "install.msi",
        "screen.scr",
        "script.ps1",
        "macro.vbs",
        "page.js",
        "app.jar",
        "build.sh",
        "launcher.desktop",
        "Tool.AppImage",
        "tool.py",
        "shortcut.lnk",
        "settings.reg",
        "package.deb",
        "installer.pkg",
        "app.apk",
    ],
)
def test_executable_by_name(name: str) -> None:
    assert is_executable(name)


@pytest.mark.parametrize("head", [ELF, PE, b"#!/usr/bin/env python3\n", b"\xcf\xfa\xed\xfe"])
def test_executable_by_content_whatever_the_name(head: bytes) -> None:
    assert is_executable("holiday.jpg", head)


@pytest.mark.parametrize("name", ["photo.png", "notes.txt", "report.pdf", "song.mp3", "README"])
def test_ordinary_files_are_not_executable(name: str) -> None:
    assert not is_executable(name, b"hello")


def test_the_x_bit_of_a_file_on_disk(tmp_path: Path) -> None:
    plain = tmp_path / "data.bin"
    plain.write_bytes(b"\x00")
    assert not is_executable(plain)
    plain.chmod(0o755)
    assert is_executable(plain)
    assert not is_executable(str(plain))  # a str is a name only
    assert not is_executable(tmp_path)  # a folder's x bit means "enter"
    assert not is_executable(tmp_path / "missing.bin")
