"""Pre-filled names (last login, else the OS user name if valid) and where Save
transcript… starts (Documents or home, a dated name)."""

from __future__ import annotations

import getpass
import time
from pathlib import Path
from tkinter import filedialog
from typing import Any

import pytest

from desktopchat.gui.app import ChatApp
from desktopchat.gui.defaults import default_name, save_place


def test_the_saved_name_wins_then_a_valid_os_user_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: "zoe")
    assert default_name("ann") == "ann"
    assert default_name("") == "zoe"
    monkeypatch.setattr(getpass, "getuser", lambda: "x" * 300)  # too long for a room
    assert default_name("") == ""

    def no_user() -> str:
        raise OSError("no user name")

    monkeypatch.setattr(getpass, "getuser", no_user)
    assert default_name("") == ""


def test_login_and_host_dialogs_are_pre_filled(
    app: ChatApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: "zoe")
    app.show_login()
    app.root.update()
    assert app.dialog is not None and app.dialog.value("name") == "zoe"  # type: ignore[attr-defined]
    app.host_room()
    app.root.update()
    assert app.dialog is not None and app.dialog.value("name") == "zoe"  # type: ignore[attr-defined]
    app.dialog.destroy()


def test_save_place_is_documents_else_home_with_a_dated_name(tmp_path: Path) -> None:
    when = time.mktime((2026, 3, 4, 5, 6, 0, 0, 0, -1))
    assert save_place(tmp_path, when) == (tmp_path, "desktopchat-2026-03-04-0506.txt")
    (tmp_path / "Documents").mkdir()
    assert save_place(tmp_path, when)[0] == tmp_path / "Documents"


def test_the_save_dialog_opens_there(
    app: ChatApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "Documents").mkdir()
    asked: list[dict[str, Any]] = []

    def ask(**kw: Any) -> str:
        asked.append(kw)
        return ""  # Cancel

    monkeypatch.setattr(filedialog, "asksaveasfilename", ask)
    app.save_transcript()
    assert asked[0]["initialdir"] == str(tmp_path / "Documents")
    assert asked[0]["initialfile"].startswith(time.strftime("desktopchat-%Y-"))
    assert asked[0]["initialfile"].endswith(".txt")
