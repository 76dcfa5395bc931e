"""Many clients at once: the tutorial's select() server dies past ~1,020 sockets; ours must not."""

from __future__ import annotations

import os
import resource
import selectors
import socket
import subprocess
import sys
import time

import pytest
from serverkit import Peer

from desktopchat import events, protocol
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
                s = key.fileobj
                assert isinstance(s, socket.socket)
                data = s.recv(1 << 20)
                assert data, "server closed a client"
                seen = tails[s] + data
                if marker in seen:
                    del tails[s]
                    sel.unregister(s)
                else:
                    tails[s] = seen[-len(marker) :]
    finally:
        sel.close()


@pytest.mark.slow
def test_two_thousand_clients_join_at_once() -> None:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert soft >= 2 * CLIENTS + 50, "needs an open-files limit above 4,050"
    with RoomServer("127.0.0.1", 0, history=0) as server:
        socks = [socket.create_connection(server.address) for _ in range(CLIENTS)]
        try:
            for i, s in enumerate(socks):
                s.sendall(protocol.encode_frame(f"user{i}"))
            read_until(socks, protocol.encode_frame(events.WELCOME))
            with Peer(server.address) as last:
                names = last.join("last")
                assert len(names) == CLIENTS + 1
                assert set(names) == {f"user{i}" for i in range(CLIENTS)} | {"last"}
                last.send("hello, all 2000 of you")
                read_until(socks, protocol.encode_pair("last", "hello, all 2000 of you"))
        finally:
            for s in socks:
                s.close()


FD_LIMITED_SERVER = """
import logging, resource, signal, sys
from desktopchat.server import RoomServer
logging.basicConfig(level=logging.WARNING)
srv = RoomServer("127.0.0.1", 0, history=0)
resource.setrlimit(resource.RLIMIT_NOFILE, (40, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
print(srv.address[1], flush=True)
signal.signal(signal.SIGTERM, lambda *a: srv.stop())
srv.serve_forever()
"""


def test_out_of_descriptors_turns_newcomers_away_without_spinning() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", FD_LIMITED_SERVER], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        address = ("127.0.0.1", int(proc.stdout.readline()))
        admitted: list[Peer] = []
        refused = 0
        for i in range(60):
            peer = Peer(address)
            peer.send(f"p{i}")
            sender, text = peer.pair()
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
        cpu = _cpu_seconds(proc.pid)
        time.sleep(0.5)
        assert _cpu_seconds(proc.pid) - cpu < 0.2  # not spinning on the listener
        # Freed descriptors are usable again.
        for peer in admitted[:5]:
            peer.close()
        with Peer(address) as late:
            assert "late" in late.join("late")
    finally:
        proc.terminate()
        proc.wait(10)


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
