"""Fixtures of the in-memory room tests: a Room with a test clock, and its Net.

Here ``room`` is a :class:`~desktopchat.server.room.Room` driven in memory
(tests/roomkit.py), not the RoomServer on a socket of tests/conftest.py.
"""

from __future__ import annotations

import pytest
from roomkit import Clock, Net

from desktopchat.server.room import Room


@pytest.fixture
def clock() -> Clock:
    """A clock the test moves by hand."""
    return Clock()


@pytest.fixture
def room(clock: Clock) -> Room:
    """An in-memory room (overrides the RoomServer fixture of tests/conftest.py)."""
    return Room(history=100, clock=clock)


@pytest.fixture
def net(room: Room) -> Net:
    """Sessions wired to ``room`` through bytes."""
    return Net(room)
