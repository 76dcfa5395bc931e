"""Many clients at once: the tutorial's select() server dies past ~1,020 sockets; ours must not."""

from __future__ import annotations

import resource
import selectors
import socket

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
