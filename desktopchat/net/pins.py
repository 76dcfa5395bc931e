"""The rooms this user trusts: a room's address -> the fingerprint of its certificate.

Trust on first use, as SSH's ``known_hosts``: the window asks the first time
a room shows a certificate, :meth:`KnownRooms.trust` remembers the answer,
and from then on the client requires that certificate at that address
(``ChatClient(pin=...)``). Re-trusting after a change is an explicit
:meth:`KnownRooms.trust` (or :meth:`KnownRooms.forget`), never automatic.

The file is ``paths.data_dir()/known_rooms.json``::

    {"version": 1, "rooms": {"192.0.2.2:1234": "3f2a...64 hex digits"}}

It is rewritten whole and atomically (a temporary file, then ``os.replace``).
A file that cannot be read is set aside as ``known_rooms.json.bad`` and the
rooms start empty: the worst outcome is being asked again, never trusting a
certificate nobody approved. Host names are kept in lower case; an IPv6
address is written in brackets.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from desktopchat import paths
from desktopchat.net.tls import normalize_fingerprint

__all__ = ["KNOWN_ROOMS_FILE", "MAX_ROOMS", "KnownRooms", "room_key"]

log = logging.getLogger(__name__)

KNOWN_ROOMS_FILE = "known_rooms.json"
#: Rooms remembered at most; the least recently trusted go first (a file
#: somebody filled by hand cannot grow the program's memory without end).
MAX_ROOMS = 10_000
_VERSION = 1


def room_key(host: str, port: int) -> str:
    """How an address is written in the file: ``host:port``, ``[v6]:port``."""
    host = host.strip().lower().removeprefix("[").removesuffix("]")
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class KnownRooms:
    """The trusted rooms in one JSON file; safe to use from any thread."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else paths.data_dir() / KNOWN_ROOMS_FILE
        self._lock = threading.Lock()
        self._rooms: dict[str, str] = self._load()

    def get(self, host: str, port: int) -> str | None:
        """The fingerprint trusted for this address, or None (never visited)."""
        with self._lock:
            return self._rooms.get(room_key(host, port))

    def trust(self, host: str, port: int, fingerprint: str) -> None:
        """Remember ``fingerprint`` for this address (replacing any earlier one); save."""
        fp = normalize_fingerprint(fingerprint)
        if fp is None:
            raise ValueError(f"not a SHA-256 fingerprint: {fingerprint!r}")
        with self._lock:
            key = room_key(host, port)
            self._rooms.pop(key, None)
            self._rooms[key] = fp  # newest last
            while len(self._rooms) > MAX_ROOMS:
                del self._rooms[next(iter(self._rooms))]
            self._save()

    def forget(self, host: str, port: int) -> None:
        """Trust nothing at this address any more; save."""
        with self._lock:
            if self._rooms.pop(room_key(host, port), None) is not None:
                self._save()

    # --- the file -------------------------------------------------------------------

    def _load(self) -> dict[str, str]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            log.warning("cannot read %s (%s): no rooms are trusted yet", self.path, exc)
            return {}
        try:
            rooms = _parse(json.loads(raw))
        except (ValueError, UnicodeDecodeError) as exc:
            bad = self.path.with_name(self.path.name + ".bad")
            log.warning("%s is damaged (%s): set aside as %s", self.path, exc, bad.name)
            with contextlib.suppress(OSError):
                os.replace(self.path, bad)
            return {}
        return rooms

    def _save(self) -> None:
        data = json.dumps({"version": _VERSION, "rooms": self._rooms}, indent=1)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as file:
            file.write(data + "\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, self.path)


def _parse(document: Any) -> dict[str, str]:
    if not isinstance(document, dict) or not isinstance(document.get("rooms"), dict):
        raise ValueError("no rooms object")
    rooms: dict[str, str] = {}
    for key, value in list(document["rooms"].items())[-MAX_ROOMS:]:
        fp = normalize_fingerprint(value) if isinstance(value, str) else None
        if fp is None:
            raise ValueError(f"bad fingerprint for {key!r}")
        rooms[str(key)] = fp
    return rooms
