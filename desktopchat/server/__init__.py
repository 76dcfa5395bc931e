"""The room server: the selectors loop (``loop``), the room's rules (``room``),
its memory of events (``history``) and the password check (``gate``).

docs/ARCHITECTURE.md shows how they fit; docs/PROTOCOL.md is what they speak.
"""

from __future__ import annotations

from desktopchat.server.loop import RoomServer

__all__ = ["RoomServer"]
