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

Beyond name, port and password the dialog asks for the room's name (shown in
invitations, on the network and in titles; "<name>'s room" until typed over,
following the name field), "Encrypted connections only" (off: the tutorial's
console clients may join, marked unencrypted) and "Announce on this network"
(on: the join dialogs of others list the room), the largest file members may
send ("Largest file": 2G by default, "500M", bytes, 0 = no files; read like
``--serve --max-file-size``) and who may send files (everyone, or only the
host: the room allows the host's name only, so a later /nick of the host
loses it).

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
from tkinter import ttk

from desktopchat.address import DEFAULT_PORT
from desktopchat.fileopts import DEFAULT_MAX_FILE_SIZE, parse_size
from desktopchat.gui.form import FormDialog
from desktopchat.gui.login import LoginError, parse_port, validate_name_field, validate_password
from desktopchat.net.invite import InvitationError, check_room_name

__all__ = [
    "HostDialog",
    "HostValues",
    "StartRoom",
    "ask_host",
    "default_room_name",
    "size_field",
    "validate_host",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HostValues:
    """What the host dialog returns: the host's own name, the port, the room password, options."""

    name: str
    port: int  # 0 = any free port
    password: str  # "" = no password
    room_name: str = ""  # "" = "<name>'s room"
    encrypted_only: bool = False
    announce: bool = True
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # 0 = no files
    files_only_me: bool = False  # only the host may send files


#: Starts the room; returns None on success or an error sentence for the user.
StartRoom = Callable[[HostValues], "str | None"]


def default_room_name(name: str) -> str:
    """The room's name until the host types another: "<name>'s room"."""
    return f"{name.strip()}'s room" if name.strip() else ""


def size_field(size: int) -> str:
    """A size as the Largest file field shows it: "2G", "500M", "64K", or bytes."""
    for unit, factor in (("T", 1024**4), ("G", 1024**3), ("M", 1024**2), ("K", 1024)):
        if size and size % factor == 0:
            return f"{size // factor}{unit}"
    return str(size)


def validate_host(
    name: str,
    port: str,
    password: str,
    room_name: str = "",
    *,
    encrypted_only: bool = False,
    announce: bool = True,
    max_file_size: str = "2G",
    files_only_me: bool = False,
) -> HostValues:
    """Check what was typed in the host dialog; no Tk needed.

    Raises :class:`LoginError` for the first field at fault, in screen order
    (the room's name comes first on screen). The room name is "" for the
    default, "<name>'s room" (:func:`default_room_name`).
    """
    try:
        room = check_room_name(room_name) if room_name.strip() else ""
    except InvitationError as exc:
        raise LoginError("room", str(exc)) from None
    canonical = validate_name_field(name)
    if not port.strip():
        raise LoginError(
            "port", f"Type a port number: {DEFAULT_PORT} is the usual one, 0 picks any free port."
        )
    number = parse_port(port, allow_zero=True, field="port")
    secret = validate_password(password)
    try:
        largest = parse_size(max_file_size)
    except ValueError as exc:
        raise LoginError("files", f"Largest file: {exc}.") from None
    if room == default_room_name(canonical):
        room = ""  # the default: it follows the host's name
    return HostValues(
        canonical, number, secret, room, encrypted_only, announce, largest, files_only_me
    )


class HostDialog(FormDialog[HostValues]):
    """Asks for the host's name, the port and an optional room password, then starts."""

    TITLE = "Host a room"

    def __init__(self, master: tk.Misc, initial: HostValues, start: StartRoom) -> None:
        super().__init__(master, self.TITLE)
        self._start = start
        room = initial.room_name or default_room_name(initial.name)
        self.room_entry = self.add_field("room", "Room name:", room)
        self.name_entry = self.add_field("name", "Your name:", initial.name)
        # The room's name follows the host's name until the host types one.
        self._room_default = room if not initial.room_name else None
        self.name_entry.bind("<KeyRelease>", self._follow_name, add=True)
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
        self.encrypted_only = tk.BooleanVar(self, initial.encrypted_only)
        self.announce = tk.BooleanVar(self, initial.announce)
        self.encrypted_check = self._check(
            self.encrypted_only,
            "Encrypted connections only",
            "off: older console clients may join too, marked “unencrypted” for everyone",
        )
        self.announce_check = self._check(
            self.announce,
            "Announce on this network",
            "people on this network see the room in their Join dialog",
        )
        self.files_entry = self.add_field(
            "files",
            "Largest file:",
            size_field(initial.max_file_size),
            width=8,
            hint="like 500M or 2G; 0 = no files in this room",
        )
        self.files_only_me = tk.BooleanVar(self, initial.files_only_me)
        ttk.Label(self.body, text="Who may send files:").grid(
            row=self._row, column=0, sticky="w", padx=(0, 10), pady=(6, 0)
        )
        who = ttk.Frame(self.body)
        who.grid(row=self._row, column=1, sticky="w", pady=(6, 0))
        self._row += 1
        self.everyone_radio = ttk.Radiobutton(
            who, text="Everyone", variable=self.files_only_me, value=False
        )
        self.only_me_radio = ttk.Radiobutton(
            who, text="Only me", variable=self.files_only_me, value=True
        )
        self.everyone_radio.pack(side="left")
        self.only_me_radio.pack(side="left", padx=(12, 0))
        self.add_note("After starting, the window shows an invitation to copy and send.")
        self.finish("Start hosting", None)

    def _check(self, variable: tk.BooleanVar, text: str, hint: str) -> ttk.Checkbutton:
        check = ttk.Checkbutton(self.body, text=text, variable=variable)
        check.grid(row=self._row, column=1, sticky="w", pady=(8, 0))
        self._row += 1
        self.add_note(hint, column=1, pady=(0, 0))
        return check

    def _follow_name(self, _event: object = None) -> None:
        room = self.value("room")
        if self._room_default is not None and room == self._room_default:
            self._room_default = default_room_name(self.value("name"))
            self.room_entry.delete(0, "end")
            self.room_entry.insert(0, self._room_default)
        else:
            self._room_default = None  # typed over: keep it

    def submit(self) -> bool:
        try:
            values = validate_host(
                self.value("name"),
                self.value("port"),
                self.value("password"),
                self.value("room"),
                encrypted_only=self.encrypted_only.get(),
                announce=self.announce.get(),
                max_file_size=self.value("files"),
                files_only_me=self.files_only_me.get(),
            )
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
