"""Many clients at once: the tutorial's select() server dies past ~1,020 sockets; ours must not."""

from __future__ import annotations

import resource
import selectors
import socket
import subprocess
import sys
import time

import pytest
from peer import Peer

from desktopchat import protocol
from desktopchat.protocol import events
from desktopchat.server import RoomServer

CLIENTS = 2_000


def read_until(socks: list[socket.socket], marker: bytes, timeout: float = 60.0) -> None:
    """Read every socket (raw, discarding) until each has received ``marker``."""
    sel = selectors.DefaultSelector()
    tails: dict[socket.socket, bytes] = {}
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        tails[s] = b""
    try:
        while tails:
            ready = sel.select(timeout)
            assert ready, f"{len(tails)} clients never got {marker!r}"
            for key, _ in ready:
                ready_sock = key.fileobj
                assert isinstance(ready_sock, socket.socket)
                data = ready_sock.recv(1 << 20)
                assert data, "server closed a client"
                seen = tails[ready_sock] + data
                if marker in seen:
                    del tails[ready_sock]
                    sel.unregister(ready_sock)
                else:
                    tails[ready_sock] = seen[-len(marker) :]
    finally:
        sel.close()


@pytest.mark.slow
def test_two_thousand_clients_join_at_once() -> None:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert soft >= 2 * CLIENTS + 50, "needs an open-files limit above 4,050"
    with RoomServer("127.0.0.1", 0, history=0, max_per_address=None) as server:
        socks = [socket.create_connection(server.address) for _ in range(CLIENTS)]
        try:
            for i, s in enumerate(socks):
                s.sendall(protocol.encode_frame(f"user{i}"))
            read_until(socks, protocol.encode_frame(events.WELCOME))
            with Peer(server.address) as last:
                names = last.enter("last")
                assert len(names) == CLIENTS + 1
                assert set(names) == {f"user{i}" for i in range(CLIENTS)} | {"last"}
                last.send("hello, all 2000 of you")
                read_until(socks, protocol.encode_pair("last", "hello, all 2000 of you"))
        finally:
            for s in socks:
                s.close()


# A server whose process may hold only 40 descriptors. Each line written to its
# stdin is answered with the number of select() calls its loop has made so far
# that returned something to do (not counting timeouts: a deadline may wake it).
FD_LIMITED_SERVER = """
import logging, resource, selectors, signal, sys, threading

class CountingSelector(selectors.DefaultSelector):
    busy = 0

    def select(self, timeout=None):
        ready = super().select(timeout)
        if ready:
            CountingSelector.busy += 1
        return ready

selectors.DefaultSelector = CountingSelector
from desktopchat.server import RoomServer
logging.basicConfig(level=logging.WARNING)
srv = RoomServer("127.0.0.1", 0, history=0)
resource.setrlimit(resource.RLIMIT_NOFILE, (40, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
print(srv.address[1], flush=True)

def report():
    for _ in sys.stdin:
        print(CountingSelector.busy, flush=True)

threading.Thread(target=report, daemon=True).start()
signal.signal(signal.SIGTERM, lambda *a: srv.stop())
srv.serve_forever()
"""


def _busy_selects(proc: subprocess.Popen[str]) -> int:
    """How many select() calls of the FD_LIMITED_SERVER's loop found something to do."""
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("\n")
    proc.stdin.flush()
    return int(proc.stdout.readline())


def test_out_of_descriptors_turns_newcomers_away_without_spinning() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", FD_LIMITED_SERVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        address = ("127.0.0.1", int(proc.stdout.readline()))
        admitted: list[Peer] = []
        refused = 0
        for i in range(60):
            peer = Peer(address)
            peer.send(f"p{i}")
            sender, text = peer.answer()
            if sender == events.WELCOME:
                admitted.append(peer)
            else:
                assert (sender, text) == (
                    events.ERROR,
                    "The room is full: the server cannot take more connections.",
                )
                assert peer.until_closed() == []
                peer.close()
                refused += 1
        assert 10 < len(admitted) < 40 and refused > 20
        # Not spinning on the listener: nobody is connecting now, so select()
        # must stop reporting it ready. A spinning loop would find "work" thousands
        # of times in this half second; an idle one finds none (a slow machine
        # can only lower the count, never raise it).
        before = _busy_selects(proc)
        time.sleep(0.5)
        assert _busy_selects(proc) - before <= 1
        # Freed descriptors are usable again.
        for peer in admitted[:5]:
            peer.close()
        with Peer(address) as late:
            assert "late" in late.enter("late")
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
