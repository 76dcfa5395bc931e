"""The "Join a room" dialog and its pure validation step.

:func:`validate_login` is pure (no Tk): it turns what the user typed into
:class:`LoginValues` or raises :class:`LoginError` naming the field at fault
and carrying a sentence for the user. The dialog runs it on OK, so a bad value
never reaches the network.

The address rules (``host:port``, IPv6 in brackets, port 1234 by default, a
pasted ``--join`` command line) live in :mod:`desktopchat.address`; this module
maps its :class:`~desktopchat.address.AddressError` to the "address" (or
"port") field. The dialog habits (modal, Return/Escape, one red error line,
shown over a withdrawn root) live in :class:`desktopchat.gui.form.FormDialog`.

Decisions where the issue is silent:

* The password is kept exactly as typed (spaces included); "" means none.
"""

from __future__ import annotations

import tkinter as tk
from dataclasses import dataclass

from desktopchat.address import DEFAULT_PORT, AddressError, format_address
from desktopchat.address import parse_address as _parse_address
from desktopchat.address import parse_port as _parse_port
from desktopchat.gui.form import FormDialog
from desktopchat.protocol import DEFAULT_MAX_PAYLOAD, InvalidName, validate_name

__all__ = [
    "DEFAULT_PORT",
    "FormDialog",
    "LoginDialog",
    "LoginError",
    "LoginValues",
    "ask_login",
    "format_address",
    "parse_address",
    "parse_port",
    "validate_login",
    "validate_password",
]


@dataclass(frozen=True)
class LoginValues:
    """What the login dialog returns: a valid name, where to connect, the password."""

    name: str
    host: str
    port: int
    password: str  # "" = the room has none


class LoginError(ValueError):
    """A value the user typed is not usable; ``str(exc)`` is a sentence for the user.

    ``field`` names the field at fault: "name", "address", "port" (host dialog)
    or "password".
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


# --- pure validation ---------------------------------------------------------


def parse_port(text: str, *, allow_zero: bool = False, field: str = "address") -> int:
    """Parse a port number typed by the user, or raise :class:`LoginError` for ``field``."""
    try:
        return _parse_port(text, allow_zero=allow_zero)
    except AddressError as exc:
        raise LoginError(field, str(exc)) from None


def parse_address(text: str, default_port: int = DEFAULT_PORT) -> tuple[str, int]:
    """Parse a room address (see :func:`desktopchat.address.parse_address`).

    Returns ``(host, port)``; raises :class:`LoginError` with field "address".
    """
    try:
        return _parse_address(text, default_port)
    except AddressError as exc:
        raise LoginError("address", str(exc)) from None


def validate_password(password: str) -> str:
    """Return the password unchanged, or raise :class:`LoginError` if it cannot be sent."""
    if len(password.encode("utf-8", "surrogatepass")) > DEFAULT_MAX_PAYLOAD:
        raise LoginError("password", "Password is too long.")
    if any(ch in "\r\n" for ch in password):
        raise LoginError("password", "Password must be a single line.")
    return password


def validate_name_field(name: str) -> str:
    """Return the canonical name, or raise :class:`LoginError` with the rule's sentence."""
    try:
        return validate_name(name)
    except InvalidName as exc:
        raise LoginError("name", str(exc)) from None


def validate_login(name: str, address: str, password: str) -> LoginValues:
    """Check what was typed in the login dialog; no Tk needed.

    Raises :class:`LoginError` for the first field at fault, in screen order.
    """
    canonical = validate_name_field(name)
    host, port = parse_address(address)
    return LoginValues(canonical, host, port, validate_password(password))


# --- the login dialog ----------------------------------------------------------------


class LoginDialog(FormDialog[LoginValues]):
    """Asks for a name, a room address and an optional password.

    Usage: ``dlg = LoginDialog(root, initial, error); root.wait_window(dlg); dlg.result``.
    ``error`` (e.g. "Could not connect: connection refused") is shown on the
    error line, so a failed attempt can bring the dialog back with the reason.
    """

    TITLE = "Join a room"

    def __init__(
        self,
        master: tk.Misc,
        initial: LoginValues | None = None,
        error: str | None = None,
    ) -> None:
        super().__init__(master, self.TITLE)
        name = initial.name if initial else ""
        address = format_address(initial.host, initial.port) if initial else ""
        password = initial.password if initial else ""
        self.name_entry = self.add_field("name", "Name:", name)
        self.address_entry = self.add_field(
            "address", "Room address:", address, hint="host:port, e.g. 192.168.1.23:1234"
        )
        self.password_entry = self.add_field(
            "password",
            "Password:",
            password,
            show="•",
            hint="optional: leave empty if the room has none",
        )
        self.finish("Connect", error)

    def submit(self) -> bool:
        try:
            values = validate_login(
                self.value("name"), self.value("address"), self.value("password")
            )
        except LoginError as exc:
            self.show_error(str(exc))
            self.focus_field(exc.field)
            return False
        self.result = values
        return True


def ask_login(
    master: tk.Misc, initial: LoginValues | None = None, error: str | None = None
) -> LoginValues | None:
    """Show the login dialog, wait until it closes, and return its result."""
    dialog = LoginDialog(master, initial, error)
    master.wait_window(dialog)
    return dialog.result
