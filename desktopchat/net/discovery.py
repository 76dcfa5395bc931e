"""Rooms found on the network: DNS-SD over mDNS (the ``zeroconf`` package).

A hosted room announces :data:`SERVICE_TYPE` with the TXT record of
:mod:`desktopchat.net.roomrecord` (keys in docs/PROTOCOL.md, "Discovery"); a
browser lists the rooms it hears. Three entry points:

* :class:`Announcer` -- announce one room; ``start()``, ``update(members=N)``
  (rate-limited; a room on several servers also passes its other servers'
  addresses and its id: ``update(N, alternatives=..., room=...)``),
  ``close(timeout)``. Registration and goodbyes run on the announcer's own
  thread: no call blocks the caller for long.
* :class:`Browser` -- browse on its own threads; ``rooms()`` is a thread-safe
  snapshot of :class:`FoundRoom`, one per room (the records of a room's
  several servers merged: :func:`~desktopchat.net.roommerge.merge_rooms`);
  ``close()``.
* :func:`discover` -- browse for ``timeout`` seconds (the command line's
  ``--discover``).

Everything heard is hostile: a record is read by
:func:`~desktopchat.net.roomrecord.room_from_record` (malformed: dropped), and
a browser tracks at most :data:`MAX_ROOMS` names (:class:`RoomTable`).

``zeroconf`` is imported inside the threads only: it is slow to import and the
window must open without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from desktopchat.escapes import UNSAFE
from desktopchat.net.roomrecord import (
    NOTHING_FOUND_HINT,
    PROTOCOL_VERSION,
    SERVICE_TYPE,
    FoundRoom,
    cut_room_name,
    room_from_record,
    room_line,
    txt_record,
)
from desktopchat.net.roomtable import MAX_ROOMS, RoomTable

if TYPE_CHECKING:
    from zeroconf import ServiceInfo, ServiceStateChange, Zeroconf

__all__ = [
    "MAX_ROOMS",
    "NOTHING_FOUND_HINT",
    "PROTOCOL_VERSION",
    "SERVICE_TYPE",
    "Announcer",
    "Browser",
    "FoundRoom",
    "RoomTable",
    "discover",
    "room_line",
]

log = logging.getLogger(__name__)

#: Re-announcing the member count at most this often (seconds): every announce
#: is a multicast to everyone on the network, and a room where people come and
#: go must not flood it.
MIN_UPDATE_INTERVAL = 5.0

#: What an announcement says that can change: the member count, the room's
#: other servers' addresses and the room's id (see :func:`txt_record`).
_Said = tuple[int, tuple[tuple[str, int], ...], str]

#: How long a browser waits for one room's details (SRV, TXT, address).
RESOLVE_TIMEOUT = 3.0


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
    ``alternatives`` and ``room`` are a room on several servers' other
    servers' addresses and its id (TXT ``alt`` and ``room``).
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
        alternatives: Sequence[tuple[str, int]] = (),
        room: str = "",
    ) -> None:
        self.room_name = cut_room_name(room_name) or "room"
        self.port = port
        self.fingerprint = fingerprint
        self.password_needed = password_needed
        self.encrypted_only = encrypted_only
        self._addresses = list(addresses) if addresses is not None else None
        self._min_interval = min_interval
        self._wake = threading.Condition()
        self._said: _Said = (members, tuple(alternatives), room)
        self._closed = False
        self._started = False
        self.error: str | None = None
        #: The instance name actually registered (zeroconf renames on a clash).
        self.registered_name: str | None = None
        self._announced = threading.Event()  # set once registered (or failed)
        self._thread = threading.Thread(target=self._run, name="desktopchat-announce", daemon=True)

    def start(self) -> None:
        """Start announcing (returns at once; nothing happens after :meth:`close`)."""
        with self._wake:
            if self._closed or self._started:
                return
            self._started = True
        self._thread.start()

    def update(
        self,
        members: int,
        *,
        alternatives: Sequence[tuple[str, int]] | None = None,
        room: str | None = None,
    ) -> None:
        """Announce a new member count (and other servers, room id; None: unchanged):
        at once, or when ``min_interval`` since the last announcement is up."""
        with self._wake:
            _, old_alternatives, old_room = self._said
            said = (
                members,
                old_alternatives if alternatives is None else tuple(alternatives),
                old_room if room is None else room,
            )
            if said != self._said:
                self._said = said
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

    def _addresses_now(self) -> list[bytes]:
        """The IPv4 addresses to announce, packed; looked up again at each announcement."""
        if self._addresses is not None:
            hosts = self._addresses
        else:
            from desktopchat.net.lan import join_endpoints

            hosts = [host for host, _ in join_endpoints(("0.0.0.0", self.port))]
        packed = []
        for host in hosts:
            with contextlib.suppress(ValueError):
                packed.append(ipaddress.IPv4Address(host).packed)
        if not packed:
            raise OSError(f"no IPv4 address to announce among {hosts}")
        return packed

    def _info(self, name: str, said: _Said) -> ServiceInfo:
        from zeroconf import ServiceInfo

        members, alternatives, room = said
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
                alternatives=alternatives,
                room=room,
            ),
            addresses=self._addresses_now(),
            server=_host_label(self.fingerprint, self.port),
        )

    def _run(self) -> None:
        zc: Zeroconf | None = None
        info: ServiceInfo | None = None
        try:
            with self._wake:
                if self._closed:
                    return
            zc = _start_zeroconf()
            with self._wake:
                said = self._said
            info = self._info(_instance_name(self.room_name, self.fingerprint, self.port), said)
            zc.register_service(info, allow_name_change=True)
            self.registered_name = info.name
            log.info("announcing room %r on the local network as %s", self.room_name, info.name)
            self._announced.set()
            self._keep_up_to_date(zc, info.name, said)
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

    def _keep_up_to_date(self, zc: Zeroconf, name: str, sent: _Said) -> None:
        last = time.monotonic()
        while True:
            with self._wake:
                while not self._closed:
                    wait = last + self._min_interval - time.monotonic()
                    if self._said != sent and wait <= 0:
                        break
                    self._wake.wait(wait if self._said != sent else None)
                if self._closed:
                    return
                sent = self._said
            zc.update_service(self._info(name, sent))
            last = time.monotonic()
            log.debug(
                "re-announced room %r: %d members, %d other addresses",
                self.room_name,
                sent[0],
                len(sent[1]),
            )


#: Set (to anything but "" or "0") to keep every multicast packet in: no room is
#: announced and none browsed for (the list says discovery is off). The test
#: suite sets it for every program it starts outside a private namespace.
NO_DISCOVERY_ENV = "DESKTOPCHAT_NO_DISCOVERY"


def _start_zeroconf() -> Zeroconf:
    if os.environ.get(NO_DISCOVERY_ENV, "") not in ("", "0"):
        raise OSError(f"discovery is turned off ({NO_DISCOVERY_ENV} is set)")
    from zeroconf import IPVersion, Zeroconf

    # IPv4 only: every LAN has it, and a room's invitation lists IPv4 addresses.
    return Zeroconf(ip_version=IPVersion.V4Only)


# --- browsing -------------------------------------------------------------------


class Browser:
    """Listen for rooms on the local network (from construction until :meth:`close`).

    zeroconf starts on the browser's thread; its listener only notes names in
    a :class:`RoomTable`, and the same browser thread resolves them one at a
    time into :class:`FoundRoom`. :meth:`rooms` never blocks for long.
    :attr:`error` is set if zeroconf could not start (no network, no multicast).
    """

    def __init__(
        self, *, resolve_timeout: float = RESOLVE_TIMEOUT, start_delay: float = 0.0
    ) -> None:
        self._resolve_ms = int(resolve_timeout * 1000)
        # A window opening its join dialog starts browsing a moment later, so
        # importing zeroconf (tens of ms of Python) does not slow its first paint.
        self._start_delay = start_delay
        self.table = RoomTable()
        self.error: str | None = None
        self._ready = threading.Event()  # browsing (or failed)
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="desktopchat-browse", daemon=True)
        self._thread.start()

    def rooms(self) -> list[FoundRoom]:
        """The rooms heard so far, by name, one per room (a snapshot; safe from any thread)."""
        return self.table.rooms()

    def wait_ready(self, timeout: float) -> bool:
        """Wait until browsing has started (or failed); True if it did either."""
        return self._ready.wait(timeout)

    def close(self, timeout: float = 0.0) -> bool:
        """Stop browsing; wait at most ``timeout`` seconds for the thread (True: stopped)."""
        self._closing.set()
        self.table.close()
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

        if state_change is ServiceStateChange.Removed:
            self.table.gone(name)
            log.debug("room gone: %r", name)
        elif not self.table.heard(name):
            log.debug("ignoring %r: already %d rooms", name, MAX_ROOMS)

    def _run(self) -> None:
        if self._start_delay > 0 and self._closing.wait(self._start_delay):
            self._ready.set()
            return  # closed before it started
        try:
            zc = _start_zeroconf()
            from zeroconf import ServiceBrowser
        except Exception as exc:  # OSError (no interface), zeroconf's errors
            self.error = f"cannot look for rooms on the network: {exc}"
            log.info("%s", self.error)  # the caller shows it (the list, --discover)
            self._ready.set()
            return
        browser: Any = None
        try:
            browser = ServiceBrowser(zc, SERVICE_TYPE, handlers=[self._on_change])
            self._ready.set()
            while (job := self.table.next_name()) is not None:
                name, generation = job
                self.table.settle(name, generation, self._resolve(zc, name))
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
