"""Remembered preferences: name, room address, window geometry, text size, theme, notifications.

A small :class:`Settings` dataclass saved as JSON in ``settings.json`` inside
:func:`desktopchat.paths.config_dir` (XDG on Linux, APPDATA on Windows,
Application Support on macOS; ``DESKTOPCHAT_HOME`` redirects it for tests).
No tkinter here: the GUI reads and writes these values, this module only
stores them.

Invariants and decisions:

* :func:`load_settings` never raises for a bad file. A missing file gives the
  defaults. A file that cannot be read or parsed (not UTF-8, not JSON, not a
  JSON object) is renamed aside to ``settings.json.corrupt-<timestamp>`` so the
  user can inspect it, a warning is logged, and the defaults are used.
  Unknown keys are ignored (a newer version may have written them); a field
  with the wrong type or an out-of-range value falls back to its default,
  alone, and the other fields are kept.
* :func:`save_settings` writes atomically (a temporary file in the same
  directory, then ``os.replace``), so a crash mid-write never leaves half a
  file. It creates the directory. It logs and swallows ``OSError``: a settings
  file that cannot be written must never stop the app from quitting.
* Passwords are never saved: the file is plain text in the user's profile.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
import time
import unicodedata
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from desktopchat import paths

__all__ = [
    "FONT_SIZE_RANGE",
    "SETTINGS_FILE",
    "THEMES",
    "USERLIST_WIDTH_MAX",
    "Settings",
    "load_settings",
    "save_settings",
    "settings_path",
]

log = logging.getLogger(__name__)

#: File name inside the config directory.
SETTINGS_FILE = "settings.json"

#: Text sizes (points) we accept from the file; anything else is a typo or damage.
FONT_SIZE_RANGE = (6, 48)

#: The View ▸ Theme choices ("system" follows the desktop's light/dark setting).
THEMES = ("system", "light", "dark")

#: Widest user list we restore (pixels): wider is damage, not a preference.
USERLIST_WIDTH_MAX = 2000

#: Version written into the file so a later format change can migrate old files.
_FORMAT_VERSION = 1

# A Tk geometry string as returned by wm_geometry(): "WxH", optionally "+X+Y"
# (X and Y may be negative on multi-monitor setups, written "+-10" or "-10").
_GEOMETRY_RE = re.compile(r"\d{1,5}x\d{1,5}(?:[+-]-?\d{1,5}[+-]-?\d{1,5})?")


@dataclass
class Settings:
    """Everything desktopchat remembers between runs."""

    name: str = ""
    host: str = "127.0.0.1"
    port: int = 1234
    #: Tk geometry string of the main window ("WxH+X+Y"); "" = default size and place.
    geometry: str = ""
    font_size: int = 11
    #: Last port used for hosting (0 = any free port).
    host_port: int = 1234
    #: Host room…'s last choices: the room's name ("" = "<name>'s room"),
    #: "Encrypted connections only", "Announce on this network".
    host_room_name: str = ""
    host_encrypted_only: bool = False
    host_announce: bool = True
    #: Host room…'s "Largest file" (bytes, 0 = no files) and "Who may send files: Only me".
    host_max_file_size: int = 2 * 1024**3
    host_files_only_me: bool = False
    #: "system" (follow the desktop's light/dark setting), "light" or "dark".
    theme: str = "system"
    #: Width of the user list in pixels (the sash beside it); 0 = its natural width.
    userlist_width: int = 0
    #: View ▸ Notifications: alert (hint, notification, sound) on a mention of our
    #: name, on a private message, on every message; and whether to play the sound.
    notify_mentions: bool = True
    notify_private: bool = True
    notify_all: bool = False
    play_sounds: bool = True
    #: Where Open writes received files ("" = ~/Downloads, else the home folder).
    download_dir: str = ""
    #: Room ▸ Files offered to you ▸ Save them automatically: the folder ("" = ask).
    auto_accept_dir: str = ""


def settings_path() -> Path:
    """Return the path of settings.json (follows ``DESKTOPCHAT_HOME``)."""
    return paths.config_dir() / SETTINGS_FILE


def _int_in(value: object, low: int, high: int) -> bool:
    # bool is a subclass of int; true/false in the file is damage, not a number.
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _valid(field: str, value: object) -> bool:
    """Return True when ``value`` is acceptable for ``field``."""
    if field in ("name", "host"):
        # Not isprintable(): that refuses the zero-width joiners inside emoji names.
        return (
            isinstance(value, str)
            and len(value) <= 255
            and not any(unicodedata.category(ch) == "Cc" for ch in value)
        )
    if field == "geometry":
        return isinstance(value, str) and (value == "" or bool(_GEOMETRY_RE.fullmatch(value)))
    if field == "port":
        return _int_in(value, 1, 65535)
    if field == "host_port":
        return _int_in(value, 0, 65535)
    if field == "host_max_file_size":  # fileopts.MAX_SIZE: 1 TiB
        return _int_in(value, 0, 1024**4)
    if field == "font_size":
        return _int_in(value, *FONT_SIZE_RANGE)
    if field == "theme":
        return value in THEMES
    if field == "userlist_width":
        return _int_in(value, 0, USERLIST_WIDTH_MAX)
    if field in (
        "notify_mentions",
        "notify_private",
        "notify_all",
        "play_sounds",
        "host_encrypted_only",
        "host_announce",
        "host_files_only_me",
    ):
        return isinstance(value, bool)
    if field in ("download_dir", "auto_accept_dir"):  # a folder; one gone is ignored
        return (
            isinstance(value, str)
            and len(value) <= 4096
            and not any(unicodedata.category(ch) == "Cc" for ch in value)
        )
    if field == "host_room_name":  # the invitations' rule: 60 characters, no controls
        return (
            isinstance(value, str)
            and len(value) <= 60
            and not any(unicodedata.category(ch) == "Cc" for ch in value)
        )
    return False


def _from_mapping(data: dict[str, Any], path: Path) -> Settings:
    defaults = Settings()
    values: dict[str, Any] = {}
    for f in fields(Settings):
        if f.name not in data:
            continue
        value = data[f.name]
        if _valid(f.name, value):
            values[f.name] = value
        else:
            log.warning(
                "settings %s: ignoring bad %s=%r, using %r",
                path,
                f.name,
                value,
                getattr(defaults, f.name),
            )
    return Settings(**values)


def _set_aside(path: Path, reason: str) -> None:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while aside.exists():  # never overwrite an earlier copy set aside the same second
        n += 1
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    try:
        os.replace(path, aside)
    except OSError as exc:
        log.warning("settings %s is unusable (%s) and could not be moved: %s", path, reason, exc)
    else:
        log.warning(
            "settings %s is unusable (%s); moved to %s, using defaults", path, reason, aside
        )


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings file, or return defaults; never raises for a bad file."""
    path = settings_path() if path is None else path
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        _set_aside(path, f"unreadable: {exc}")
        return Settings()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        _set_aside(path, f"not JSON: {exc}")
        return Settings()
    if not isinstance(data, dict):
        _set_aside(path, f"expected a JSON object, found {type(data).__name__}")
        return Settings()
    return _from_mapping(data, path)


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write the settings atomically; log (never raise) if that fails."""
    path = settings_path() if path is None else path
    data = {"version": _FORMAT_VERSION, **asdict(settings)}
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        log.warning("could not save settings to %s: %s", path, exc)
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
