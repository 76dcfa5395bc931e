"""Which present member a new name clashes with (docs/PROTOCOL.md, "Name rules").

Two checks: the same name in another case (:func:`~desktopchat.protocol.name_key`,
the key of the room's member dict) and a name that looks the same
(:func:`~desktopchat.protocol.name_skeleton`, indexed here).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Generic, Protocol, TypeVar

from desktopchat.protocol import name_key, name_skeleton

__all__ = ["LookAlikes"]


class Named(Protocol):
    """What the index needs of a member: its name and that name's ``name_key``."""

    name: str
    key: str


M = TypeVar("M", bound=Named)

#: Stale entries allowed beyond twice the members before the index is rebuilt.
SLACK = 64


class LookAlikes(Generic[M]):
    """name_skeleton -> the member that holds it, beside the room's name_key dict.

    An entry goes stale when its member leaves or renames; it is checked
    against the member dict on use, and the index is rebuilt from that dict
    once stale entries outnumber the members, so leaving needs no bookkeeping
    and memory stays proportional to the room.
    """

    __slots__ = ("_held",)

    def __init__(self) -> None:
        self._held: dict[str, tuple[M, str]] = {}

    def refusal(
        self, name: str, skeleton: str, members: Mapping[str, M], asker: M | None = None
    ) -> str | None:
        """Why ``name`` (whose skeleton is ``skeleton``) cannot be had, or None.

        ``asker`` is a member renaming: its own current name never stands in its way.
        """
        holder = members.get(name_key(name))
        if holder is not None and holder is not asker:
            return f"Name {name} is already taken in this room: choose another."
        like = self.holder(skeleton, members)
        if like is not None and like is not asker:
            return (
                f"Name {name} looks the same as {like.name}, who is already in the room: "
                "choose another."
            )
        return None

    def holder(self, skeleton: str, members: Mapping[str, M]) -> M | None:
        """The present member whose name has this skeleton, if any."""
        found = self._held.get(skeleton)
        if found is None:
            return None
        member, name = found
        if member.name == name and members.get(member.key) is member:
            return member
        del self._held[skeleton]
        return None

    def hold(self, member: M, skeleton: str, members: Mapping[str, M]) -> None:
        """Note that ``member`` (in ``members`` now) holds its name's ``skeleton``."""
        if len(self._held) >= 2 * len(members) + SLACK:
            self._held = {name_skeleton(m.name): (m, m.name) for m in members.values()}
        self._held[skeleton] = (member, member.name)
