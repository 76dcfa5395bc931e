"""The "Host a room" dialog and its pure validation step.

:func:`validate_host` is pure (no Tk) and raises :class:`~desktopchat.gui.login.LoginError`
(field "name", "port" or "password"). :class:`HostDialog` shares the dialog
habits of the login dialog (:class:`~desktopchat.gui.form.FormDialog`).

On OK the dialog validates, then calls ``start(values)``, which tries to start
the embedded server and returns None on success or a sentence for the user
(e.g. "Port 1234 is already in use. Choose another port, or 0 for any free
port."). On success the dialog closes with ``result`` set; on failure it shows
the sentence, keeps every field, selects the port (the usual culprit) and
stays open, so the user can fix it and try again.

Decisions: port 0 is allowed here and means "any free port" (the window then
shows the port actually chosen). If ``start`` raises instead of returning an
error, the dialog logs the traceback and shows the exception as the error, so
a bug in starting never leaves the user with a silent, stuck dialog.
"""

from __future__ import annotations

import logging
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass

from desktopchat.address import DEFAULT_PORT
from desktopchat.gui.form import FormDialog
from desktopchat.gui.login import LoginError, parse_port, validate_name_field, validate_password

__all__ = ["HostDialog", "HostValues", "StartRoom", "ask_host", "validate_host"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HostValues:
    """What the host dialog returns: the host's own name, the port, the room password."""

    name: str
    port: int  # 0 = any free port
    password: str  # "" = no password


#: Starts the room; returns None on success or an error sentence for the user.
StartRoom = Callable[[HostValues], "str | None"]


def validate_host(name: str, port: str, password: str) -> HostValues:
    """Check what was typed in the host dialog; no Tk needed.

    Raises :class:`LoginError` for the first field at fault, in screen order.
    """
    canonical = validate_name_field(name)
    if not port.strip():
        raise LoginError(
            "port", f"Type a port number: {DEFAULT_PORT} is the usual one, 0 picks any free port."
        )
    number = parse_port(port, allow_zero=True, field="port")
    return HostValues(canonical, number, validate_password(password))


class HostDialog(FormDialog[HostValues]):
    """Asks for the host's name, the port and an optional room password, then starts."""

    TITLE = "Host a room"

    def __init__(self, master: tk.Misc, initial: HostValues, start: StartRoom) -> None:
        super().__init__(master, self.TITLE)
        self._start = start
        self.name_entry = self.add_field("name", "Your name:", initial.name)
        self.port_entry = self.add_field(
            "port",
            "Port:",
            str(initial.port),
            width=8,
            hint=f"{DEFAULT_PORT} is usual; 0 = any free port",
        )
        self.password_entry = self.add_field(
            "password",
            "Password:",
            initial.password,
            show="•",
            hint="optional: people joining must type it",
        )
        self.add_note("Others join with your address; you can see it in the window after starting.")
        self.finish("Start hosting", None)

    def submit(self) -> bool:
        try:
            values = validate_host(self.value("name"), self.value("port"), self.value("password"))
        except LoginError as exc:
            self.show_error(str(exc))
            self.focus_field(exc.field)
            return False
        try:
            problem = self._start(values)
        except Exception as exc:
            log.exception("starting the room failed")
            problem = f"Could not start the room: {exc}"
        if problem is not None:
            self.show_error(problem)
            self.focus_field("port")
            return False
        self.result = values
        return True


def ask_host(master: tk.Misc, initial: HostValues, start: StartRoom) -> HostValues | None:
    """Show the host dialog, wait until it closes, and return its result."""
    dialog = HostDialog(master, initial, start)
    master.wait_window(dialog)
    return dialog.result
