"""Which addresses others on the network can use to reach a room hosted here.

Hosting binds all interfaces (``0.0.0.0``); people on the LAN need a concrete
address, so :func:`join_endpoints` lists this machine's non-loopback IPv4
addresses (``127.0.0.1`` if there is none), best first: the one the default
route uses, then the others in numeric order. Bound to one address, that one.
On Linux the interface list comes from an ioctl, with no name lookup that
could hang on DNS; elsewhere from the host name and the default route.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import sys

from desktopchat.address import format_address

__all__ = ["is_loopback", "join_addresses", "join_endpoints", "lan_ipv4_addresses", "machine_name"]

log = logging.getLogger(__name__)


def join_addresses(server_address: tuple[str, int]) -> list[str]:
    """Return ``"ip:port"`` strings others can use to join a server bound here.

    Bound to a wildcard address, that is every non-loopback IPv4 address of
    this machine (``127.0.0.1`` if there is none); otherwise the bound address.
    """
    return [format_address(host, port) for host, port in join_endpoints(server_address)]


def join_endpoints(server_address: tuple[str, int]) -> list[tuple[str, int]]:
    """:func:`join_addresses` as ``(host, port)`` pairs, the best first."""
    host, port = server_address[0], int(server_address[1])
    if host not in _WILDCARDS:
        return [(host, port)]
    return [(a, port) for a in lan_ipv4_addresses() or ["127.0.0.1"]]


def lan_ipv4_addresses() -> list[str]:
    """This machine's non-loopback IPv4 addresses: the default route's first, then by number."""
    found = _lan_ipv4()
    preferred = _default_route_address()
    return sorted(found, key=lambda a: (a != preferred, tuple(int(p) for p in a.split("."))))


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def machine_name() -> str:
    """This machine's short name (``pc1`` for ``pc1.example.lan``), as others see it."""
    return socket.gethostname().split(".")[0] or "this computer"


#: Addresses that mean "every interface" when a server binds them.
_WILDCARDS = frozenset({"0.0.0.0", "", "::"})


def _lan_ipv4() -> set[str]:
    found = {a for a in _interface_addresses() if not a.startswith("127.")}
    if found:
        return found  # complete, and no name lookup that could hang on DNS
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
        found.update(str(info[4][0]) for info in infos)
    except OSError:
        pass
    route = _default_route_address()
    if route:
        found.add(route)
    return {a for a in found if not a.startswith("127.") and a != "0.0.0.0"}


def _default_route_address() -> str | None:
    """The address the default route would use; connect() on UDP sends nothing."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere real
            address = str(probe.getsockname()[0])
    except OSError:
        return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def _interface_addresses() -> list[str]:
    """Every IPv4 address of every interface, second addresses too (Linux; elsewhere none).

    SIOCGIFCONF lists each address (SIOCGIFADDR per interface would give
    only the first of an interface with several).
    """
    if not sys.platform.startswith("linux"):
        return []
    try:
        import array
        import fcntl
        import struct
    except ImportError:
        return []
    siocgifconf = 0x8912
    ifreq_size = 40 if struct.calcsize("P") == 8 else 32  # struct ifreq
    buffer = array.array("B", bytes(ifreq_size * _MAX_INTERFACE_ADDRESSES))
    pointer, size = buffer.buffer_info()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            reply = fcntl.ioctl(probe.fileno(), siocgifconf, struct.pack("iP", size, pointer))
    except OSError as exc:
        log.debug("cannot list the interface addresses: %s", exc)
        return []
    used = struct.unpack("iP", reply)[0]
    data = buffer.tobytes()[:used]
    # Each ifreq: the interface name (16 bytes), then a sockaddr_in (family,
    # port, then the address at bytes 4-8).
    return [
        socket.inet_ntoa(data[offset + 20 : offset + 24])
        for offset in range(0, used - ifreq_size + 1, ifreq_size)
    ]


#: Most interface addresses read (a machine has a handful; containers a few hundred).
_MAX_INTERFACE_ADDRESSES = 1024
