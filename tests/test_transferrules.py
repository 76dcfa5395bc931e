"""The window's file rules and numbers without Tk: which files can be sent (checked
before hashing), the download folder, sizes, speeds and time left as people read them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desktopchat.gui.transferrules import (
    check_files,
    download_folder,
    shown_path,
)
from desktopchat.gui.transfertext import Rate, kind_text, left_text, size_text, speed_text

MB = 1024**2


def test_check_files_refuses_before_hashing(tmp_path: Path) -> None:
    small = tmp_path / "small.txt"
    small.write_bytes(b"x" * 10)
    big = tmp_path / "big.bin"
    with big.open("wb") as f:
        f.truncate(2_500_000)
    good, problems = check_files([small, big, tmp_path, tmp_path / "gone.txt"], 1024**2)
    assert good == [small]
    assert problems == [
        "big.bin is 2.4 MB: this room takes files up to 1.0 MB.",
        f"{tmp_path.name} is a folder: choose the files in it instead.",
        "gone.txt: there is no such file (was it moved?).",
    ]
    assert check_files([small], None)[1][0].startswith("This room does not take files")


def test_check_files_refuses_an_unreadable_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    secret.chmod(0)
    if os.geteuid() == 0:  # root (CI's containers) may read it: answer as for anyone else
        real_access = os.access
        monkeypatch.setattr(
            os,
            "access",
            lambda path, mode: False if Path(path) == secret else real_access(path, mode),
        )
    assert check_files([secret], 100)[1] == ["Cannot read secret.txt: permission denied."]


def test_download_folder(tmp_path: Path) -> None:
    assert download_folder("", tmp_path) == tmp_path
    (tmp_path / "Downloads").mkdir()
    assert download_folder("", tmp_path) == tmp_path / "Downloads"
    assert download_folder(str(tmp_path), tmp_path) == tmp_path
    assert download_folder(str(tmp_path / "nowhere"), tmp_path) == tmp_path / "Downloads"


def test_sizes_speeds_and_time_left() -> None:
    assert [size_text(n) for n in (0, 1, 1000, 1024, 1_234_567, 12_345_678, 2 * 1024**3)] == [
        "0 bytes",
        "1 byte",
        "1,000 bytes",
        "1.0 KB",
        "1.2 MB",
        "12 MB",
        "2.0 GB",
    ]
    assert size_text(1024**2 - 1) == "1.0 MB"
    assert speed_text(850 * 1024) == "850 KB/s" and speed_text(500) == "500 B/s"
    assert [left_text(s) for s in (0.2, 8.1, 150, 7200)] == [
        "1 s left",
        "9 s left",
        "about 2 min left",
        "about 2 h left",
    ]
    assert kind_text("image/png") == "PNG image" and kind_text("-") == ""
    assert kind_text("application/x-tar") == "TAR file"


def test_the_speed_is_smoothed() -> None:
    rate = Rate()
    rate.sample(0.0, 0)
    rate.sample(0.1, 10_000_000)  # a burst: the first window of credit
    assert rate.text(100_000_000) == ""  # too early to say
    done = 10_000_000
    for step in range(1, 31):
        done += 1_000_000
        rate.sample(0.1 + step, done)
    assert rate.speed == pytest.approx(1_000_000, rel=0.01)
    rate.sample(31.1 + 5, done)  # five seconds without a byte
    assert 100_000 < rate.speed < 500_000  # slower, not zero
    assert rate.seconds_left(done + 1_000_000) is not None


def test_paths_are_shown_with_the_home_folder_as_a_tilde(tmp_path: Path) -> None:
    assert shown_path(tmp_path / "Downloads" / "a.pdf", tmp_path) == "~/Downloads/a.pdf"
    assert shown_path(Path("/elsewhere/a.pdf"), tmp_path) == "/elsewhere/a.pdf"
