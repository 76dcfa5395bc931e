"""The server's named limits: every buffer, batch and timer, with why that size.

docs/PROTOCOL.md section 5 lists the ones a client can run into.
"""

from __future__ import annotations

__all__ = [
    "ACCEPT_BATCH",
    "FRAMES_PER_PASS",
    "LINGER_TIMEOUT",
    "OUTBUF_LIMIT",
    "RECV_SIZE",
    "SHUTDOWN_GRACE",
    "TRIM_AFTER_BYTES",
    "UPGRADE_WAIT",
]

#: Most bytes read from one client per loop pass: big enough for a whole
#: maximum-size message in one call, small enough that one flooding client
#: cannot hog a pass.
RECV_SIZE = 64 * 1024

#: Most frames handled for one client per loop pass; the rest wait in its
#: decoder (and we stop reading from it) until the next pass: fairness.
FRAMES_PER_PASS = 64

#: Out-buffer limit (bytes still unsent after a flush) before a client counts
#: as too slow and is dropped. 4 MiB holds a newcomer's whole join burst (the
#: 1 MiB history replay cap plus a 64 KiB ``*users`` list) with room for ~20
#: maximum-size messages on top, so only a client that really stopped reading
#: trips it, and it bounds what one such client can cost. With a larger
#: ``max_message`` the limit grows to the history cap plus 16 maximum-size pairs.
OUTBUF_LIMIT = 4 * 1024 * 1024

#: Seconds a client that said nothing after its name is given to take up the
#: protocol-2 offer before it joins as protocol 1. Our client answers within a
#: round trip; the tutorial's console client reads nothing until its user
#: presses Enter, so it never notices the wait.
UPGRADE_WAIT = 0.3

#: Seconds a connection that got a fatal ``*error`` may take to close its end
#: while we discard its input (so our error pair is not destroyed by a reset).
LINGER_TIMEOUT = 2.0

#: Seconds :meth:`RoomServer.stop` lets clients take the "room closed" pair.
SHUTDOWN_GRACE = 0.5

#: Bytes sent after which the loop, when it next goes idle, hands the C heap's
#: free memory back to the OS. A join storm (every join goes to every member)
#: churns through hundreds of MB of short-lived buffers; glibc would otherwise
#: keep that peak as RSS (about 13 KB per idle client at 10,000 clients
#: instead of 1.4 KB).
TRIM_AFTER_BYTES = 64 * 1024 * 1024

#: Connections accepted per readiness event before serving others again.
ACCEPT_BATCH = 1024
