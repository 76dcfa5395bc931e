"""Which addresses others on the network can use to reach a room hosted here.

Hosting binds all interfaces (``0.0.0.0``); people on the LAN need a concrete
address, so :func:`join_addresses` lists this machine's non-loopback IPv4
addresses (``127.0.0.1`` if there is none). On Linux the interface list comes
from an ioctl, with no name lookup that could hang on DNS; elsewhere from the
host name and the address the default route would use.
"""

from __future__ import annotations

import errno
import logging
import socket
import sys

__all__ = ["join_addresses"]

log = logging.getLogger(__name__)


def join_addresses(server_address: tuple[str, int]) -> list[str]:
    """Return ``"ip:port"`` strings others can use to join a server bound here.

    Bound to a wildcard address, that is every non-loopback IPv4 address of
    this machine (``127.0.0.1`` if there is none); otherwise the bound address.
    """
    host, port = server_address
    if host not in ("0.0.0.0", ""):
        return [f"{host}:{port}"]
    addresses = sorted(_lan_ipv4(), key=lambda a: tuple(int(p) for p in a.split(".")))
    return [f"{a}:{port}" for a in addresses or ["127.0.0.1"]]


def _lan_ipv4() -> set[str]:
    found = {a for a in _interface_addresses() if not a.startswith("127.")}
    if found:
        return found  # complete, and no name lookup that could hang on DNS
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
        found.update(str(info[4][0]) for info in infos)
    except OSError:
        pass
    # The address the default route would use; connect() on UDP sends nothing.
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere real
            found.add(str(probe.getsockname()[0]))
    except OSError:
        pass
    return {a for a in found if not a.startswith("127.") and a != "0.0.0.0"}


def _interface_addresses() -> list[str]:
    """Every interface's IPv4 address (Linux ioctl; elsewhere nothing)."""
    if not sys.platform.startswith("linux"):
        return []
    try:
        import fcntl
        import struct
    except ImportError:
        return []
    siocgifaddr = 0x8915
    result: list[str] = []
    try:
        names = [name for _, name in socket.if_nameindex()]
    except OSError:
        return []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for name in names:
            try:
                request = struct.pack("256s", name.encode()[:15])
                reply = fcntl.ioctl(probe.fileno(), siocgifaddr, request)
            except OSError as exc:
                if exc.errno not in (errno.EADDRNOTAVAIL, errno.ENODEV, errno.EINVAL):
                    log.debug("no address for interface %s: %s", name, exc)
                continue
            result.append(socket.inet_ntoa(reply[20:24]))
    return result
