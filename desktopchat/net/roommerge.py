"""One entry per room: the records of a room's several servers made into one.

A room on several servers (``--serve --redis``) is announced by each of its
servers, every record carrying the same ``room`` id (docs/PROTOCOL.md,
"Discovery"). :func:`merge_rooms` turns the records a browser heard into
the rooms to list: records with the same id and the same fingerprint that
vouch for each other (each lists the other's address in its ``alt``) are
one room, whose addresses are the union of theirs (and of their ``alt``
lists), so joining it can move to any of its servers.

mDNS is not authenticated: anyone can announce any id, fingerprint and
``alt``. A record with another fingerprint stays apart (a join is pinned to
one fingerprint); one with the room's fingerprint that the room's servers do
not list stays apart too, so a stranger cannot put an address into a room's
entry (a join would stop at it: the pin fails there). A server that died
without goodbyes drops out of the others' ``alt`` and so out of the room's
entry (and count) even while its own record lingers. Pure: no I/O, no threads.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable

from desktopchat.net.invite import MAX_ALTERNATIVES
from desktopchat.net.roomrecord import FoundRoom

__all__ = ["merge_rooms"]


def merge_rooms(rooms: Iterable[FoundRoom]) -> list[FoundRoom]:
    """The rooms to list, by name: each room's servers merged into one entry.

    A room's servers are the records with its id and fingerprint linked by
    mutual ``alt`` listings (transitively). A merged room is its first
    server's record (LAN addresses before link-local and loopback, then by
    address and port: the same one every time) with

    * ``others``: every other server's addresses and every ``alt`` entry heard,
      at most :data:`~desktopchat.net.invite.MAX_ALTERNATIVES` in all;
    * ``members``: the sum of what the servers said (each counts the members
      connected to it; None if none said);
    * ``password_needed`` / ``encrypted_only`` if any server says so,
      ``version`` the lowest;
    * ``servers``: how many records were merged; ``key``: the room's, not a
      server's, so a list keeps its row as servers come and go (records of
      the id that are not vouched for are listed apart, keyed by address).
    """
    alone: list[FoundRoom] = []
    groups: dict[tuple[str, str], list[FoundRoom]] = {}
    for room in rooms:
        if room.room_id:
            groups.setdefault((room.room_id, room.fingerprint), []).append(room)
        else:
            alone.append(room)
    merged = alone
    for group in groups.values():
        main, *apart = _servers(group)
        merged.append(_merge(main, ""))
        merged.extend(_merge(servers, f" {servers[0].host}:{servers[0].port}") for servers in apart)
    return sorted(merged, key=lambda r: (r.name.casefold(), r.host, r.port))


def _servers(group: list[FoundRoom]) -> list[list[FoundRoom]]:
    """``group`` split into the sets of records that vouch for each other, the
    biggest first; each set in :func:`_order` (its first server first)."""
    owners: dict[tuple[str, int], list[int]] = {}
    for i, room in enumerate(group):
        for address in room.addresses:
            owners.setdefault((address, room.port), []).append(i)
    # vouches[i]: the records whose address record i lists in its alt.
    vouches = [{j for a in room.others for j in owners.get(a, ())} for room in group]
    parent = list(range(len(group)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, listed in enumerate(vouches):
        for j in listed:
            if i in vouches[j]:
                parent[root(i)] = root(j)
    sets: dict[int, list[FoundRoom]] = {}
    for i, room in enumerate(group):
        sets.setdefault(root(i), []).append(room)
    ordered = [sorted(rooms, key=_order) for rooms in sets.values()]
    return sorted(ordered, key=lambda rooms: (-len(rooms), _order(rooms[0])))


def _order(room: FoundRoom) -> tuple[bool, bool, bool, int, int]:
    address = ipaddress.IPv4Address(room.host)
    return (
        address.is_loopback,
        address.is_link_local,
        not address.is_private,
        int(address),
        room.port,
    )


def _merge(group: list[FoundRoom], apart: str) -> FoundRoom:
    first, *rest = group
    own = [(a, first.port) for a in first.addresses]
    others: list[tuple[str, int]] = []
    heard = [address for room in rest for address in ((a, room.port) for a in room.addresses)]
    for address in [*heard, *(a for room in (first, *rest) for a in room.others)]:
        if address not in own and address not in others:
            others.append(address)
    counts = [room.members for room in group if room.members is not None]
    return dataclasses.replace(
        first,
        others=tuple(others[:MAX_ALTERNATIVES]),
        members=sum(counts) if counts else None,
        password_needed=any(room.password_needed for room in group),
        encrypted_only=any(room.encrypted_only for room in group),
        version=min(room.version for room in group),
        servers=len(group),
        key=f"room {first.room_id} {first.fingerprint}{apart}",
    )
