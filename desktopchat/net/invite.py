"""Invitations: the ``desktopchat://`` link and the text a host pastes into a messenger.

Pure standard library, no I/O. The link grammar is in docs/PROTOCOL.md,
"Invitations"; in short::

    desktopchat://HOST:PORT?fp=HEX64&pw=1&name=ROOM&alt=HOST:PORT,HOST:PORT

:func:`parse_join_target` is what the join dialog and ``--join`` call on what
a person pasted: a link (alone, or anywhere in a pasted invitation), or a
plain address with :func:`desktopchat.address.parse_address`'s rules (so the
old ``python -m desktopchat --join HOST:PORT`` line keeps working). A bad link
raises :class:`InvitationError`, an :class:`~desktopchat.address.AddressError`
whose text says what is wrong and what to do.

Decisions: the scheme is case-insensitive; a trailing ``/`` and a fragment are
ignored; unknown parameters are ignored (a newer host may add some), a known
one given twice is an error. Links come from strangers: the input, the link,
the room name and the list of alternatives all have caps.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, unquote_plus

from desktopchat.address import DEFAULT_PORT, AddressError, format_address, parse_address

__all__ = [
    "MAX_ALTERNATIVES",
    "MAX_ROOM_NAME",
    "SCHEME",
    "Invitation",
    "InvitationError",
    "JoinTarget",
    "check_room_name",
    "default_room_name",
    "parse_join_target",
]

#: What every link starts with (compared case-insensitively).
SCHEME = "desktopchat://"

#: Longest room name, in characters: a window title and a list row show it
#: whole, and it fits a DNS-SD TXT value (255 bytes) even in 4-byte UTF-8.
MAX_ROOM_NAME = 60

#: Most alternative addresses a link may carry: a machine has a few networks,
#: not hundreds; more would only make a hostile link expensive to show.
MAX_ALTERNATIVES = 16

#: Longest link accepted: 64 hex digits, a percent-encoded name (up to 12
#: bytes per character) and the alternatives fit well within it.
MAX_LINK = 2048

#: Longest pasted text searched for a link (a whole invitation is ~600 characters).
MAX_PASTE = 16384

#: Direction overrides and isolates, which could make a name read backwards.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)

#: Characters a messenger or a sentence may put right after a link.
_TRAILING = ".,;!?\"'>)"


class InvitationError(AddressError):
    """A link or room name is not usable; ``str(exc)`` is a sentence for the user."""


@dataclass(frozen=True)
class JoinTarget:
    """Where to join, and what a link said about the room (None: not said)."""

    host: str
    port: int
    #: SHA-256 of the room's certificate, 64 lowercase hex digits: the pin.
    fingerprint: str | None = None
    password_needed: bool | None = None
    room_name: str | None = None
    #: Other addresses of the same room (another network of the host).
    alternatives: list[tuple[str, int]] = field(default_factory=list)

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port


@dataclass(frozen=True)
class Invitation:
    """What a host hands out: its link and a text for any messenger."""

    room_name: str
    #: Addresses to join, the best first (the link's main address).
    addresses: list[tuple[str, int]]
    fingerprint: str | None = None
    password_needed: bool = False
    encrypted_only: bool = False

    def __post_init__(self) -> None:
        if not self.addresses:
            raise ValueError("an invitation needs at least one address")

    def link(self) -> str:
        """The ``desktopchat://`` link (see the module docstring)."""
        (host, port), *others = self.addresses
        params = []
        if self.fingerprint:
            params.append(f"fp={self.fingerprint.lower()}")
        params.append(f"pw={int(self.password_needed)}")
        if self.room_name:
            # "." is escaped too: a link that ends a sentence loses its last "." when
            # it is found in pasted text (_TRAILING), and a name may end in one.
            name = quote(self.room_name, safe="").replace(".", "%2E")
            params.append(f"name={name}")
        if others:
            alts = ",".join(format_address(h, p) for h, p in others[:MAX_ALTERNATIVES])
            params.append(f"alt={quote(alts, safe='[]:,')}")
        return f"{SCHEME}{format_address(host, port)}?{'&'.join(params)}"

    def text(self) -> str:
        """The invitation to paste into a messenger: it never assumes Python."""
        from desktopchat.net.tls import short_fingerprint

        addresses = [format_address(h, p) for h, p in self.addresses]
        also = f" (or {', '.join(addresses[1:])})" if len(addresses) > 1 else ""
        lines = [
            f'Join the chat room "{self.room_name}".' if self.room_name else "Join my chat room.",
            "Open desktopchat, choose Room ▸ Join room… and paste this link:",
            self.link(),
            f"Address: {addresses[0]}{also}",
        ]
        if self.fingerprint:
            lines.append(
                f"Fingerprint: {short_fingerprint(self.fingerprint)} "
                "(desktopchat checks it; if it shows another, do not join)"
            )
            if self.encrypted_only:
                lines.append("Encrypted: yes (unencrypted connections are refused)")
            else:
                lines.append("Encrypted: yes with desktopchat (older console clients are not)")
        else:
            lines.append("Encrypted: no (anyone on the network can read this room)")
        if self.password_needed:
            lines.append("Password: needed (ask the host; it is not in this invitation)")
        else:
            lines.append("Password: none")
        return "\n".join(lines)


def default_room_name(person: str, machine: str) -> str:
    """The name a room gets when none is given: "ann's room on pc1" (capped)."""
    machine = machine.split(".")[0]
    name = f"{person}'s room on {machine}" if person else f"Room on {machine}"
    try:
        return check_room_name(name)
    except InvitationError:
        return f"Room on {machine}"[:MAX_ROOM_NAME].strip() or "desktopchat room"


def check_room_name(text: str) -> str:
    """Return the room name with its spaces tidied, or raise :class:`InvitationError`.

    1 to :data:`MAX_ROOM_NAME` characters; no line breaks, control characters
    or direction overrides (a name must not rearrange the line showing it).
    """
    for ch in text:
        if unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS:
            raise InvitationError(
                f"The room name contains the control character U+{ord(ch):04X}: "
                "use letters, digits, spaces and punctuation."
            )
    name = " ".join(text.split())
    if not name:
        raise InvitationError("The room name is empty: type a few words, e.g. Ann's room.")
    if len(name) > MAX_ROOM_NAME:
        raise InvitationError(
            f"The room name is {len(name)} characters long; the most is {MAX_ROOM_NAME}."
        )
    return name


def parse_join_target(text: str, default_port: int | None = DEFAULT_PORT) -> JoinTarget:
    """Parse a pasted link or ``host:port``; raise :class:`~desktopchat.address.AddressError`.

    A link may be surrounded by other text (a whole pasted invitation); a
    plain address follows :func:`~desktopchat.address.parse_address` (a bare
    host gets ``default_port``, or is an error when it is None).
    """
    if len(text) > MAX_PASTE:
        raise InvitationError(
            f"That is {len(text):,} characters: paste only the desktopchat:// link or host:port."
        )
    link = _find_link(text)
    if link is None:
        if "://" in text:
            scheme = text.strip().split("://", 1)[0].split()[-1:] or [""]
            raise InvitationError(
                f"{scheme[0]}:// links are not desktopchat rooms: paste a desktopchat:// link, "
                "or type just the room's host and port, e.g. 192.168.1.23:1234 (no http://)."
            )
        host, port = parse_address(text, default_port)
        return JoinTarget(host, port)
    return _parse_link(link, default_port)


def _find_link(text: str) -> str | None:
    # The link on a line of its own wins: in a pasted invitation, the room's
    # name (on the line before) could itself contain "desktopchat://".
    lowered = text.lower()
    start = lowered.find(SCHEME)
    if start < 0:
        return None
    for line_start in _line_starts(text):
        if lowered.startswith(SCHEME, line_start):
            start = line_start
            break
    end = start
    while end < len(text) and not text[end].isspace() and text[end] not in "<>\"'":
        end += 1
    return text[start:end].rstrip(_TRAILING)


def _line_starts(text: str) -> Iterator[int]:
    """Where each line's first non-blank character is."""
    position = 0
    for line in text.splitlines(keepends=True):
        yield position + len(line) - len(line.lstrip())
        position += len(line)


def _parse_link(link: str, default_port: int | None) -> JoinTarget:
    if len(link) > MAX_LINK:
        raise InvitationError(
            f"The link is {len(link):,} characters long; a desktopchat link is at most "
            f"{MAX_LINK:,}. Ask the host for the invitation again."
        )
    rest = link[len(SCHEME) :].partition("#")[0]
    authority, _, query = rest.partition("?")
    authority = authority.removesuffix("/")
    if not authority:
        raise InvitationError(
            "The link has no address after desktopchat://; ask the host for the invitation again."
        )
    try:
        host, port = parse_address(unquote(authority), default_port)
    except AddressError as exc:
        raise InvitationError(f"The link's address is not usable: {exc}") from None
    params = _query(query)
    fingerprint = _fingerprint(params["fp"]) if "fp" in params else None
    password_needed = _flag("pw", params["pw"]) if "pw" in params else None
    room_name = None
    if "name" in params:
        try:
            room_name = check_room_name(unquote_plus(params["name"], errors="strict"))
        except UnicodeDecodeError:
            raise InvitationError(
                "The link's room name is not valid UTF-8 text; ask the host for the "
                "invitation again."
            ) from None
    alternatives = _alternatives(params["alt"]) if "alt" in params else []
    return JoinTarget(host, port, fingerprint, password_needed, room_name, alternatives)


_KNOWN = ("fp", "pw", "name", "alt")


def _query(query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in query.split("&"):
        if not item:
            continue
        key, _, value = item.partition("=")
        if key not in _KNOWN:
            continue  # a newer host's parameter: ignore it
        if key in params:
            raise InvitationError(
                f"The link gives {key}= twice; ask the host for the invitation again."
            )
        params[key] = value
    return params


def _fingerprint(value: str) -> str:
    from desktopchat.net.tls import normalize_fingerprint

    fingerprint = normalize_fingerprint(unquote(value)[:200])
    if fingerprint is None:
        raise InvitationError(
            "The link's fingerprint (fp=) is not 64 hexadecimal digits: the link was cut "
            "or changed. Ask the host for the invitation again."
        )
    return fingerprint


def _flag(key: str, value: str) -> bool:
    if value not in ("0", "1"):
        raise InvitationError(f"The link's {key}= must be 0 or 1, got {value[:20]!r}.")
    return value == "1"


def _alternatives(value: str) -> list[tuple[str, int]]:
    items = [item for item in unquote(value).split(",") if item]
    if len(items) > MAX_ALTERNATIVES:
        raise InvitationError(
            f"The link lists {len(items)} other addresses; the most is {MAX_ALTERNATIVES}."
        )
    result = []
    for item in items:
        try:
            result.append(parse_address(item, default_port=None))
        except AddressError as exc:
            raise InvitationError(
                f"An alternative address in the link (alt=) is bad: {exc}"
            ) from None
    return result
