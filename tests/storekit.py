"""Helpers of test_store*.py: a protocol-2 client on a real socket, and rooms with saved history.

:class:`V2` drives the real sans-IO :class:`~desktopchat.protocol.client.ClientConnection`
over a blocking socket, so a test chooses the token and the resume point
itself, cuts the connection whenever it likes, and reads the events exactly
as our client would get them. :func:`saved_room` opens a store in a folder
and serves a :class:`RoomServer` on it (stopped, and the store closed, at the end).
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TypeVar

from waiting import TIMEOUT

from desktopchat.protocol import events as ev
from desktopchat.protocol.client import ClientConnection
from desktopchat.protocol.commands import Command
from desktopchat.server import RoomServer
from desktopchat.server.sqlitestore import open_store

E = TypeVar("E", bound=ev.Event)


class V2:
    """A protocol-2 client: ``token`` names it across connections, ``resume`` asks to resume."""

    def __init__(
        self,
        address: tuple[str, int],
        name: str,
        token: str,
        resume: tuple[str, int] | None = None,
    ) -> None:
        self.sock = socket.create_connection(address, timeout=TIMEOUT)
        self.conn = ClientConnection(name, token=token, resume=resume)
        self.cid = 0
        self.sock.sendall(self.conn.data_to_send())

    def next(self) -> ev.Event:
        """The next event (answers to the room's offers go out by themselves)."""
        while (event := self.conn.next_event()) is None:
            if out := self.conn.data_to_send():  # the upgrade, made while reading the offer
                self.sock.sendall(out)
            data = self.sock.recv(65536)
            assert data, "the room closed the connection"
            self.conn.receive_data(data)
        return event

    def until(self, kind: type[E]) -> E:
        """Skip events until one of ``kind``."""
        while not isinstance(event := self.next(), kind):
            pass
        return event

    def joined(self) -> tuple[ev.Welcome, ev.Replay]:
        """Read the join: the welcome and the replay."""
        welcome = self.until(ev.Welcome)
        return welcome, self.until(ev.Replay)

    def send(self, request: Command, cid: int | None = None) -> int:
        """Send ``request`` with the next cid (or ``cid``); return the cid."""
        if cid is None:
            self.cid += 1
            cid = self.cid
        self.sock.sendall(self.conn.send(dataclasses.replace(request, cid=cid)))
        return cid

    def say(self, text: str) -> ev.Accepted:
        """Say ``text`` and wait for its ``ok``."""
        cid = self.send(ev.Message(text))
        accepted = self.until(ev.Accepted)
        assert accepted.cid == cid
        return accepted

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


@contextlib.contextmanager
def saved_room(
    folder: Path, port: int = 0, history: int = 100, **kw: object
) -> Iterator[RoomServer]:
    """A RoomServer on 127.0.0.1 whose history is saved in ``folder``."""
    store = open_store(folder, history=history, days=kw.pop("days", None))  # type: ignore[arg-type]
    server = RoomServer("127.0.0.1", port, history=history, store=store, **kw)  # type: ignore[arg-type]
    with server:
        yield server


def texts(events: Iterable[object]) -> list[str]:
    """The texts of the chat events among ``events``."""
    return [e.text for e in events if isinstance(e, ev.Message | ev.Action | ev.Private)]


def ids(events: Iterable[ev.RoomEvent | ev.Accepted]) -> list[int]:
    """The ids of ``events`` (each must have one)."""
    found = [e.id for e in events]
    assert None not in found, found
    return [i for i in found if i is not None]


def epoch_of(room: RoomServer) -> str:
    """The epoch of a running room."""
    return room._room.epoch
