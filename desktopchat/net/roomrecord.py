"""What a room announces on the network, and how a record heard there is read.

A room's DNS-SD TXT record (docs/PROTOCOL.md, "Discovery") is built by
:func:`txt_record`; :func:`room_from_record` reads one heard on the network
into a :class:`FoundRoom`, or None. Everything read is hostile: every length
is capped, the fingerprint is checked with
:func:`desktopchat.net.tls.normalize_fingerprint`, the room name must follow
the invitations' rules (:func:`desktopchat.net.invite.check_room_name`: no
control or direction characters, so it is safe on a console and in a list,
and its invitation link can always be made), only valid unicast IPv4
addresses are kept (at most :data:`MAX_ADDRESSES`), and a malformed record is
dropped whole. A room on several servers (Redis) also announces its other
servers' addresses (``alt``) and an id the same on all of them (``room``,
:func:`room_id`); :mod:`desktopchat.net.roommerge` makes one room of the
records sharing an id. No I/O here.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from desktopchat.escapes import UNSAFE
from desktopchat.net.invite import (
    MAX_ALTERNATIVES,
    MAX_ROOM_NAME,
    InvitationError,
    check_room_name,
)

if TYPE_CHECKING:
    from desktopchat.net.invite import JoinTarget

__all__ = [
    "MAX_ADDRESSES",
    "MAX_MEMBERS",
    "MAX_NAME_BYTES",
    "MAX_NAME_CHARS",
    "MAX_TXT_ALTERNATIVES",
    "NOTHING_FOUND_HINT",
    "PROTOCOL_VERSION",
    "SERVICE_TYPE",
    "FoundRoom",
    "cut_room_name",
    "room_from_record",
    "room_id",
    "room_line",
    "txt_record",
]

#: The DNS-SD service type every room announces.
SERVICE_TYPE = "_desktopchat._tcp.local."

#: The highest wire protocol our rooms speak (the TXT key ``v``).
PROTOCOL_VERSION = 2

#: A room name follows the invitations' rules (:func:`check_room_name`): at
#: most this many characters, no control or direction characters. A name
#: read from the network that breaks them makes the record malformed.
MAX_NAME_CHARS = MAX_ROOM_NAME

#: ... so its TXT value is at most this many bytes (UTF-8 needs at most 4 a
#: character; with ``name=`` that fits the 255 bytes of one TXT string).
MAX_NAME_BYTES = 4 * MAX_NAME_CHARS

#: Addresses kept per room (a host has a few; the rest would be noise).
MAX_ADDRESSES = 8

#: Member counts above this are refused as malformed (no room holds a million).
MAX_MEMBERS = 999_999

#: Other servers' addresses in ``alt`` at most: ten ``HOST:PORT`` of up to 21
#: bytes with their commas and ``alt=`` fit one TXT string (255 bytes).
MAX_TXT_ALTERNATIVES = 10

#: One TXT string (RFC 6763 section 6.1): ``key=value`` is at most this many bytes.
_TXT_STRING = 255

_DIGITS = re.compile(r"[0-9]{1,6}")
#: ``room``: a room's id, lowercase hex (we send 16 digits).
_ROOM_ID = re.compile(r"[0-9a-f]{8,32}")
#: One ``alt`` entry: an IPv4 address and a port (other forms are skipped).
_ALT = re.compile(r"([0-9]{1,3}(?:\.[0-9]{1,3}){3}):([0-9]{1,5})")

#: What to tell someone who finds no room (the join dialog and ``--discover``).
NOTHING_FOUND_HINT = (
    "No rooms found on this network. What commonly blocks finding them: "
    "a guest or public Wi-Fi that keeps devices apart (client isolation), "
    'Windows treating the network as "Public" (make it "Private"), '
    "or the host being on another network or subnet. "
    "Ask the host for their invitation and paste its link or address "
    "(for example 192.168.1.20:1234) instead."
)


@dataclass(frozen=True)
class FoundRoom:
    """One room heard on the network (every field checked; ``name`` is safe to show).

    Duck-compatible with :class:`desktopchat.net.invite.JoinTarget`: ``host``,
    ``port``, ``fingerprint``, ``password_needed``, ``room_name`` and
    ``alternatives`` (the room's other addresses, as ``(host, port)``).
    ``others`` are the addresses of the room's other servers (a room on
    several servers: its ``alt`` key, and the records merged into this one),
    ``room_id`` the id those servers share ("" for a room on one server),
    ``servers`` how many of them were heard announcing.
    """

    name: str
    host: str
    port: int
    addresses: tuple[str, ...]
    fingerprint: str
    password_needed: bool
    encrypted_only: bool
    version: int
    members: int | None  # None: the record did not say
    key: str = field(default="", compare=False)  # the DNS-SD instance name
    others: tuple[tuple[str, int], ...] = ()
    room_id: str = ""
    servers: int = 1

    @property
    def room_name(self) -> str:
        return self.name

    @property
    def alternatives(self) -> tuple[tuple[str, int], ...]:
        """Every address but the first: this server's others, then the other servers'."""
        found: list[tuple[str, int]] = []
        for address in [*((a, self.port) for a in self.addresses), *self.others]:
            if address != (self.host, self.port) and address not in found:
                found.append(address)
        return tuple(found[:MAX_ALTERNATIVES])

    @property
    def short_fingerprint(self) -> str:
        from desktopchat.net.tls import short_fingerprint

        return short_fingerprint(self.fingerprint)

    def link(self) -> str:
        """The room's invitation link (``desktopchat://HOST:PORT?fp=...``)."""
        from desktopchat.net.invite import Invitation

        return Invitation(
            room_name=self.name,
            addresses=[(self.host, self.port), *self.alternatives],
            fingerprint=self.fingerprint,
            password_needed=self.password_needed,
            encrypted_only=self.encrypted_only,
        ).link()

    def join_target(self) -> JoinTarget:
        """Where to join, pinned by the announced fingerprint."""
        from desktopchat.net.invite import JoinTarget

        return JoinTarget(
            host=self.host,
            port=self.port,
            fingerprint=self.fingerprint,
            password_needed=self.password_needed,
            room_name=self.name,
            alternatives=list(self.alternatives),
        )

    def flags(self) -> str:
        """A few words for a list: members, servers, password, encrypted only."""
        words = []
        if self.members is not None:
            words.append(f"{self.members} {'person' if self.members == 1 else 'people'}")
        if self.servers > 1:
            words.append(f"{self.servers} servers")
        if self.password_needed:
            words.append("password needed")
        if self.encrypted_only:
            words.append("encrypted only")
        return ", ".join(words)


def room_line(room: FoundRoom) -> str:
    """One line for ``--discover``: name, invitation link, then the flags."""
    flags = room.flags()
    return f"{room.name}  {room.link()}" + (f"  ({flags})" if flags else "")


def txt_record(
    room_name: str,
    fingerprint: str,
    *,
    password_needed: bool,
    encrypted_only: bool,
    members: int,
    version: int = PROTOCOL_VERSION,
    alternatives: Sequence[tuple[str, int]] = (),
    room: str = "",
) -> dict[str, str]:
    """The TXT record a room announces (see docs/PROTOCOL.md, "Discovery").

    ``alternatives`` (the room's other servers, ``(host, port)``) become
    ``alt``: IPv4 ones only, at most :data:`MAX_TXT_ALTERNATIVES`; ``room``
    (:func:`room_id`) becomes ``room``. Neither key is sent when empty.
    """
    record = {
        "v": str(version),
        "name": cut_room_name(room_name),
        "fp": fingerprint.replace(":", "").lower(),
        "pw": "1" if password_needed else "0",
        "enc": "1" if encrypted_only else "0",
        "n": str(max(0, min(members, MAX_MEMBERS))),
    }
    alt = _alt_value(alternatives)
    if alt:
        record["alt"] = alt
    if room:
        record["room"] = room
    return record


def room_id(identity: str) -> str:
    """The ``room`` id announced for the room ``identity`` names (16 hex digits).

    Every server of one room passes the same ``identity`` (a Redis room: its
    key prefix and epoch), so their records carry the same id; a hash, so the
    id says nothing about where the room lives.
    """
    return hashlib.sha256(f"desktopchat room {identity}".encode()).hexdigest()[:16]


def _alt_value(alternatives: Sequence[tuple[str, int]]) -> str:
    """``HOST:PORT,...`` of the IPv4 alternatives, cut to fit one TXT string."""
    items: list[str] = []
    for host, port in alternatives:
        item = f"{host}:{port}"
        if not _ALT.fullmatch(item) or item in items or not 0 < port < 65536:
            continue
        if not _usable_addresses([host]):  # 0.0.0.0 (a server not yet registered), multicast
            continue
        if len(items) == MAX_TXT_ALTERNATIVES:
            break
        if len("alt=" + ",".join([*items, item])) > _TXT_STRING:
            break
        items.append(item)
    return ",".join(items)


def cut_room_name(name: str) -> str:
    """``name`` made announceable: controls and direction characters become
    spaces, runs of spaces one, and it is cut to :data:`MAX_NAME_CHARS`
    characters ("" if nothing is left). The host's own name rules come first
    (``--room-name``, the Host room… dialog); this only keeps a record valid.
    """
    return " ".join(UNSAFE.sub(" ", name).split())[:MAX_NAME_CHARS].strip()


def room_from_record(
    properties: Mapping[bytes, bytes | None],
    port: int,
    addresses: Sequence[str],
    *,
    key: str = "",
) -> FoundRoom | None:
    """The room a resolved record describes, or None if any part is malformed.

    ``properties`` is the TXT record as zeroconf parsed it (bytes keys, values
    or None); ``addresses`` the A records as text. Unknown keys are ignored
    (a later version may add some); a missing ``pw``/``enc`` reads as 0, a
    missing ``n`` as "not said"; ``v``, ``name`` and ``fp`` are required.
    ``alt`` entries that are not a usable IPv4 ``HOST:PORT`` are skipped (a
    later version may list other kinds); a ``room`` that is not 8 to 32
    lowercase hex digits makes the record malformed.
    """
    from desktopchat.net.tls import normalize_fingerprint

    def text(key: bytes, limit: int) -> str | None:
        value = properties.get(key)
        if value is None or len(value) > limit:
            return None
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def flag(key: bytes) -> bool | None:
        value = properties.get(key, b"0")
        return {b"0": False, b"1": True}.get(value or b"")

    version_text = text(b"v", 3)
    name = _room_name(text(b"name", MAX_NAME_BYTES))
    fp_text = text(b"fp", 128)
    members_text = text(b"n", 6) if b"n" in properties else ""
    password_needed, encrypted_only = flag(b"pw"), flag(b"enc")
    room = text(b"room", 32) if b"room" in properties else ""
    if (
        version_text is None
        or not _DIGITS.fullmatch(version_text)
        or name is None
        or fp_text is None
        or members_text is None
        or (members_text and not _DIGITS.fullmatch(members_text))
        or password_needed is None
        or encrypted_only is None
        or room is None
        or (room and not _ROOM_ID.fullmatch(room))
        or not 0 < port < 65536
    ):
        return None
    fingerprint = normalize_fingerprint(fp_text)
    if fingerprint is None:
        return None
    kept = _usable_addresses(addresses)
    if not kept:
        return None
    return FoundRoom(
        name=name,
        host=kept[0],
        port=port,
        addresses=kept,
        fingerprint=fingerprint,
        password_needed=password_needed,
        encrypted_only=encrypted_only,
        version=int(version_text),
        members=int(members_text) if members_text else None,
        key=key,
        others=_alternatives(text(b"alt", _TXT_STRING) or "", [(a, port) for a in kept]),
        room_id=room,
    )


def _room_name(text: str | None) -> str | None:
    """The name if it follows the room-name rules (tidied), else None."""
    if text is None:
        return None
    try:
        name = check_room_name(text)
    except InvitationError:
        return None
    # Nothing the transcript would show as an escape (line separators too).
    return name if UNSAFE.search(name) is None else None


def _usable_addresses(addresses: Sequence[str]) -> tuple[str, ...]:
    """Valid unicast IPv4 addresses, private LAN ones first, at most :data:`MAX_ADDRESSES`."""
    seen: list[ipaddress.IPv4Address] = []
    for text in addresses[: MAX_ADDRESSES * 4]:
        try:
            address = ipaddress.IPv4Address(text)
        except ValueError:
            continue
        if address.is_multicast or address.is_unspecified or address.is_reserved:
            continue
        if address not in seen:
            seen.append(address)
    # The address most likely reachable first: a LAN address, then the rest,
    # link-local (169.254/16, no DHCP) and loopback last.
    seen.sort(key=lambda a: (a.is_loopback, a.is_link_local, not a.is_private))
    return tuple(str(a) for a in seen[:MAX_ADDRESSES])


def _alternatives(value: str, own: Sequence[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    """The usable ``HOST:PORT`` entries of an ``alt`` value, not ``own``, capped."""
    found: list[tuple[str, int]] = []
    for item in value.split(",")[: MAX_TXT_ALTERNATIVES * 2]:
        match = _ALT.fullmatch(item)
        if match is None or not 0 < int(match[2]) < 65536:
            continue
        hosts = _usable_addresses([match[1]])
        address = (hosts[0], int(match[2])) if hosts else None
        if address is not None and address not in own and address not in found:
            found.append(address)
    return tuple(found[:MAX_TXT_ALTERNATIVES])
