"""Where desktopchat keeps its files: per-user config, data and log directories.

Every path comes from a function so tests (and portable installs) can redirect
them: when ``DESKTOPCHAT_HOME`` is set, config, data and logs live under it
instead of the platform's usual places:

* Linux and other Unix: ``$XDG_CONFIG_HOME/desktopchat`` (``~/.config``),
  ``$XDG_DATA_HOME/desktopchat`` (``~/.local/share``) and
  ``$XDG_STATE_HOME/desktopchat/log`` (``~/.local/state``)
* Windows: ``%APPDATA%\\desktopchat``, ``%LOCALAPPDATA%\\desktopchat`` and
  ``%LOCALAPPDATA%\\desktopchat\\Logs``
* macOS: ``~/Library/Application Support/desktopchat`` (config and data) and
  ``~/Library/Logs/desktopchat``

The data directory holds what is this machine's own and not a preference:
the room's certificate and key (``identity/``), the rooms trusted
(``known_rooms.json``).

Nothing here creates a directory; callers do, when they first write.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "desktopchat"

#: Environment variable that relocates every per-user file (tests use it).
HOME_ENV = "DESKTOPCHAT_HOME"


def _override() -> Path | None:
    value = os.environ.get(HOME_ENV)
    return Path(value) if value else None


def config_dir() -> Path:
    """Return the directory for settings.json."""
    if (root := _override()) is not None:
        return root / "config"
    if sys.platform == "win32":
        base = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(base) / APP_NAME
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_NAME
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / APP_NAME


def data_dir() -> Path:
    """Return the directory for the certificate identity and the known rooms."""
    if (root := _override()) is not None:
        return root / "data"
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / APP_NAME
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_NAME
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / APP_NAME


def log_dir() -> Path:
    """Return the directory for the rotating log file."""
    if (root := _override()) is not None:
        return root / "log"
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / APP_NAME / "Logs"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Logs" / APP_NAME
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / APP_NAME / "log"
