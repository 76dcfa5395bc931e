"""Room addresses as people type them: ``host:port`` parsing and formatting.

The one parser behind the login dialog (:mod:`desktopchat.gui.login`, which
maps :class:`AddressError` to its field errors) and the command line
(``--join``, ``--host``, ``--port`` in :mod:`desktopchat.__main__`). Pure
standard library, no Tk, no I/O. ``str(AddressError)`` is a sentence for the user.

Rules and decisions:

* The address is one field, ``host:port``. A bare host means port 1234 (the
  tutorial's) unless the caller passes ``default_port=None``, which makes the
  port required (the command line's ``--join HOST:PORT``). IPv6 goes in
  brackets, ``[fe80::1]:1234``; a bare IPv6 address without brackets is
  accepted too and gets the default port ("fe80::1:1234" is ambiguous, so a
  port needs the brackets). The brackets are removed from the host returned.
* Pasting the line the host's window shows (``python -m desktopchat --join
  192.168.1.23:1234``) works: the address after ``--join`` is used. Any other
  address containing spaces is an error.
* Host names are letters and digits of any script plus ``.``, ``-`` and ``_``
  (some LAN names use underscores); URLs (``http://``) and ``user@host`` are
  refused with a sentence saying what to type instead.
* Joining needs a port from 1 to 65535; 0 means "any free port" and is allowed
  only when hosting (``allow_zero=True``). Ports are ASCII digits only: other
  scripts' digits, ``+1`` and ``1_0`` (which ``int()`` accepts) are refused.
"""

from __future__ import annotations

import ipaddress

__all__ = ["DEFAULT_PORT", "AddressError", "format_address", "parse_address", "parse_port"]

#: Port used when the address names none (the tutorial's).
DEFAULT_PORT = 1234

# Characters allowed in a host name besides letters and digits (of any script,
# for internationalised names): dots between labels, hyphens, and underscores,
# which some LAN names use.
_HOST_EXTRA_CHARS = frozenset(".-_")


class AddressError(ValueError):
    """An address or port is not usable; ``str(exc)`` is a sentence for the user."""


def parse_port(text: str, *, allow_zero: bool = False) -> int:
    """Parse a port number typed by the user, or raise :class:`AddressError`.

    The range is 1-65535, or 0-65535 with ``allow_zero`` (0 = any free port).
    """
    low = 0 if allow_zero else 1
    text = text.strip()
    # isdecimal() alone accepts other scripts' digits; int() would accept "+1" and "1_0".
    if not (text.isascii() and text.isdecimal()):
        raise AddressError(f"Port must be a number from {low} to 65535, got {text!r}.")
    port = int(text)
    if not low <= port <= 65535:
        raise AddressError(f"Port must be a number from {low} to 65535, got {port}.")
    return port


def _check_host(host: str) -> str:
    if not host:
        raise AddressError("Type the room's host before the colon, e.g. 192.168.1.23:1234.")
    if not all(ch.isalnum() or ch in _HOST_EXTRA_CHARS for ch in host):
        raise AddressError(f"{host!r} is not a host name or IP address.")
    return host


def _check_ipv6(host: str) -> str:
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        raise AddressError(f"{host!r} is not an IPv6 address.") from None
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
    raise AddressError(
        "The address must not contain spaces: type host:port, e.g. 192.168.1.23:1234."
    )


def _without_port(host: str, default_port: int | None) -> tuple[str, int]:
    if default_port is None:
        raise AddressError(
            f"Add the room's port after the host: {format_address(host, DEFAULT_PORT)}."
        )
    return host, default_port


def parse_address(text: str, default_port: int | None = DEFAULT_PORT) -> tuple[str, int]:
    """Parse ``host:port``, ``[v6]:port``, a bare host or a bare IPv6 address.

    Returns ``(host, port)`` with IPv6 brackets removed; a bare host gets
    ``default_port``, or is an error when ``default_port`` is None. Raises
    :class:`AddressError`.
    """
    text = text.strip()
    if not text:
        raise AddressError("Type the room's address, e.g. 192.168.1.23:1234.")
    if any(ch.isspace() for ch in text):
        text = _unwrap_command_line(text)
    if "/" in text or "@" in text:
        raise AddressError(
            "Type just the room's host and port, e.g. 192.168.1.23:1234 (no http://)."
        )
    if text.startswith("["):
        inside, bracket, rest = text[1:].partition("]")
        if not bracket:
            raise AddressError("Close the IPv6 bracket, e.g. [fe80::1]:1234.")
        host = _check_ipv6(inside)
        if not rest:
            return _without_port(host, default_port)
        if not rest.startswith(":"):
            raise AddressError("Put a colon between ] and the port, e.g. [fe80::1]:1234.")
        return host, parse_port(rest[1:])
    if text.count(":") >= 2:
        # A bare IPv6 address; "fe80::1:1234" is ambiguous, so a port needs brackets.
        try:
            ipaddress.IPv6Address(text)
        except ValueError:
            raise AddressError(
                "Put an IPv6 address in brackets before the port: [fe80::1]:1234."
            ) from None
        return _without_port(text, default_port)
    host, colon, port_text = text.partition(":")
    _check_host(host)
    if not colon:
        return _without_port(host, default_port)
    if not port_text.strip():
        example = DEFAULT_PORT if default_port is None else default_port
        raise AddressError(f"Type the port after the colon, e.g. {host}:{example}.")
    return host, parse_port(port_text)


def format_address(host: str, port: int) -> str:
    """Return ``host:port`` as the user types it (IPv6 in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
