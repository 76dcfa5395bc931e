"""The server's named limits: every buffer, batch and timer, with why that size.

docs/PROTOCOL.md section 5 lists the ones a client can run into.
"""

from __future__ import annotations

__all__ = [
    "ACCEPT_BATCH",
    "DEFAULT_MAX_FILE_SIZE",
    "FRAMES_PER_PASS",
    "IDLE_LIMIT",
    "LINGER_TIMEOUT",
    "MAX_FEEDS",
    "MAX_FETCHES",
    "MAX_OFFERS",
    "MAX_PER_ADDRESS",
    "MAX_ROOM_OFFERS",
    "MAX_ROOM_STREAMS",
    "OFFER_GRACE",
    "OUTBUF_LIMIT",
    "OUTPUT_BUDGET",
    "RECV_SIZE",
    "SHUTDOWN_GRACE",
    "STALL_TIMEOUT",
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

#: Out-queue limit (bytes still unsent after a flush, plus 8 per queued
#: reference: ``OutQueue.cost``) before a client counts as too slow and is
#: dropped. 4 MiB holds a newcomer's whole join burst (the 1 MiB history replay
#: cap plus a 64 KiB ``*users`` list) with room for ~20 maximum-size messages
#: on top, so only a client that really stopped reading trips it. The queue
#: holds references to buffers shared with every other member, so this bounds
#: what the client makes the server keep, not what it costs alone. With a larger
#: ``max_message`` the limit grows to the history cap plus 16 maximum-size pairs.
OUTBUF_LIMIT = 4 * 1024 * 1024

#: Unsent output the whole server may hold, each shared buffer counted once
#: (``output.py``). Far above what a room of people ever has waiting (a join
#: storm of 100 newcomers each owed a full 1 MiB history fits), and low enough
#: that the server stays well under 256 MiB whatever its members do: the
#: furthest behind are dropped first. With a larger ``max_message`` it grows to
#: four times the most one request can add (a join's burst or a broadcast).
OUTPUT_BUDGET = 128 * 1024 * 1024

#: Connections one address may hold at once (handshakes, members, closing):
#: an office behind one NAT address fits; one host cannot take every slot.
MAX_PER_ADDRESS = 32

#: Seconds a client may stop in the middle of a frame (part of it arrived,
#: then nothing more) before it is dropped: a 64 KiB frame takes well under a
#: second on any network people chat over, so 30 s is generous, and a client
#: cannot pin a frame's worth of memory for long.
STALL_TIMEOUT = 30.0

#: Seconds a joined member may send nothing while output waits for it and it
#: takes none of it (its program stopped reading; TCP keepalive does not notice
#: since the kernel still answers) before it is dropped. A member that only
#: reads, or has nothing waiting, is never idle: reading for hours is fine.
IDLE_LIMIT = 300.0

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

# --- files (docs/PROTOCOL.md section 14) ------------------------------------------------
# The server never stores file data: it relays chunks within the receiver's
# credit (16 chunks of 60 KiB at most per stream, about 1 MiB), so these
# budgets bound work and bookkeeping, not disk.

#: Largest file a room allows by default (``--max-file-size``; 0 turns files off).
DEFAULT_MAX_FILE_SIZE = 2 * 1024**3

#: Seconds a dropped sender's offers wait for it to come back (they are "away":
#: fetches are refused, running streams aborted) before they are withdrawn.
#: A Wi-Fi blip or a laptop lid is shorter; a person who left is not waited for long.
OFFER_GRACE = 60.0

#: Offers one member (one client token) may have at once: a few folders' worth.
MAX_OFFERS = 20

#: Offers in the whole room at once: bounds what a newcomer's history carries
#: (every live offer it may fetch) to a few hundred KB.
MAX_ROOM_OFFERS = 500

#: Streams one member may feed at once (its files going to others).
MAX_FEEDS = 8

#: Fetches one member may run at once.
MAX_FETCHES = 4

#: Streams in the whole room at once: 32 x 16 chunks of 60 KiB in flight is at
#: most 30 MiB of the server's output budget, well under its 128 MiB.
MAX_ROOM_STREAMS = 32
