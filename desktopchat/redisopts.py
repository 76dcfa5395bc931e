"""The Redis options of ``--serve``: ``--redis URL`` and ``--room NAME``.

:func:`add_options` puts them in the parser's server group; :func:`open_shared`
connects to the room in Redis (None without ``--redis``) or raises
:class:`ValueError` with the one line to print (the ``redis`` package is an
optional extra: ``pip install 'desktopchat[redis]'``); :func:`server_class`
is the server to make; :func:`invitation` adds the room's other servers to
the printed invitation, :func:`peers` to the room's DNS-SD announcement
(with the room's id, so browsers list its servers as one room). The server
modules and ``redis`` are imported inside the functions: without ``--redis``
nothing of them is loaded.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from desktopchat.net.invite import Invitation

__all__ = ["add_options", "invitation", "open_shared", "peers", "server_class"]

#: A room's name in Redis: part of its keys, so plain and short.
_ROOM = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def parse_room(value: str) -> str:
    """argparse type for ``--room``: 1 to 64 letters, digits, ``_``, ``.``, ``-``."""
    if not _ROOM.fullmatch(value):
        raise argparse.ArgumentTypeError(
            f"expected 1 to 64 letters, digits, '_', '.' or '-', got {value!r}"
        )
    return value


def add_options(group: argparse._ArgumentGroup) -> None:
    """Add ``--redis URL`` and ``--room NAME`` to ``group``."""
    group.add_argument(
        "--redis",
        metavar="URL",
        help="serve one room with other servers through Redis (redis://HOST:PORT/DB); "
        "needs pip install 'desktopchat[redis]'",
    )
    group.add_argument(
        "--room",
        type=parse_room,
        metavar="NAME",
        help="with --redis: the shared room's name in Redis (default: desktopchat)",
    )


def open_shared(args: argparse.Namespace) -> tuple[Any, Any] | None:
    """The Redis link and room state ``--redis`` asks for (None without it).

    ValueError: one line for the user (no redis package, Redis unreachable,
    options that do not go together).
    """
    if args.redis is None:
        if args.room is not None:
            raise ValueError("--room is for a room shared through Redis: give --redis URL too")
        return None
    if args.data is not None:
        raise ValueError("--data and --redis: a Redis room keeps its history in Redis")
    if not args.redis.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"--redis expects redis://HOST:PORT/DB, got {args.redis!r}")
    from desktopchat.server.redislink import open_link

    return open_link(args.redis, args.room or "desktopchat")


def server_class(shared: tuple[Any, Any] | None) -> tuple[type[Any], dict[str, Any]]:
    """The server to make and its extra arguments (a SharedRoomServer with ``shared``)."""
    from desktopchat.server import RoomServer

    if shared is None:
        return RoomServer, {}
    from desktopchat.server.sharedserver import SharedRoomServer

    link, state = shared
    return SharedRoomServer, {"link": link, "state": state}


def invitation(server: Any, invite: Invitation) -> Invitation:
    """``invite`` listing every server of the room registered in Redis (ours first).

    Our addresses are registered too (the next server to start lists them).
    """
    link = getattr(server, "link", None)
    if link is None:
        return invite
    from desktopchat.address import format_address

    ours = invite.addresses
    link.addresses = ",".join(format_address(h, p) for h, p in ours)
    try:
        others = [address for server in _others(link, ours) for address in server]
    except Exception:  # Redis went away just now: our own addresses still do
        others = []
    return dataclasses.replace(invite, addresses=[*ours, *others])


def peers(server: Any) -> Callable[[], tuple[str, list[tuple[str, int]]]] | None:
    """For the announcement (``Publicity(peers=)``): the room's id and the other
    servers' addresses, read from Redis at each call (None: not a Redis room).

    The id is the same on every server of the room however it reaches Redis
    (a hash of the room's key prefix and epoch); a new epoch (Redis lost the
    room) is a new id. The addresses come one per server first, then each
    server's second, and so on: the announcement keeps the first ten, so each
    of ten other servers is in it (browsers merge servers that list each other).
    Blocks on Redis: call it off the server's loop.
    """
    link = getattr(server, "link", None)
    if link is None:
        return None
    from desktopchat.net.roomrecord import room_id

    def read() -> tuple[str, list[tuple[str, int]]]:
        from desktopchat.address import parse_address

        ours = []
        for text in link.addresses.split(","):
            try:
                ours.append(parse_address(text))
            except ValueError:
                continue
        servers = _others(link, ours)
        depth = max((len(server) for server in servers), default=0)
        interleaved = [s[i] for i in range(depth) for s in servers if i < len(s)]
        return room_id(link.prefix + link.epoch), interleaved

    return read


#: Bound-to-everything addresses: never an address to join.
_UNSPECIFIED = frozenset({"0.0.0.0", "::", ""})


def _others(link: Any, ours: Sequence[tuple[str, int]]) -> list[list[tuple[str, int]]]:
    """Each other server registered for the room: its addresses (blocks on Redis)."""
    from desktopchat.address import parse_address

    seen = set(ours)
    others: list[list[tuple[str, int]]] = []
    for sid, addresses in sorted(link.servers().items()):
        if sid == link.sid:
            continue
        found = []
        for text in addresses.split(","):
            try:
                address = parse_address(text)
            except ValueError:
                continue
            # A server registers its bound address (0.0.0.0:PORT) until its
            # invitation's addresses replace it: "any address" is no place to join.
            if address not in seen and address[0] not in _UNSPECIFIED:
                seen.add(address)
                found.append(address)
        if found:
            others.append(found)
    return others
