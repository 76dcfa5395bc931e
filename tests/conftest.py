"""Shared fixtures and the display policy for GUI tests.

GUI tests carry the ``gui`` marker. They skip only when there is no display
*and* ``DESKTOPCHAT_REQUIRE_DISPLAY`` is unset; CI sets it, so a missing Xvfb
fails the run instead of silently skipping. pytest-xvfb provides the display.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from guitools import tk_root  # noqa: F401  (fixture: fails a test whose Tk callback raised)

from desktopchat.server import RoomServer


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
