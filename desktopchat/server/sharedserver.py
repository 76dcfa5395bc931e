"""A room server whose room spans several servers through Redis (``--serve --redis``).

:class:`SharedRoomServer` is the :class:`~desktopchat.server.loop.RoomServer`
with a :class:`~desktopchat.server.sharedroom.SharedRoom`: the link's threads
wake the loop with the server's own wakeup byte, and the loop, on that wakeup,
lets the room carry out what the link brought (``SharedRoom.pump``) and goes
on with the joins Redis decided, as it does for the password gate's. The loop
never calls Redis. No files in a Redis room: the server offers none.
"""

from __future__ import annotations

import contextlib
from typing import Any

from desktopchat.protocol.server import ServerState
from desktopchat.server.loop import RoomServer
from desktopchat.server.redisentries import RedisStore
from desktopchat.server.redislink import RedisLink, RoomState
from desktopchat.server.sharedroom import SharedRoom
from desktopchat.server.sockets import OPEN, Connection

__all__ = ["SharedRoomServer"]


class SharedRoomServer(RoomServer):
    """A RoomServer serving one room shared through Redis; see the module docstring."""

    _room_class = SharedRoom

    def __init__(
        self, host: str, port: int, *, link: RedisLink, state: RoomState, **kwargs: Any
    ) -> None:
        store = RedisStore(link, state, marks=kwargs.get("identity") is not None)
        kwargs.update(store=store, max_file_size=0)
        super().__init__(host, port, **kwargs)
        room = self._room
        assert isinstance(room, SharedRoom)
        self._shared = room
        room.attach(link, state.names)
        room.drop_all = self._drop_all
        room.drop = self._fail  # type: ignore[assignment]
        self.link = link
        link.start(self._wake_loop, "{}:{}".format(*self.address))

    def _wake_loop(self) -> None:
        # Any thread. OSError: closed, or full (a wakeup is pending anyway).
        with contextlib.suppress(OSError):
            self._wake_w.send(b"r")

    def _drain_wakeup(self) -> None:
        super()._drain_wakeup()
        for member in self._shared.pump():
            conn: Connection = member  # type: ignore[assignment]
            if conn.state != OPEN:
                continue
            if conn.session.state is ServerState.CLOSED:  # refused
                self._linger(conn)
            else:
                self._process(conn)

    def _drop_all(self, reason: str) -> None:
        for conn in list(self._conns):
            if conn.state == OPEN:
                self._fail(conn, reason)

    def _close_resources(self) -> None:
        try:
            super()._close_resources()
        finally:
            self.link.close()
