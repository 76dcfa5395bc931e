"""desktopchat.files.names: received names made safe, paths that never overwrite."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktopchat.files.names import (
    MAX_NAME_BYTES,
    numbered,
    safe_name,
    split_extension,
    unique_path,
)


@pytest.mark.parametrize(
    ("hostile", "expected"),
    [
        ("../../etc/passwd", "etc_passwd"),
        ("..\\..\\Windows\\System32\\cmd.exe", "Windows_System32_cmd.exe"),
        ("/etc/passwd", "etc_passwd"),
        ("a/b", "a_b"),
        ("C:\\x", "C__x"),
        ("C:x.txt", "C_x.txt"),
        ('what?<>:"|*.txt', "what_______.txt"),
        ("CON.txt", "_CON.txt"),
        ("con", "_con"),
        ("nul", "_nul"),
        ("NUL.tar.gz", "_NUL.tar.gz"),
        ("Aux.", "_Aux"),
        ("COM1.log", "_COM1.log"),
        ("lpt9", "_lpt9"),
        ("COM\u00b9.txt", "_COM\u00b9.txt"),
        ("CONOUT$", "_CONOUT$"),
        ("CON .txt", "_CON .txt"),  # Windows ignores the space before the dot too
        ("CONSOLE.txt", "CONSOLE.txt"),  # only the exact device names
        ("COM10.txt", "COM10.txt"),
        ("x. ", "x"),
        ("report.pdf...", "report.pdf"),
        ("  spaced  ", "spaced"),
        (".bashrc", "bashrc"),
        (".", "file"),
        ("..", "file"),
        ("....", "file"),
        ("./..", "file"),
        ("", "file"),
        (" ", "file"),
        ("\x00", "file"),
        ("a\x00b.txt", "ab.txt"),
        ("line\nbreak\r.txt", "linebreak.txt"),
        ("tab\there", "tabhere"),
        ("bell\x07\x7f\x9b.txt", "bell.txt"),  # C0, DEL, C1
        ("evil\u202egnp.exe", "evilgnp.exe"),  # right-to-left override: reads "exe.png"
        ("\u2066a\u2069\u200e\u200f\u061c.txt", "a.txt"),  # isolates, marks
        ("zero\u200bwidth\ufeff.txt", "zerowidth.txt"),
        ("para\u2029graph\u2028.txt", "paragraph.txt"),
        ("\U0001f468\u200d\U0001f469.png", "\U0001f468\u200d\U0001f469.png"),  # ZWJ emoji kept
        ("photo.png", "photo.png"),
        ("Résumé 2024.docx", "Résumé 2024.docx"),
        ("日本語のファイル.txt", "日本語のファイル.txt"),
    ],
)
def test_hostile_and_ordinary_names(hostile: str, expected: str) -> None:
    assert safe_name(hostile) == expected


def test_names_are_nfc() -> None:
    decomposed = "Re\u0301sume\u0301.txt"
    assert safe_name(decomposed) == unicodedata.normalize("NFC", decomposed)


def test_a_thousand_characters_are_cut_to_the_limit_keeping_the_extension() -> None:
    name = "a" * 1000 + ".png"
    safe = safe_name(name)
    assert len(safe.encode()) == MAX_NAME_BYTES
    assert safe.endswith(".png")
    assert safe.startswith("aaaa")


def test_cutting_never_splits_a_character() -> None:
    name = "é" * 300 + ".txt"  # two bytes each
    safe = safe_name(name)
    assert len(safe.encode()) <= MAX_NAME_BYTES
    assert safe.endswith(".txt")
    assert set(safe.removesuffix(".txt")) == {"é"}
    four = "\U0001f600" * 100
    assert len(safe_name(four).encode()) <= MAX_NAME_BYTES
    assert set(safe_name(four)) == {"\U0001f600"}


def test_an_absurd_extension_is_cut_with_the_rest() -> None:
    safe = safe_name("x." + "b" * 500)
    assert len(safe.encode()) == MAX_NAME_BYTES
    assert safe.startswith("x.bbb")


def test_cutting_leaves_no_trailing_dots_or_spaces() -> None:
    safe = safe_name("a" * 195 + "  ...  " + "z" * 50)
    assert not safe.endswith((".", " "))
    assert len(safe.encode()) <= MAX_NAME_BYTES


def test_a_long_device_name_is_still_caught() -> None:
    safe = safe_name("CON." + "x" * 400)
    assert safe.upper().startswith("_CON")
    assert len(safe.encode()) <= MAX_NAME_BYTES


@given(st.text(max_size=400))
def test_any_text_gives_one_harmless_name(name: str) -> None:
    safe = safe_name(name)
    assert safe
    assert "/" not in safe and "\\" not in safe and "\x00" not in safe
    assert safe not in (".", "..")
    assert not safe.startswith((".", " ")) and not safe.endswith((".", " "))
    assert len(safe.encode("utf-8")) <= MAX_NAME_BYTES
    assert not any(unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") for c in safe)
    assert not any(c in '<>:"|?*' for c in safe)
    stem = safe.split(".", 1)[0].rstrip(" ").upper()
    assert stem not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}
    assert safe_name(safe) == safe  # already safe: unchanged


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("photo.png", ("photo", ".png")),
        ("archive.tar.gz", ("archive", ".tar.gz")),
        ("ARCHIVE.TAR.XZ", ("ARCHIVE", ".TAR.XZ")),
        ("README", ("README", "")),
        ("bashrc", ("bashrc", "")),
        (".tar.gz", (".tar", ".gz")),
        ("a.b.c", ("a.b", ".c")),
    ],
)
def test_split_extension(name: str, parts: tuple[str, str]) -> None:
    assert split_extension(name) == parts


def test_numbered_puts_the_number_before_the_extension() -> None:
    assert numbered("photo.png", 1) == "photo (1).png"
    assert numbered("archive.tar.gz", 12) == "archive (12).tar.gz"
    assert numbered("README", 2) == "README (2)"
    long = numbered("a" * 199 + ".png", 3)
    assert long.endswith("a (3).png") and len(long.encode()) <= MAX_NAME_BYTES


def test_unique_path_never_overwrites(tmp_path: Path) -> None:
    first = unique_path(tmp_path, "photo.png")
    assert first == tmp_path / "photo.png"
    first.write_bytes(b"1")
    second = unique_path(tmp_path, "photo.png")
    assert second == tmp_path / "photo (1).png"
    second.write_bytes(b"2")
    assert unique_path(tmp_path, "photo.png") == tmp_path / "photo (2).png"
    assert first.read_bytes() == b"1" and second.read_bytes() == b"2"


def test_unique_path_sanitises_first(tmp_path: Path) -> None:
    path = unique_path(tmp_path, "../../etc/passwd")
    assert path.parent == tmp_path
    assert path.name == "etc_passwd"
    assert unique_path(tmp_path, "CON").name == "_CON"


def test_a_download_in_progress_takes_its_name(tmp_path: Path) -> None:
    (tmp_path / "movie.mkv.part").write_bytes(b"half")
    assert unique_path(tmp_path, "movie.mkv") == tmp_path / "movie (1).mkv"


def test_a_dangling_symlink_or_a_folder_takes_its_name(tmp_path: Path) -> None:
    (tmp_path / "link.txt").symlink_to(tmp_path / "nowhere")
    assert unique_path(tmp_path, "link.txt") == tmp_path / "link (1).txt"
    (tmp_path / "folder").mkdir()
    assert unique_path(tmp_path, "folder") == tmp_path / "folder (1)"


def test_numbering_keeps_double_extensions(tmp_path: Path) -> None:
    (tmp_path / "backup.tar.gz").write_bytes(b"")
    assert unique_path(tmp_path, "backup.tar.gz").name == "backup (1).tar.gz"
