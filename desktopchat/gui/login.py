"""The "Join a room" dialog, its pure validation step, and the shared dialog base.

:func:`validate_login` is pure (no Tk): it turns what the user typed into
:class:`LoginValues` or raises :class:`LoginError` naming the field at fault
and carrying a sentence for the user. The dialog runs it on OK, so a bad value
never reaches the network.

:class:`FormDialog` holds the dialog habits of IDLE's ``query.Query``, shared
with the host dialog: a ``Toplevel`` subclass, withdrawn until laid out, then
shown centred over its master; ``transient`` and ``grab_set``; Return (and
keypad Enter) = OK, Escape and the window's close button = Cancel; one red
error line under the fields; the outcome in ``.result`` (None = cancelled).
The constructor does not block; callers do ``master.wait_window(dialog)`` (or
use :func:`ask_login`).

Decisions where the issue is silent:

* The address is one field, ``host:port``. A bare host means port 1234 (the
  tutorial's). IPv6 goes in brackets, ``[fe80::1]:1234``; a bare IPv6 address
  without brackets is accepted too and gets port 1234. Pasting the line the
  host's window shows (``python -m desktopchat --join 192.168.1.23:1234``)
  works: the address after ``--join`` is used.
* Joining needs a port from 1 to 65535 (0 means "any free port" only when
  hosting).
* The password is kept exactly as typed (spaces included); "" means none.
* The app shows this dialog before its main window, over a withdrawn root. A
  dialog transient to a withdrawn window stays hidden, so when the master is
  not viewable the dialog is not made transient and is centred on the screen.
* Return on the focused Cancel button cancels (users expect the focused button
  to act); everywhere else Return means OK.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import tkinter as tk
from dataclasses import dataclass
from tkinter import ttk
from typing import Generic, TypeVar

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

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Port used when the address names none (the tutorial's).
DEFAULT_PORT = 1234

#: Colour of the error line: a dark red that stays readable on light themes.
ERROR_COLOUR = "#b00020"

#: Colour of the grey hint lines under some fields.
HINT_COLOUR = "#666666"

#: Width of the entry fields in characters.
ENTRY_WIDTH = 36

# Characters allowed in a host name besides letters and digits (of any script,
# for internationalised names): dots between labels, hyphens, and underscores,
# which some LAN names use.
_HOST_EXTRA_CHARS = frozenset(".-_")


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
    """Parse a port number typed by the user, or raise :class:`LoginError`."""
    low = 0 if allow_zero else 1
    text = text.strip()
    # isdecimal() alone accepts other scripts' digits; int() would accept "+1" and "1_0".
    if not (text.isascii() and text.isdecimal()):
        raise LoginError(field, f"Port must be a number from {low} to 65535, got {text!r}.")
    port = int(text)
    if not low <= port <= 65535:
        raise LoginError(field, f"Port must be a number from {low} to 65535, got {port}.")
    return port


def _check_host(host: str) -> str:
    if not host:
        raise LoginError(
            "address", "Type the room's host before the colon, e.g. 192.168.1.23:1234."
        )
    if not all(ch.isalnum() or ch in _HOST_EXTRA_CHARS for ch in host):
        raise LoginError("address", f"{host!r} is not a host name or IP address.")
    return host


def _check_ipv6(host: str) -> str:
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        raise LoginError("address", f"{host!r} is not an IPv6 address.") from None
    return host


def _unwrap_command_line(text: str) -> str:
    # Accept a pasted "python -m desktopchat --join HOST:PORT" (what the host's
    # window tells people to run): use the value of --join.
    words = text.split()
    for i, word in enumerate(words):
        if word.startswith("--join="):
            return word.removeprefix("--join=")
        if word == "--join" and i + 1 < len(words):
            return words[i + 1]
    raise LoginError(
        "address", "The address must not contain spaces: type host:port, e.g. 192.168.1.23:1234."
    )


def parse_address(text: str, default_port: int = DEFAULT_PORT) -> tuple[str, int]:
    """Parse ``host:port``, ``[v6]:port``, a bare host or a bare IPv6 address.

    Returns ``(host, port)`` with IPv6 brackets removed; raises
    :class:`LoginError` with field "address".
    """
    text = text.strip()
    if not text:
        raise LoginError("address", "Type the room's address, e.g. 192.168.1.23:1234.")
    if any(ch.isspace() for ch in text):
        text = _unwrap_command_line(text)
    if "/" in text or "@" in text:
        raise LoginError(
            "address", "Type just the room's host and port, e.g. 192.168.1.23:1234 (no http://)."
        )
    if text.startswith("["):
        inside, bracket, rest = text[1:].partition("]")
        if not bracket:
            raise LoginError("address", "Close the IPv6 bracket, e.g. [fe80::1]:1234.")
        host = _check_ipv6(inside)
        if not rest:
            return host, default_port
        if not rest.startswith(":"):
            raise LoginError("address", "Put a colon between ] and the port, e.g. [fe80::1]:1234.")
        return host, parse_port(rest[1:])
    if text.count(":") >= 2:
        # A bare IPv6 address; "fe80::1:1234" is ambiguous, so a port needs brackets.
        try:
            ipaddress.IPv6Address(text)
        except ValueError:
            raise LoginError(
                "address", "Put an IPv6 address in brackets before the port: [fe80::1]:1234."
            ) from None
        return text, default_port
    host, colon, port_text = text.partition(":")
    _check_host(host)
    if not colon:
        return host, default_port
    if not port_text.strip():
        raise LoginError("address", f"Type the port after the colon, e.g. {host}:{default_port}.")
    return host, parse_port(port_text)


def format_address(host: str, port: int) -> str:
    """Return ``host:port`` as the user types it (IPv6 in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


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


# --- the shared dialog base ----------------------------------------------------


class FormDialog(tk.Toplevel, Generic[T]):
    """A modal form: labelled fields, one error line, OK and Cancel buttons.

    Subclasses build their fields with :meth:`add_field` and :meth:`add_note`,
    implement :meth:`submit`, and end their ``__init__`` with :meth:`finish`,
    which lays the form out and shows it.
    """

    # How often and how long to retry grab_set while the window is being mapped.
    _GRAB_RETRY_MS = 20
    _GRAB_RETRIES = 100

    def __init__(self, master: tk.Misc, title: str) -> None:
        super().__init__(master)
        self.result: T | None = None
        self.withdraw()  # hidden until laid out, so it never flashes in a corner
        self.title(title)
        self.resizable(False, False)
        owner = master.winfo_toplevel()
        # Transient to a withdrawn (or iconified) window would hide the dialog with it.
        # wm_state() rather than winfo_viewable(): a window shown a moment ago may
        # not be mapped yet, but it will be.
        self._over_master = owner.wm_state() == "normal"
        if self._over_master:
            self.transient(owner)
        self._owner = owner
        self._grab_after: str | None = None
        self._grab_tries = 0
        self._fields: dict[str, ttk.Entry] = {}
        self._wrapped: list[tuple[ttk.Label, int]] = []
        self._row = 0

        self.protocol("WM_DELETE_WINDOW", self.cancel)
        self.bind("<Escape>", self.cancel)
        self.bind("<Return>", self.ok)
        self.bind("<KP_Enter>", self.ok)

        self.body = ttk.Frame(self, padding=(16, 14, 16, 8))
        self.body.grid(row=0, column=0, sticky="nsew")
        self.body.columnconfigure(1, weight=1)

    # --- building ---------------------------------------------------------------

    def add_field(
        self,
        key: str,
        label: str,
        value: str = "",
        *,
        show: str = "",
        hint: str = "",
        width: int = 0,
    ) -> ttk.Entry:
        """Add a labelled entry (and an optional grey hint below it).

        ``width`` (characters) makes a short entry, e.g. for a port; by default
        the entry fills the form's width.
        """
        ttk.Label(self.body, text=label).grid(
            row=self._row, column=0, sticky="w", padx=(0, 10), pady=(6, 0)
        )
        entry = ttk.Entry(self.body, width=width or ENTRY_WIDTH, show=show)
        entry.insert(0, value)
        entry.grid(row=self._row, column=1, sticky="w" if width else "ew", pady=(6, 0))
        self._row += 1
        if hint:
            self.add_note(hint, column=1, pady=(1, 0))
        self._fields[key] = entry
        return entry

    def add_note(self, text: str, *, column: int = 0, pady: tuple[int, int] = (10, 0)) -> ttk.Label:
        """Add a grey line of text (a hint under a field, or a note under the form)."""
        return self._add_wrapped(text, HINT_COLOUR, column, pady)

    def _add_wrapped(self, text: str, colour: str, column: int, pady: tuple[int, int]) -> ttk.Label:
        # Wrapped at one pixel until _show() knows the form's width: a long
        # sentence must wrap to the fields, never widen the dialog.
        label = ttk.Label(self.body, text=text, foreground=colour, wraplength=1, justify="left")
        label.grid(row=self._row, column=column, columnspan=2 - column, sticky="w", pady=pady)
        self._wrapped.append((label, column))
        self._row += 1
        return label

    def finish(self, ok_text: str, error: str | None) -> None:
        """Add the error line and the buttons, lay out, and show the dialog."""
        self.error_label = self._add_wrapped("", ERROR_COLOUR, 0, (10, 0))
        self.error_label.grid_remove()

        buttons = ttk.Frame(self, padding=(16, 4, 16, 14))
        buttons.grid(row=1, column=0, sticky="e")
        self.ok_button = ttk.Button(buttons, text=ok_text, default="active", command=self.ok)
        self.ok_button.grid(row=0, column=0, padx=(0, 8))
        self.cancel_button = ttk.Button(buttons, text="Cancel", command=self.cancel)
        self.cancel_button.grid(row=0, column=1)
        self.cancel_button.bind("<Return>", self._cancel_from_button)
        self.cancel_button.bind("<KP_Enter>", self._cancel_from_button)

        if error:
            self.show_error(error)
        self._show()
        self.focus_first_empty()

    def _show(self) -> None:
        self.update_idletasks()  # sizes are known only after layout
        for label, column in self._wrapped:
            bbox = self.body.grid_bbox(column, 0, 1, 0)
            label.configure(wraplength=max(bbox[2] if bbox else 0, 100))
        self.update_idletasks()
        width, height = self.winfo_reqwidth(), self.winfo_reqheight()
        owner = self._owner
        if self._over_master and owner.winfo_ismapped():
            x = owner.winfo_rootx() + (owner.winfo_width() - width) // 2
            y = owner.winfo_rooty() + (owner.winfo_height() - height) // 2
        else:
            # A third of the way down looks centred to the eye.
            x = (self.winfo_screenwidth() - width) // 2
            y = (self.winfo_screenheight() - height) // 3
        self.geometry(f"+{max(x, 0)}+{max(y, 0)}")
        self.deiconify()
        self.lift()
        if self._over_master and not owner.winfo_ismapped():
            # A window manager maps the owner after us and stacks it on top, hiding
            # the dialog (seen with openbox): lift again once the owner appears.
            # The binding stays but fires once (tkinter's unbind(seq, funcid)
            # would drop the app's own <Map> bindings too).
            pending = [True]

            def relift(event: tk.Event[tk.Misc]) -> None:
                if event.widget is owner and pending and self.winfo_exists():
                    pending.clear()
                    self.lift()

            owner.bind("<Map>", relift, add="+")
        self._try_grab()

    def _try_grab(self) -> None:
        self._grab_after = None
        try:
            self.grab_set()
        except tk.TclError:
            # "window not viewable": the window manager has not mapped it yet.
            self._grab_tries += 1
            if self._grab_tries < self._GRAB_RETRIES:
                self._grab_after = self.after(self._GRAB_RETRY_MS, self._try_grab)
            else:
                log.warning("dialog %r could not grab input; it stays non-modal", self.title())

    # --- fields and errors ----------------------------------------------------------

    def field(self, key: str) -> ttk.Entry:
        """Return the entry added under ``key``."""
        return self._fields[key]

    def value(self, key: str) -> str:
        """Return the text of the entry added under ``key``."""
        return self._fields[key].get()

    def focus_first_empty(self) -> None:
        """Focus the first empty field (or the first field when all are filled)."""
        entries = list(self._fields.values())
        target = next((e for e in entries if not e.get()), entries[0])
        target.focus_set()
        target.icursor("end")

    def focus_field(self, key: str) -> None:
        """Focus a field and select its text, so typing replaces the bad value."""
        entry = self._fields.get(key)
        if entry is None:
            return
        entry.focus_set()
        entry.selection_range(0, "end")
        entry.icursor("end")

    def show_error(self, message: str) -> None:
        """Show ``message`` on the red error line."""
        self.error_label.configure(text=message)
        self.error_label.grid()

    def clear_error(self) -> None:
        """Hide the error line."""
        self.error_label.configure(text="")
        self.error_label.grid_remove()

    @property
    def error_text(self) -> str:
        """The error line's text ("" when none is shown)."""
        return str(self.error_label.cget("text"))

    # --- outcome -------------------------------------------------------------------

    def submit(self) -> bool:
        """Validate and act on the fields; return True to close. Subclasses implement."""
        raise NotImplementedError

    def ok(self, event: tk.Event[tk.Misc] | None = None) -> str:
        """OK button, Return: close with a result, or show why not."""
        if self.submit():
            self._close()
        return "break"

    def cancel(self, event: tk.Event[tk.Misc] | None = None) -> str:
        """Cancel button, Escape, window close: close with ``result`` None."""
        self.result = None
        self._close()
        return "break"

    def _cancel_from_button(self, event: tk.Event[tk.Misc]) -> str:
        return self.cancel(event)

    def _close(self) -> None:
        self.destroy()

    def destroy(self) -> None:
        """Release the grab, cancel pending retries, give focus back, and destroy."""
        if self._grab_after is not None:
            self.after_cancel(self._grab_after)
            self._grab_after = None
        with contextlib.suppress(tk.TclError):
            self.grab_release()
        super().destroy()
        if self._over_master:
            with contextlib.suppress(tk.TclError):  # the master may be gone too
                self._owner.focus_set()


# --- the login dialog ----------------------------------------------------------------


class LoginDialog(FormDialog[LoginValues]):
    """Asks for a name, a room address and an optional password.

    Usage: ``dlg = LoginDialog(root, initial, error); root.wait_window(dlg); dlg.result``.
    ``error`` (e.g. "Could not connect: connection refused") is shown on the
    error line, so a failed attempt can bring the dialog back with the reason.
    """

    TITLE = "desktopchat — Join a room"

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
