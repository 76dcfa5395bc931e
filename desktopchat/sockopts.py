"""Socket options both ends of a desktopchat connection set.

Chat lines are small and latency matters, so Nagle is off (``TCP_NODELAY``).
TCP keepalive is on with short timings: probe after :data:`KEEPALIVE_IDLE`
idle seconds, then every :data:`KEEPALIVE_INTERVAL` s, and give up after
:data:`KEEPALIVE_COUNT` unanswered probes. A peer whose machine vanished (lid
closed, Wi-Fi gone) is then noticed in about a minute instead of hours: the
client reconnects, and the server drops the ghost that would otherwise hold
the member's name against their own reconnect.

Only ``setsockopt`` here; no reads or writes.
"""

from __future__ import annotations

import logging
import socket

__all__ = ["KEEPALIVE_COUNT", "KEEPALIVE_IDLE", "KEEPALIVE_INTERVAL", "tune"]

log = logging.getLogger(__name__)

KEEPALIVE_IDLE = 30
KEEPALIVE_INTERVAL = 10
KEEPALIVE_COUNT = 3


def tune(sock: socket.socket) -> None:
    """Turn Nagle off and keepalive on, with the timings above where the platform has them."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    # macOS calls the idle knob TCP_KEEPALIVE; Windows has none of them (its defaults apply).
    for option, value in (
        ("TCP_KEEPIDLE", KEEPALIVE_IDLE),
        ("TCP_KEEPALIVE", KEEPALIVE_IDLE),
        ("TCP_KEEPINTVL", KEEPALIVE_INTERVAL),
        ("TCP_KEEPCNT", KEEPALIVE_COUNT),
    ):
        number = getattr(socket, option, None)
        if number is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, number, value)
            except OSError:
                log.debug("could not set %s", option, exc_info=True)
