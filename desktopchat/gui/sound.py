"""The alert chime: ``assets/chime.wav`` (made by ``tools/make_chime.py``), never blocking.

Linux: ``paplay`` (PulseAudio/PipeWire) or else ``aplay`` (ALSA) in a child
process that is not waited for (finished children are reaped on the next
call). Windows: ``winsound.PlaySound`` with ``SND_ASYNC`` (written, not tested
here). Anywhere else, or when neither player exists or the file is missing,
the caller's fallback runs (the window uses Tk's ``bell()``).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from desktopchat.resources import assets_dir

__all__ = ["CHIME", "Chime"]

log = logging.getLogger(__name__)

#: The file played (in the assets directory).
CHIME = "chime.wav"
#: Players we try, in order.
PLAYERS = ("paplay", "aplay")
#: Children still playing (a flood is rate-limited before it gets here).
MAX_CHILDREN = 4


class Chime:
    """Plays the chime; ``fallback`` when it cannot."""

    def __init__(self, fallback: Callable[[], object]) -> None:
        self._fallback = fallback
        self._children: list[subprocess.Popen[bytes]] = []
        self._player: str | None = None
        self._path: Path | None = None
        self._looked = False

    def _look(self) -> None:
        self._looked = True
        try:
            path = assets_dir() / CHIME
        except FileNotFoundError:
            return
        if path.is_file():
            self._path = path
        if sys.platform != "win32":
            self._player = next((p for p in map(shutil.which, PLAYERS) if p), None)

    def play(self) -> str:
        """Start the chime; return how ("winsound", a player's path, or "bell")."""
        if not self._looked:
            self._look()
        self._children = [c for c in self._children if c.poll() is None]
        if self._path is not None and sys.platform == "win32":
            try:
                import winsound

                winsound.PlaySound(str(self._path), winsound.SND_FILENAME | winsound.SND_ASYNC)
                return "winsound"
            except (ImportError, RuntimeError) as exc:
                log.info("cannot play %s: %s", self._path, exc)
        elif self._path is not None and self._player and len(self._children) < MAX_CHILDREN:
            try:
                child = subprocess.Popen(
                    [self._player, str(self._path)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            except OSError as exc:
                log.info("cannot run %s: %s", self._player, exc)
                self._player = None
            else:
                self._children.append(child)
                return self._player
        self._fallback()
        return "bell"
