"""Hand a received file to the system: open it with its program, or show it in its folder. No Tk.

Role: the two side effects behind a finished transfer's "Open file" and
"Show in folder" buttons. Which file may be opened is decided elsewhere
(``transfers.py``: never a program); this module only starts the system's
handler and never waits for it.

Decisions:

* Linux and other Unix: ``xdg-open`` (the desktop's choice of program).
  "Show in folder" asks the file manager over D-Bus to select the file
  (``org.freedesktop.FileManager1.ShowItems``, via jeepney, on a short thread)
  and falls back to opening the folder with ``xdg-open``.
* Windows: ``os.startfile``; "Show in folder" is ``explorer /select,PATH``.
  macOS: ``open`` and ``open -R``.
* Children are started in their own session with no inherited output, and
  reaped when the next one starts (nobody waits for a file manager to close).
  A handler that cannot be started returns a sentence for the user.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

__all__ = ["open_file", "show_in_folder"]

log = logging.getLogger(__name__)

_children: list[subprocess.Popen[bytes]] = []


def _start(command: list[str]) -> str | None:
    """Start ``command`` without waiting; None, or why it could not start."""
    _children[:] = [c for c in _children if c.poll() is None]
    program = shutil.which(command[0])
    if program is None:
        return f"{command[0]} is not installed, so desktopchat cannot open files here."
    try:
        child = subprocess.Popen(
            [program, *command[1:]],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        log.info("cannot run %s: %s", command[0], exc)
        return f"Could not start {command[0]}: {exc.strerror or exc}."
    _children.append(child)
    return None


def open_file(path: Path) -> str | None:
    """Open ``path`` with the system's program for it; None, or why not."""
    if sys.platform == "win32":
        try:
            os.startfile(path)  # type: ignore[attr-defined,unused-ignore]
        except OSError as exc:
            return f"Could not open {path.name}: {exc.strerror or exc}."
        return None
    if sys.platform == "darwin":
        return _start(["open", "--", str(path)])
    return _start(["xdg-open", str(path)])


def show_in_folder(path: Path) -> str | None:
    """Show the folder holding ``path`` (the file selected where possible); None, or why not."""
    if sys.platform == "win32":
        return _start(["explorer", f"/select,{path}"])
    if sys.platform == "darwin":
        return _start(["open", "-R", str(path)])
    threading.Thread(
        target=_show_items, args=(path,), name="desktopchat-show-folder", daemon=True
    ).start()
    return None


def _show_items(path: Path) -> None:
    """Ask the file manager to select ``path``; open its folder when none answers."""
    try:
        from jeepney import (  # type: ignore[import-untyped]
            DBusAddress,
            MessageType,
            new_method_call,
        )
        from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped]

        manager = DBusAddress(
            "/org/freedesktop/FileManager1",
            bus_name="org.freedesktop.FileManager1",
            interface="org.freedesktop.FileManager1",
        )
        with open_dbus_connection(bus="SESSION") as bus:
            call = new_method_call(manager, "ShowItems", "ass", ([path.as_uri()], ""))
            reply = bus.send_and_get_reply(call, timeout=3)
        if reply.header.message_type is not MessageType.error:
            return
        log.info("the file manager refused ShowItems: %s", reply.body)
    except Exception as exc:  # no session bus, no file manager service, jeepney missing
        log.info("no file manager answered over D-Bus (%s): opening the folder", exc)
    problem = _start(["xdg-open", str(path.parent)])
    if problem is not None:
        log.info("cannot show %s: %s", path, problem)
