"""Big rooms in the window: coalesced joins and leaves, the member list in pages.

A room above its threshold (docs/PROTOCOL.md, "Big rooms") sends our session
``Joins`` (how many, the room's total, the first of the names), ``Leaves``
(every name) and the member list as pages (``UserList`` with a ``total``).
:class:`BigRoom` turns them into one transcript line per event ("12 joined:
ann, bob, … and 7 more", the same words a protocol-1 member reads) and into
the user list's calls: the list holds the names it was given and the room's
count, and asks for the next page when the user scrolls to its end
(:meth:`BigRoom.more`). Names it holds stay true: a leave removes every name
it lists, a rename moves the name. No Tk here.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from typing import TYPE_CHECKING, Protocol

from desktopchat.protocol import events as ev
from desktopchat.protocol.crowd import summary

if TYPE_CHECKING:
    from desktopchat.gui.presenter import Presenter

__all__ = ["BigRoom", "CrowdView"]


class CrowdView(Protocol):
    """What :class:`BigRoom` asks of the window's user list."""

    def users_page(
        self, names: Sequence[str], start: int, total: int, own: str | None, unencrypted: Set[str]
    ) -> None: ...
    def users_came(self, names: Sequence[str], total: int) -> None: ...
    def users_went(self, names: Sequence[str], total: int) -> None: ...


class BigRoom:
    """The presenter's part for big rooms (Tk thread)."""

    def __init__(self, presenter: Presenter) -> None:
        self._presenter = presenter
        #: The page start last asked for (None: no page on its way).
        self.asked: int | None = None

    def handle(self, event: ev.Event) -> bool:
        """Apply ``event`` if it is a big room's; True if it was."""
        p = self._presenter
        view: CrowdView = p.view  # type: ignore[assignment]
        match event:
            case ev.Joins(count=count, total=total, names=names):
                when = event.time if event.time is not None else p._clock()
                if count > 1 or names != (p.own_name,):  # not our own join alone
                    p._event(summary("joined", count, names), when)
                view.users_came(names, total)
                for name in names:
                    self._follow(ev.Joined(name), when)
            case ev.Leaves(names=names, total=total):
                when = event.time if event.time is not None else p._clock()
                p._event(summary("left", len(names), names), when)
                view.users_went(names, total)
                for name in names:
                    self._follow(ev.Left(name), when)
            case ev.UserList(names=names, unencrypted=plain, total=total, start=start) if (
                total is not None
            ):
                self.asked = None
                view.users_page(names, start, total, p.own_name, plain)
                if start == 0:  # the host's count starts again from the first page
                    p.roster.handle(ev.UserList(names))
                else:
                    for name in names:
                        p.roster.handle(ev.Joined(name))
            case ev.Connected():
                self.asked = None  # a page asked for on the last connection is not coming
                return False
            case _:
                return False
        return True

    def _follow(self, event: ev.Joined | ev.Left, when: float) -> None:
        """Private tabs and the host's count follow each name."""
        self._presenter.conversations.room_event(event, when)
        self._presenter.roster.handle(event)

    def more(self, start: int) -> None:
        """The user list wants the names from position ``start`` (once at a time)."""
        client = self._presenter.client
        if client is None or self.asked is not None:
            return
        self.asked = start
        client.send(ev.Who(start=start))
