"""Private conversations in tabs, as a model without Tk.

One :class:`Conversation` per person we exchanged private messages with (or
opened by double-clicking a name), shown as a tab beside the room's tab
(:data:`ROOM`). The presenter drives :class:`Conversations` with room facts;
the window draws what it is told through :class:`TabsView` (``gui/tabs.py``).

Decisions:

* People are told apart by ``protocol.name_key`` (as the room does); a tab is
  known by a number that survives renames, its label is the current name.
* A private line -- theirs or ours, typed in the tab or as ``/msg NAME text``
  anywhere -- goes to that person's tab, which opens if needed. An incoming
  line opens it in the background (typing elsewhere is not interrupted) and
  counts on its badge ("ann (2)") until the tab is shown.
* Closing a tab hides it; its lines stay (bounded by the transcript cap) and
  come back when it is opened again. At most :data:`MAX_CONVERSATIONS` are
  remembered: a new one then forgets the longest-closed one.
* In a private tab, plain text is a private message to that person; commands
  work as in the room, except ``/me`` (the protocol has no private action: it
  would go to the whole room). While the person is not in the room sending is
  refused with the reason, the text stays in the input box.
* A rename renames the tab and says so in it; a leave or a return is a line
  in the tab. Leaving our room (or joining another) marks everyone absent until
  the new room's user list says who is there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from desktopchat.escapes import escape_all
from desktopchat.gui.lines import Kind, Line
from desktopchat.protocol import events as ev
from desktopchat.protocol import name_key
from desktopchat.protocol.commands import BadCommand, Command, parse_command

__all__ = ["MAX_CONVERSATIONS", "ROOM", "Conversation", "Conversations", "TabsView"]

#: The room's tab (never closed).
ROOM = 0
#: Conversations remembered at once (each holds a bounded transcript).
MAX_CONVERSATIONS = 50
#: Longest name shown on a tab (the header inside the tab shows it whole).
LABEL_CHARS = 24
#: Own lines whose tab we remember until the room settles them.
MAX_CIDS = 10_000


class TabsView(Protocol):
    """What the conversations ask of the window (Tk thread)."""

    def show(self, line: Line) -> None: ...
    def tab_open(self, tid: int, name: str, *, select: bool) -> None: ...
    def tab_close(self, tid: int) -> None: ...
    def tab_forget(self, tid: int) -> None: ...
    def tab_label(self, tid: int, label: str, header: str) -> None: ...
    def tab_line(self, tid: int, line: Line) -> None: ...


@dataclass(slots=True)
class Conversation:
    """One person's tab."""

    tid: int
    name: str
    unread: int = 0
    open: bool = True
    present: bool = True
    closed_at: float = 0.0

    @property
    def label(self) -> str:
        """The tab's label: the name (shortened) and the unread badge."""
        name = escape_all(self.name)
        if len(name) > LABEL_CHARS:
            name = name[: LABEL_CHARS - 1] + "…"
        return f"{name} ({self.unread})" if self.unread else name

    @property
    def header(self) -> str:
        """The line above the tab's transcript: who, and whether they can be written to."""
        who = f"Private conversation with {escape_all(self.name)}"
        return who if self.present else f"{who} (not in the room)"


class Conversations:
    """The private tabs and which tab is shown. See the module docstring."""

    def __init__(self, view: TabsView, clock: Callable[[], float] = time.time) -> None:
        self.view = view
        self._clock = clock
        self._by_key: dict[str, Conversation] = {}
        self._by_tid: dict[int, Conversation] = {}
        self._next_tid = ROOM + 1
        self._cids: dict[int, int] = {}  # own line's cid -> its tab, until settled
        #: The tab shown now (the window reports changes with :meth:`selected`).
        self.active = ROOM

    # --- finding ------------------------------------------------------------------

    def find(self, name: str) -> Conversation | None:
        """The conversation with ``name`` (any case), if remembered."""
        return self._by_key.get(name_key(name))

    def get(self, tid: int) -> Conversation | None:
        """The conversation shown in tab ``tid`` (None for the room)."""
        return self._by_tid.get(tid)

    def all(self) -> list[Conversation]:
        """Every remembered conversation, open or closed, oldest first."""
        return list(self._by_tid.values())

    def tab_of(self, cid: int) -> int:
        """The tab that shows own line ``cid`` (the room's when not a private line)."""
        return self._cids.get(cid, ROOM)

    # --- opening, closing, showing --------------------------------------------------

    def open(self, name: str, *, select: bool) -> Conversation:
        """Open (or show again) the tab for ``name``; select it if asked."""
        conv = self.find(name)
        if conv is None:
            self._make_room()
            conv = Conversation(self._next_tid, name)
            self._next_tid += 1
            self._by_key[name_key(name)] = conv
            self._by_tid[conv.tid] = conv
            self.view.tab_open(conv.tid, name, select=select)
        elif not conv.open or select:
            conv.open = True
            self.view.tab_open(conv.tid, conv.name, select=select)
        if select:
            self.selected(conv.tid)
        self._relabel(conv)
        return conv

    def _make_room(self) -> None:
        if len(self._by_tid) < MAX_CONVERSATIONS:
            return
        closed = [c for c in self._by_tid.values() if not c.open]
        candidates = closed or [c for c in self._by_tid.values() if c.tid != self.active]
        oldest = min(candidates, key=lambda c: (c.closed_at, c.tid))
        del self._by_tid[oldest.tid]
        del self._by_key[name_key(oldest.name)]
        self._cids = {cid: tid for cid, tid in self._cids.items() if tid != oldest.tid}
        self.view.tab_forget(oldest.tid)

    def close(self, tid: int) -> None:
        """Close a private tab (its lines are kept); the room's tab stays."""
        conv = self._by_tid.get(tid)
        if conv is None or not conv.open:
            return
        conv.open, conv.unread, conv.closed_at = False, 0, self._clock()
        if self.active == tid:
            self.active = ROOM
        self.view.tab_close(tid)

    def selected(self, tid: int) -> None:
        """The window shows tab ``tid`` now: its badge is read."""
        self.active = tid
        conv = self._by_tid.get(tid)
        if conv is not None and conv.unread:
            conv.unread = 0
            self._relabel(conv)

    def _relabel(self, conv: Conversation) -> None:
        self.view.tab_label(conv.tid, conv.label, conv.header)

    def show(self, line: Line, own_name: str | None = None) -> None:
        """Show a line: a private one in its person's tab, any other in the room's."""
        if line.kind is not Kind.PRIVATE:
            self.view.show(line)
            return
        self.view.tab_line(self.route(line), line)

    def route(self, line: Line) -> int:
        """The tab of private ``line`` (opened if needed, its badge counted); no drawing."""
        peer = line.peer if line.own else line.sender
        conv = self.open(peer, select=False)
        if line.own and line.cid is not None:
            if len(self._cids) >= MAX_CIDS:
                del self._cids[next(iter(self._cids))]
            self._cids[line.cid] = conv.tid
        elif not line.own:
            conv.present = True  # they just spoke
            if self.active != conv.tid:
                conv.unread += 1
            self._relabel(conv)
        return conv.tid

    def error(self, line: Line) -> None:
        """An error line goes where the user is looking."""
        if self.active in self._by_tid:
            self.view.tab_line(self.active, line)
        else:
            self.view.show(line)

    # --- own lines ----------------------------------------------------------------------

    def parse(self, text: str) -> Command:
        """What ``text`` typed in the shown tab asks for; BadCommand says why not."""
        conv = self._by_tid.get(self.active)
        request = parse_command(text)
        if conv is None:
            if isinstance(request, ev.Private):
                self._check_present(request.to)
            return request
        match request:
            case ev.Message(text=body):
                request = ev.Private(body, to=conv.name)
            case ev.Action():
                raise BadCommand("/me goes to the whole room: use it in the room's tab")
        if isinstance(request, ev.Private):
            self._check_present(request.to)
        return request

    def _check_present(self, name: str) -> None:
        conv = self.find(name)
        if conv is not None and not conv.present:
            raise BadCommand(f"{conv.name} is not in the room, so the message was not sent")

    def settled(self, cid: int) -> None:
        """The room answered own line ``cid`` for good: forget its tab."""
        self._cids.pop(cid, None)

    def forget_cids(self) -> None:
        """A new connection numbers its lines from 1 again."""
        self._cids.clear()

    # --- room facts -------------------------------------------------------------------

    def room_event(self, event: ev.RoomEvent, when: float) -> None:
        """Follow joins, leaves and renames of the people we talk to."""
        match event:
            case ev.Left(name=name):
                self._presence(name, False, f"{name} left the room", when)
            case ev.Joined(name=name):
                self._presence(name, True, f"{name} is back in the room", when)
            case ev.NickChange(old=old, new=new):
                conv = self.find(old)
                if conv is None or old == new:
                    return
                other = self.find(new)
                if other is not None and other is not conv:
                    return  # a tab for the new name exists: keep both as they are
                del self._by_key[name_key(old)]
                conv.name = new
                self._by_key[name_key(new)] = conv
                self._relabel(conv)
                self.view.tab_line(conv.tid, _event(f"{old} is now known as {new}", when))

    def _presence(self, name: str, present: bool, text: str, when: float) -> None:
        conv = self.find(name)
        if conv is None or conv.present is present:
            return
        conv.present = present
        self._relabel(conv)
        self.view.tab_line(conv.tid, _event(text, when))

    def users(self, names: Iterable[str]) -> None:
        """The room's whole user list: who can receive private messages."""
        keys = {name_key(n) for n in names}
        for conv in self._by_tid.values():
            present = name_key(conv.name) in keys
            if present is not conv.present:
                conv.present = present
                self._relabel(conv)

    def left_room(self) -> None:
        """We left the room: nobody can be written to until the next room's list."""
        for conv in self._by_tid.values():
            if conv.present:
                conv.present = False
                self._relabel(conv)
                self.view.tab_line(conv.tid, _event("You left the room.", self._clock()))


def _event(text: str, when: float) -> Line:
    return Line(Kind.EVENT, text, when)
