"""The "Join a room" dialog and its pure validation step.

:func:`validate_login` is pure (no Tk): it turns what the user typed into
:class:`LoginValues` or raises :class:`LoginError` naming the field at fault
and carrying a sentence for the user. The dialog runs it on OK, so a bad value
never reaches the network.

The address field takes ``host:port`` or an invitation: a
``desktopchat://`` link, alone or inside a pasted invitation text
(:func:`desktopchat.net.invite.parse_join_target`; the address rules --
IPv6 in brackets, port 1234 by default, a pasted ``--join`` command line --
live in :mod:`desktopchat.address`). A link's fingerprint becomes the join's
pin, its room name the room's name; a bad link is an error on the address
field saying what is wrong. This module maps every
:class:`~desktopchat.address.AddressError` to the "address" (or "port") field.

Given a ``browser_factory``, the dialog shows "Rooms on this network"
(:class:`~desktopchat.gui.roomfinder.RoomFinder`) beside the fields: a
double-click puts the room's link (with its announced fingerprint, so the pin
is the one shown) in the address field and connects. Given ``on_host`` (the
first start), a "Host a room…" button sits beside Connect. The dialog habits
(modal, Return/Escape, one red error line, shown over a withdrawn root) live in
:class:`desktopchat.gui.form.FormDialog`.

Decisions where the issue is silent:

* The password is kept exactly as typed (spaces included); "" means none.
* A link that says the room needs a password (``pw=1``) makes an empty
  password field an error before connecting.
* A link's other addresses (``alt=``) are kept and handed to the client, which
  moves along them when an address cannot be reached (also later, when the
  server it was on goes away: a room on several servers).
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass
from tkinter import ttk
from typing import TYPE_CHECKING, Any

from desktopchat.address import DEFAULT_PORT, AddressError, format_address
from desktopchat.address import parse_address as _parse_address
from desktopchat.address import parse_port as _parse_port
from desktopchat.gui.form import FormDialog
from desktopchat.protocol import DEFAULT_MAX_PAYLOAD, InvalidName, validate_name

if TYPE_CHECKING:
    from desktopchat.net.invite import JoinTarget

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
    #: The room's fingerprint from a link or the network's room list (the join's pin).
    pin: str | None = None
    room_name: str | None = None
    #: The link's other addresses of the same room (a host on several networks).
    alternatives: tuple[tuple[str, int], ...] = ()

    def address_text(self) -> str:
        """What the address field shows: the link when there is a pin, else host:port."""
        if self.pin is None and not self.alternatives:
            return format_address(self.host, self.port)
        from desktopchat.net.invite import Invitation

        addresses = [(self.host, self.port), *self.alternatives]
        return Invitation(self.room_name or "", addresses, self.pin).link()


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


def parse_target(text: str) -> JoinTarget:
    """An address or invitation link as typed (see the module docstring); field "address"."""
    from desktopchat.net.invite import parse_join_target

    try:
        return parse_join_target(text)
    except AddressError as exc:
        raise LoginError("address", str(exc)) from None


def validate_login(name: str, address: str, password: str) -> LoginValues:
    """Check what was typed in the login dialog; no Tk needed.

    Raises :class:`LoginError` for the first field at fault, in screen order.
    """
    canonical = validate_name_field(name)
    target = parse_target(address)
    password = validate_password(password)
    if target.password_needed and not password:
        raise LoginError(
            "password", "This room needs a password (its invitation says so): ask the host."
        )
    return LoginValues(
        canonical,
        target.host,
        target.port,
        password,
        target.fingerprint,
        target.room_name,
        tuple(target.alternatives),
    )


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
        *,
        browser_factory: Callable[[], Any] | None = None,
        on_host: Callable[[], object] | None = None,
    ) -> None:
        super().__init__(master, self.TITLE)
        name = initial.name if initial else ""
        address = initial.address_text() if initial else ""
        password = initial.password if initial else ""
        self.name_entry = self.add_field("name", "Name:", name)
        self.address_entry = self.add_field(
            "address",
            "Room address:",
            address,
            hint="host:port (e.g. 192.168.1.23:1234) or paste the host's invitation link",
        )
        self.password_entry = self.add_field(
            "password",
            "Password:",
            password,
            show="•",
            hint="optional: leave empty if the room has none",
        )
        self.finder: Any = None
        if browser_factory is not None:
            from desktopchat.gui.roomfinder import RoomFinder

            self.finder = RoomFinder(self, self.join_found, browser_factory=browser_factory)
            self.finder.grid(row=0, column=1, rowspan=2, sticky="nsew", padx=(0, 16), pady=14)
        self.host_button: ttk.Button | None = None
        if on_host is not None:
            self.host_button = ttk.Button(self, text="Host a room…", command=on_host)
            self.host_button.grid(row=1, column=0, sticky="w", padx=16, pady=(4, 14))
        self.finish("Connect", error)

    def join_found(self, target: JoinTarget) -> None:
        """A room picked in "Rooms on this network": its link in the field, then Connect."""
        from desktopchat.net.invite import Invitation

        addresses = [(target.host, target.port), *target.alternatives]
        link = Invitation(
            target.room_name or "",
            addresses,
            target.fingerprint,
            bool(target.password_needed),
        ).link()
        self.address_entry.delete(0, "end")
        self.address_entry.insert(0, link)
        self.ok()

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
