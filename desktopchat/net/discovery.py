"""Rooms found on the network: DNS-SD over mDNS (the ``zeroconf`` package).

A hosted room announces the service type :data:`SERVICE_TYPE` with a TXT
record (the keys are in docs/PROTOCOL.md, "Discovery"); a browser lists the
rooms it hears. Three entry points:

* :class:`Announcer` -- announce one room; ``start()``, ``update(members=N)``
  (rate-limited), ``close(timeout)``. Registration and goodbyes run on the
  announcer's own thread: no call blocks the caller for long.
* :class:`Browser` -- browse on its own threads; ``rooms()`` is a thread-safe
  snapshot of :class:`FoundRoom`; ``close()``.
* :func:`discover` -- browse for ``timeout`` seconds (the command line's
  ``--discover``).

Everything read from the network is hostile: :func:`room_from_record` caps
every length, checks the fingerprint with
:func:`desktopchat.net.tls.normalize_fingerprint`, escapes controls in the
room name and drops a malformed record whole; a browser keeps at most
:data:`MAX_ROOMS` rooms and resolves at most that many names at once.

``zeroconf`` is imported inside the threads only: it is slow to import and the
window must open without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import logging
import re
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from desktopchat.escapes import UNSAFE, escape_all

if TYPE_CHECKING:
    from zeroconf import ServiceInfo, ServiceStateChange, Zeroconf

    from desktopchat.net.invite import JoinTarget

__all__ = [
    "MAX_ROOMS",
    "NOTHING_FOUND_HINT",
    "PROTOCOL_VERSION",
    "SERVICE_TYPE",
    "Announcer",
    "Browser",
    "FoundRoom",
    "discover",
    "room_from_record",
    "room_line",
    "txt_record",
]

log = logging.getLogger(__name__)

#: The DNS-SD service type every room announces.
SERVICE_TYPE = "_desktopchat._tcp.local."

#: The highest wire protocol our rooms speak (the TXT key ``v``).
PROTOCOL_VERSION = 2

#: Rooms a browser keeps: a hostile announcer registering thousands of names
#: cannot grow our memory or the list past this (a LAN has a handful).
MAX_ROOMS = 200

#: A room name is cut to this many characters when announced, and a longer one
#: read from the network is refused: it fits one list row and one TXT string.
MAX_NAME_CHARS = 64

#: ... and to this many UTF-8 bytes (a TXT string holds 255 with its key).
MAX_NAME_BYTES = 200

#: Addresses kept per room (a host has a few; the rest would be noise).
MAX_ADDRESSES = 8

#: Member counts above this are refused as malformed (no room holds a million).
MAX_MEMBERS = 999_999

#: Re-announcing the member count at most this often (seconds): every announce
#: is a multicast to everyone on the network, and a room where people come and
#: go must not flood it.
MIN_UPDATE_INTERVAL = 5.0

#: How long a browser waits for one room's details (SRV, TXT, address).
RESOLVE_TIMEOUT = 3.0

_DIGITS = re.compile(r"[0-9]{1,6}")

#: What to tell someone who finds no room (the join dialog and ``--discover``).
NOTHING_FOUND_HINT = (
    "No rooms found on this network. What commonly blocks finding them: "
    "a guest or public Wi-Fi that keeps devices apart (client isolation), "
    'Windows treating the network as "Public" (make it "Private"), '
    "or the host being on another network or subnet. "
    "Ask the host for their invitation and paste its link or address "
    "(for example 192.168.1.20:1234) instead."
)


# --- the record -----------------------------------------------------------------


@dataclass(frozen=True)
class FoundRoom:
    """One room heard on the network (every field checked; ``name`` is safe to show).

    Duck-compatible with :class:`desktopchat.net.invite.JoinTarget`: ``host``,
    ``port``, ``fingerprint``, ``password_needed``, ``room_name`` and
    ``alternatives`` (the room's other addresses, as ``(host, port)``).
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

    @property
    def room_name(self) -> str:
        return self.name

    @property
    def alternatives(self) -> tuple[tuple[str, int], ...]:
        return tuple((a, self.port) for a in self.addresses if a != self.host)

    @property
    def short_fingerprint(self) -> str:
        from desktopchat.net.tls import short_fingerprint

        return short_fingerprint(self.fingerprint)

    def link(self) -> str:
        """The room's invitation link (``desktopchat://HOST:PORT?fp=...``)."""
        from desktopchat.net.invite import Invitation

        return Invitation(
            room_name=self.name,
            addresses=[(a, self.port) for a in self.addresses],
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
        """A few words for a list: members, password, encrypted only."""
        words = []
        if self.members is not None:
            words.append(f"{self.members} {'person' if self.members == 1 else 'people'}")
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
) -> dict[str, str]:
    """The TXT record a room announces (see docs/PROTOCOL.md, "Discovery")."""
    return {
        "v": str(version),
        "name": cut_room_name(room_name),
        "fp": fingerprint.replace(":", "").lower(),
        "pw": "1" if password_needed else "0",
        "enc": "1" if encrypted_only else "0",
        "n": str(max(0, min(members, MAX_MEMBERS))),
    }


def cut_room_name(name: str) -> str:
    """``name`` cut to :data:`MAX_NAME_CHARS` characters and :data:`MAX_NAME_BYTES` bytes."""
    name = name.strip()[:MAX_NAME_CHARS]
    while len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        name = name[:-1]
    return name


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
    name = text(b"name", MAX_NAME_BYTES)
    fp_text = text(b"fp", 128)
    members_text = text(b"n", 6) if b"n" in properties else ""
    password_needed, encrypted_only = flag(b"pw"), flag(b"enc")
    if (
        version_text is None
        or not _DIGITS.fullmatch(version_text)
        or name is None
        or not name.strip()
        or len(name) > MAX_NAME_CHARS
        or fp_text is None
        or members_text is None
        or (members_text and not _DIGITS.fullmatch(members_text))
        or password_needed is None
        or encrypted_only is None
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
        name=escape_all(name.strip()),
        host=kept[0],
        port=port,
        addresses=kept,
        fingerprint=fingerprint,
        password_needed=password_needed,
        encrypted_only=encrypted_only,
        version=int(version_text),
        members=int(members_text) if members_text else None,
        key=key,
    )


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


# --- announcing -----------------------------------------------------------------


def _instance_name(room_name: str, fingerprint: str, port: int) -> str:
    """A DNS-SD instance name unique per host: the room name and a short id.

    The id is derived from this machine's fingerprint and the port, so a
    restarted room takes its old name back instead of adding a second entry.
    """
    tag = hashlib.sha256(f"{fingerprint}:{port}".encode()).hexdigest()[:6]
    # A DNS label: at most 63 bytes; zeroconf refuses controls (and dots would
    # read as label separators to some browsers).
    label = " ".join(UNSAFE.sub(" ", room_name).replace(".", " ").split())[:40]
    while len(label.encode("utf-8", "surrogatepass")) > 48:
        label = label[:-1]
    label = label.strip() or "room"
    return f"{label} ({tag}).{SERVICE_TYPE}"


def _host_label(fingerprint: str, port: int) -> str:
    """This room's own mDNS host name (a plain label: not every host name is one)."""
    plain = re.sub(r"[^A-Za-z0-9-]+", "-", socket.gethostname()).strip("-")[:30] or "host"
    tag = hashlib.sha256(f"{fingerprint}:{port}".encode()).hexdigest()[:6]
    return f"desktopchat-{plain}-{tag}.local."


class Announcer:
    """Announce one room on the local network until :meth:`close`.

    ``addresses`` are the IPv4 addresses to announce (default: this machine's
    LAN addresses, as :func:`desktopchat.net.lan.join_endpoints` finds them).
    :meth:`start` returns at once; zeroconf starts, probes the name (about
    two seconds) and announces on the announcer's thread. A failure there
    (no network, no multicast) is logged as a warning and kept in
    :attr:`error`; the room itself is unaffected.
    """

    def __init__(
        self,
        room_name: str,
        port: int,
        fingerprint: str,
        password_needed: bool,
        encrypted_only: bool,
        addresses: Sequence[str] | None = None,
        *,
        members: int = 0,
        min_interval: float = MIN_UPDATE_INTERVAL,
    ) -> None:
        self.room_name = cut_room_name(room_name) or "room"
        self.port = port
        self.fingerprint = fingerprint
        self.password_needed = password_needed
        self.encrypted_only = encrypted_only
        self._addresses = list(addresses) if addresses is not None else None
        self._min_interval = min_interval
        self._wake = threading.Condition()
        self._members = members
        self._closed = False
        self.error: str | None = None
        #: The instance name actually registered (zeroconf renames on a clash).
        self.registered_name: str | None = None
        self._announced = threading.Event()  # set once registered (or failed)
        self._thread = threading.Thread(target=self._run, name="desktopchat-announce", daemon=True)

    def start(self) -> None:
        """Start announcing (returns at once)."""
        self._thread.start()

    def update(self, members: int) -> None:
        """Announce a new member count: at once, or when ``min_interval`` since the last is up."""
        with self._wake:
            if members != self._members:
                self._members = members
                self._wake.notify()

    def wait_announced(self, timeout: float) -> bool:
        """Wait until the room is announced (or announcing failed); True if it happened."""
        return self._announced.wait(timeout)

    def close(self, timeout: float = 0.0) -> bool:
        """Stop announcing: goodbye packets, then zeroconf closes (on the thread).

        Waits at most ``timeout`` seconds for that (0: return at once); True if
        it finished. A program about to exit waits a little, so that browsers
        drop the room at once instead of when its records expire.
        """
        with self._wake:
            self._closed = True
            self._wake.notify()
        if not self._thread.is_alive() or timeout <= 0:
            return not self._thread.is_alive()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _addresses_now(self) -> list[str]:
        if self._addresses is not None:
            return self._addresses
        from desktopchat.net.lan import join_endpoints

        return [host for host, _ in join_endpoints(("0.0.0.0", self.port))]

    def _info(self, name: str, members: int) -> ServiceInfo:
        from zeroconf import ServiceInfo

        return ServiceInfo(
            SERVICE_TYPE,
            name,
            port=self.port,
            properties=txt_record(
                self.room_name,
                self.fingerprint,
                password_needed=self.password_needed,
                encrypted_only=self.encrypted_only,
                members=members,
            ),
            addresses=[socket.inet_aton(a) for a in self._addresses_now()],
            server=_host_label(self.fingerprint, self.port),
        )

    def _run(self) -> None:
        zc: Zeroconf | None = None
        info: ServiceInfo | None = None
        try:
            zc = _start_zeroconf()
            with self._wake:
                members = self._members
            info = self._info(_instance_name(self.room_name, self.fingerprint, self.port), members)
            zc.register_service(info, allow_name_change=True)
            self.registered_name = info.name
            log.info("announcing room %r on the local network as %s", self.room_name, info.name)
            self._announced.set()
            self._keep_up_to_date(zc, info.name, members)
        except Exception as exc:  # zeroconf raises OSError, its own errors, ...
            self.error = f"cannot announce the room on the network: {exc}"
            log.warning("%s", self.error)
        finally:
            self._announced.set()
            if zc is not None:
                if info is not None and self.registered_name is not None:
                    with contextlib.suppress(Exception):
                        zc.unregister_service(info)
                with contextlib.suppress(Exception):
                    zc.close()

    def _keep_up_to_date(self, zc: Zeroconf, name: str, sent: int) -> None:
        last = time.monotonic()
        while True:
            with self._wake:
                while not self._closed:
                    wait = last + self._min_interval - time.monotonic()
                    if self._members != sent and wait <= 0:
                        break
                    self._wake.wait(wait if self._members != sent else None)
                if self._closed:
                    return
                sent = self._members
            zc.update_service(self._info(name, sent))
            last = time.monotonic()
            log.debug("re-announced room %r: %d members", self.room_name, sent)


def _start_zeroconf() -> Zeroconf:
    from zeroconf import IPVersion, Zeroconf

    # IPv4 only: every LAN has it, and a room's invitation lists IPv4 addresses.
    return Zeroconf(ip_version=IPVersion.V4Only)


# --- browsing -------------------------------------------------------------------


class Browser:
    """Listen for rooms on the local network (from construction until :meth:`close`).

    zeroconf starts on the browser's thread; its listener only notes names,
    and the same thread resolves them one at a time into :class:`FoundRoom`.
    :meth:`rooms` never blocks for long. :attr:`error` is set if zeroconf
    could not start (no network, no multicast).
    """

    def __init__(self, *, resolve_timeout: float = RESOLVE_TIMEOUT) -> None:
        self._resolve_ms = int(resolve_timeout * 1000)
        self._wake = threading.Condition()
        self._rooms: dict[str, FoundRoom] = {}
        # name -> generation: the names being tracked (pending or listed). A
        # resolve that finishes after a newer event for its name is discarded.
        self._known: dict[str, int] = {}
        self._pending: dict[str, None] = {}  # an ordered set
        self._generation = 0
        self._closed = False
        self.error: str | None = None
        self.started = time.monotonic()
        self._ready = threading.Event()  # browsing (or failed)
        self._thread = threading.Thread(target=self._run, name="desktopchat-browse", daemon=True)
        self._thread.start()

    def rooms(self) -> list[FoundRoom]:
        """The rooms heard so far, by name (a snapshot; safe from any thread)."""
        with self._wake:
            found = list(self._rooms.values())
        return sorted(found, key=lambda r: (r.name.casefold(), r.host, r.port))

    def wait_ready(self, timeout: float) -> bool:
        """Wait until browsing has started (or failed); True if it did either."""
        return self._ready.wait(timeout)

    def close(self, timeout: float = 0.0) -> bool:
        """Stop browsing; wait at most ``timeout`` seconds for the thread (True: stopped)."""
        with self._wake:
            self._closed = True
            self._wake.notify()
        if timeout > 0:
            self._thread.join(timeout)
        return not self._thread.is_alive()

    # zeroconf's thread: note the name, nothing slow.
    def _on_change(
        self,
        zeroconf: Zeroconf,
        service_type: str,
        name: str,
        state_change: ServiceStateChange,
    ) -> None:
        from zeroconf import ServiceStateChange

        with self._wake:
            self._generation += 1
            if state_change is ServiceStateChange.Removed:
                self._known.pop(name, None)
                self._pending.pop(name, None)
                if self._rooms.pop(name, None) is not None:
                    log.debug("room gone: %s", name)
                return
            if name not in self._known and len(self._known) >= MAX_ROOMS:
                log.debug("ignoring %s: already %d rooms", name, MAX_ROOMS)
                return
            self._known[name] = self._generation
            self._pending[name] = None
            self._wake.notify()

    def _run(self) -> None:
        try:
            from zeroconf import ServiceBrowser

            zc = _start_zeroconf()
        except Exception as exc:  # OSError (no interface), zeroconf's errors
            self.error = f"cannot look for rooms on the network: {exc}"
            log.warning("%s", self.error)
            self._ready.set()
            return
        browser: Any = None
        try:
            browser = ServiceBrowser(zc, SERVICE_TYPE, handlers=[self._on_change])
            self._ready.set()
            self._resolve_forever(zc)
        except Exception as exc:
            self.error = f"looking for rooms stopped: {exc}"
            log.warning("%s", self.error)
        finally:
            self._ready.set()
            if browser is not None:
                with contextlib.suppress(Exception):
                    browser.cancel()
            with contextlib.suppress(Exception):
                zc.close()

    def _resolve_forever(self, zc: Zeroconf) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                name = next(iter(self._pending))
                del self._pending[name]
                generation = self._known.get(name)
            room = self._resolve(zc, name)
            with self._wake:
                if self._known.get(name) != generation:
                    continue  # removed or changed meanwhile: a newer event decides
                if room is None:
                    self._known.pop(name, None)  # a malformed record takes no slot
                    self._rooms.pop(name, None)
                else:
                    self._rooms[name] = room

    def _resolve(self, zc: Zeroconf, name: str) -> FoundRoom | None:
        from zeroconf import IPVersion

        try:
            info = zc.get_service_info(SERVICE_TYPE, name, timeout=self._resolve_ms)
        except Exception as exc:  # a malformed name zeroconf refuses
            log.debug("cannot resolve %r: %s", name, exc)
            return None
        if info is None or info.port is None:
            log.debug("no details for %r", name)
            return None
        room = room_from_record(
            info.properties,
            info.port,
            info.parsed_addresses(IPVersion.V4Only),
            key=name,
        )
        if room is None:
            log.debug("ignoring a malformed record: %r", name)
        return room


def discover(timeout: float) -> list[FoundRoom]:
    """Browse for ``timeout`` seconds; return the rooms found, by name.

    Raises OSError with a sentence for the user if zeroconf cannot start.
    """
    browser = Browser()
    try:
        deadline = time.monotonic() + timeout
        browser.wait_ready(timeout)
        if browser.error is not None:
            raise OSError(browser.error)
        time.sleep(max(0.0, deadline - time.monotonic()))
        return browser.rooms()
    finally:
        browser.close(timeout=1.0)
