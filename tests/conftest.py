"""Shared fixtures and the display policy for GUI tests.

GUI tests carry the ``gui`` marker. They skip only when there is no display
*and* ``DESKTOPCHAT_REQUIRE_DISPLAY`` is unset; CI sets it, so a missing Xvfb
fails the run instead of silently skipping. pytest-xvfb provides the display.
"""

from __future__ import annotations

import os
import threading
import tkinter as tk
from collections.abc import Iterator
from pathlib import Path

import pytest
from relay import MakeClient

from desktopchat.client import ChatClient
from desktopchat.gui.app import ChatApp
from desktopchat.server import RoomServer
from desktopchat.settings import Settings

# guitools provides the tk_root fixture (fails a test whose Tk callback raised).
pytest_plugins = ["guitools"]


def _have_display() -> bool:
    return bool(os.environ.get("DISPLAY"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _have_display() or os.environ.get("DESKTOPCHAT_REQUIRE_DISPLAY"):
        return
    skip = pytest.mark.skip(reason="no display (set DESKTOPCHAT_REQUIRE_DISPLAY=1 to fail instead)")
    for item in items:
        if "gui" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def room() -> Iterator[RoomServer]:
    """A real room server on 127.0.0.1, any free port, running on its thread."""
    with RoomServer("127.0.0.1", 0) as server:
        yield server


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    """Make ChatClients (``make(address, name, **options)``); all are closed at the end."""
    made: list[ChatClient] = []

    def make(address: tuple[str, int], name: str = "ann", **kwargs: object) -> ChatClient:
        c = ChatClient(address[0], address[1], name, **kwargs)  # type: ignore[arg-type]
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()
        assert c._thread is None or not c._thread.is_alive()


@pytest.fixture
def saved() -> list[Settings]:
    """Settings the ``app`` fixture's window saved (on Quit)."""
    return []


@pytest.fixture
def app(
    tk_root: tk.Tk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, saved: list[Settings]
) -> Iterator[ChatApp]:
    """A real chat window (not in a room) with default settings, 800x500."""
    monkeypatch.setenv("DESKTOPCHAT_HOME", str(tmp_path))
    chat = ChatApp(tk_root, Settings(), save=saved.append)
    tk_root.geometry("800x500+0+0")
    tk_root.update()
    yield chat
    chat.quit()
    assert not [t for t in threading.enumerate() if t.name.startswith("desktopchat-")]
