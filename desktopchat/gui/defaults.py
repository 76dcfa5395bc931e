"""What a dialog starts with when the user has not said: the name, the save place. No Tk.

* :func:`default_name`: the name last used to log in (saved in the settings),
  else the account's user name (``getpass.getuser()``) when it is a valid room
  name (``protocol.validate_name``), else "" (the dialog then asks for one).
* :func:`save_place`: Save transcript… opens in ``~/Documents`` when it exists,
  else in the home folder (never the working directory, which may be the
  source tree), with a dated file name.
"""

from __future__ import annotations

import getpass
import time
from pathlib import Path

from desktopchat.protocol import InvalidName, validate_name

__all__ = ["default_name", "save_place"]


def default_name(saved: str) -> str:
    """The name to pre-fill: ``saved``, else the OS user name if valid, else ""."""
    if saved:
        return saved
    try:
        user = getpass.getuser()
    except (OSError, KeyError, ImportError):  # no user name in the environment or the OS
        return ""
    try:
        return validate_name(user)
    except InvalidName:
        return ""


def save_place(home: Path | None = None, when: float | None = None) -> tuple[Path, str]:
    """(folder, file name) for Save transcript…: Documents or home, "desktopchat-DATE-TIME.txt"."""
    home = Path.home() if home is None else home
    documents = home / "Documents"
    folder = documents if documents.is_dir() else home
    stamp = time.strftime("%Y-%m-%d-%H%M", time.localtime(when))
    return folder, f"desktopchat-{stamp}.txt"
