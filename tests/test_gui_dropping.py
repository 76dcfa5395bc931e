"""Drops of files on the window, through tkdnd's own XDND handlers and a real selection.

How a drop is made without a file manager: ``clipkit.drop_uris``.
"""

from __future__ import annotations

import logging
import sys
import tkinter as tk
from pathlib import Path

import pytest
from clipkit import drop_uris

from desktopchat.gui import dropping
from desktopchat.gui.dropping import DropTarget, dropped_paths, install_drop

pytestmark = pytest.mark.gui


@pytest.fixture
def window(tk_root: tk.Tk) -> tuple[tk.Tk, tk.Text, tk.Text]:
    tk_root.geometry("500x400+0+0")
    transcript = tk.Text(tk_root, height=10)
    transcript.pack(fill="both", expand=True)
    box = tk.Text(tk_root, height=3)
    box.pack(fill="x")
    tk_root.update()
    return tk_root, transcript, box


def test_files_dropped_on_the_transcript_or_the_box_are_sent(
    window: tuple[tk.Tk, tk.Text, tk.Text], tmp_path: Path
) -> None:
    root, transcript, box = window
    got: list[list[Path]] = []
    target = install_drop(root, [transcript, box], got.append)
    assert isinstance(target, DropTarget)
    one, two = tmp_path / "a b.txt", tmp_path / "ü.png"
    uris = f"file://{tmp_path}/a%20b.txt\r\nfile://{tmp_path}/%C3%BC.png\r\n"
    assert drop_uris(root, transcript, uris) == "copy"
    assert got == [[one, two]]
    assert drop_uris(root, box, f"file://{tmp_path}/a%20b.txt\r\n") == "copy"
    assert got[-1] == [one]


def test_a_drop_is_handed_on_after_it_was_answered(
    window: tuple[tk.Tk, tk.Text, tk.Text], tmp_path: Path
) -> None:
    root, transcript, box = window
    got: list[list[Path]] = []
    install_drop(root, [transcript, box], got.append)
    drop_uris(root, transcript, f"file://{tmp_path}/x.txt\r\n", update=False)
    assert got == []  # send_files may ask: not while the source waits for the answer
    root.update()
    assert got == [[tmp_path / "x.txt"]]


def test_another_machines_files_are_left_out(tk_root: tk.Tk) -> None:
    listed = "{/home/ann/a.txt} file://otherhost/etc/passwd file://localhost/tmp/b%20c.txt"
    assert dropped_paths(tk_root, listed) == [Path("/home/ann/a.txt"), Path("/tmp/b c.txt")]


def test_without_tkinterdnd2_there_is_no_drop_and_one_log_line(
    tk_root: tk.Tk, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "tkinterdnd2", None)  # import fails
    with caplog.at_level(logging.INFO, logger=dropping.__name__):
        assert install_drop(tk_root, [], lambda _p: None) is None
    assert [r.getMessage() for r in caplog.records] == [
        "drag and drop is off: the tkinterdnd2 package is not installed"
    ]


def test_an_extension_that_does_not_load_means_no_drop(
    tk_root: tk.Tk, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from tkinterdnd2 import TkinterDnD

    def refuse(_root: tk.Misc) -> str:
        raise RuntimeError("Unable to load tkdnd library.")

    monkeypatch.setattr(TkinterDnD, "require", refuse, raising=False)
    monkeypatch.setattr(TkinterDnD, "_require", refuse)
    with caplog.at_level(logging.INFO, logger=dropping.__name__):
        assert install_drop(tk_root, [], lambda _p: None) is None
    assert "tkdnd extension did not load" in caplog.text
