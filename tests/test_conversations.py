"""Private conversations as a model (gui/conversations.py), driven without Tk."""

from __future__ import annotations

import pytest

from desktopchat.gui import conversations as cv
from desktopchat.gui.conversations import ROOM, Conversations
from desktopchat.gui.lines import Kind, Line
from desktopchat.protocol import events as ev
from desktopchat.protocol.commands import BadCommand


class TabsRecorder:
    """A TabsView that keeps what it was told."""

    def __init__(self) -> None:
        self.room: list[Line] = []
        self.lines: dict[int, list[Line]] = {}
        self.labels: dict[int, str] = {}
        self.shown: set[int] = set()  # open tabs
        self.selected: int = ROOM
        self.forgotten: list[int] = []
        self.headers: dict[int, str] = {}

    def show(self, line: Line) -> None:
        self.room.append(line)

    def tab_open(self, tid: int, name: str, *, select: bool) -> None:
        self.shown.add(tid)
        self.labels.setdefault(tid, name)
        if select:
            self.selected = tid

    def tab_close(self, tid: int) -> None:
        self.shown.discard(tid)

    def tab_forget(self, tid: int) -> None:
        self.shown.discard(tid)
        self.forgotten.append(tid)
        self.lines.pop(tid, None)

    def tab_label(self, tid: int, label: str, header: str) -> None:
        self.labels[tid] = label
        self.headers[tid] = header

    def tab_line(self, tid: int, line: Line) -> None:
        self.lines.setdefault(tid, []).append(line)

    def texts(self, tid: int) -> list[str]:
        return [line.text for line in self.lines.get(tid, [])]


def incoming(sender: str, text: str) -> Line:
    return Line(Kind.PRIVATE, text, 0.0, sender, "me")


def outgoing(to: str, text: str, cid: int | None = None) -> Line:
    return Line(Kind.PRIVATE, text, 0.0, "me", to, own=True, cid=cid)


@pytest.fixture
def tabs() -> tuple[Conversations, TabsRecorder]:
    view = TabsRecorder()
    return Conversations(view, clock=lambda: 100.0), view


def test_an_incoming_private_line_opens_a_tab_in_the_background_with_a_badge(
    tabs: tuple[Conversations, TabsRecorder],
) -> None:
    conv, view = tabs
    conv.show(incoming("ann", "psst"))
    conv.show(incoming("Ann", "are you there?"))  # same person: names fold case
    (tid,) = view.shown
    assert view.selected == ROOM  # typing in the room is not interrupted
    assert view.labels[tid] == "ann (2)"
    assert view.texts(tid) == ["psst", "are you there?"]
    assert view.room == []  # private lines are not mixed into the room
    conv.selected(tid)
    assert view.labels[tid] == "ann"  # shown: read
    conv.show(incoming("ann", "thanks"))
    assert view.labels[tid] == "ann"  # the tab is shown: nothing unread


def test_room_lines_go_to_the_room_and_errors_where_the_user_looks(
    tabs: tuple[Conversations, TabsRecorder],
) -> None:
    conv, view = tabs
    conv.show(Line(Kind.MESSAGE, "hi all", 0.0, "bob"))
    assert [line.text for line in view.room] == ["hi all"]
    tab = conv.open("bob", select=True)
    conv.error(Line(Kind.ERROR, "nope", 0.0))
    assert view.texts(tab.tid) == ["nope"]
    conv.selected(ROOM)
    conv.error(Line(Kind.ERROR, "room nope", 0.0))
    assert view.room[-1].text == "room nope"


def test_plain_text_in_a_private_tab_is_a_private_message_and_slash_me_is_refused(
    tabs: tuple[Conversations, TabsRecorder],
) -> None:
    conv, _ = tabs
    assert conv.parse("hello") == ev.Message("hello")  # the room's tab
    assert conv.parse("/msg ann hi") == ev.Private("hi", to="ann")
    conv.open("ann", select=True)
    assert conv.parse("hello") == ev.Private("hello", to="ann")
    assert conv.parse("//not a command") == ev.Private("/not a command", to="ann")
    assert conv.parse("/nick annie") == ev.NickChange("annie")  # commands still work
    with pytest.raises(BadCommand, match="whole room"):
        conv.parse("/me waves")


def test_own_lines_show_in_the_tab_and_remember_it_for_their_marker(
    tabs: tuple[Conversations, TabsRecorder],
) -> None:
    conv, view = tabs
    conv.show(outgoing("ann", "typed as /msg in the room", cid=7))
    (tid,) = view.shown
    assert view.selected == ROOM and view.labels[tid] == "ann"  # own lines: no badge
    assert conv.tab_of(7) == tid and conv.tab_of(8) == ROOM
    conv.settled(7)
    assert conv.tab_of(7) == ROOM


def test_closing_keeps_the_history_and_reopening_shows_it(
    tabs: tuple[Conversations, TabsRecorder],
) -> None:
    conv, view = tabs
    tab = conv.open("ann", select=True)
    conv.show(incoming("ann", "one"))
    conv.close(tab.tid)
    assert tab.tid not in view.shown and conv.active == ROOM
    conv.close(ROOM)  # the room's tab never closes
    conv.show(incoming("ann", "two"))  # a new line opens it again, in the background
    assert tab.tid in view.shown and view.texts(tab.tid) == ["one", "two"]
    assert view.labels[tab.tid] == "ann (1)"


def test_a_rename_renames_the_tab_and_says_so(tabs: tuple[Conversations, TabsRecorder]) -> None:
    conv, view = tabs
    tab = conv.open("ann", select=False)
    conv.room_event(ev.NickChange("annie", old="ann"), 5.0)
    assert view.labels[tab.tid] == "annie"
    assert view.texts(tab.tid) == ["ann is now known as annie"]
    assert conv.find("annie") is tab and conv.find("ann") is None
    conv.show(incoming("annie", "it's me"))
    assert len(view.shown) == 1


def test_sending_to_someone_who_left_is_refused_until_they_return(
    tabs: tuple[Conversations, TabsRecorder],
) -> None:
    conv, view = tabs
    tab = conv.open("ann", select=True)
    conv.room_event(ev.Left("ann"), 5.0)
    assert view.texts(tab.tid) == ["ann left the room"]
    assert view.headers[tab.tid] == "Private conversation with ann (not in the room)"
    with pytest.raises(BadCommand, match="ann is not in the room"):
        conv.parse("hello?")
    conv.selected(ROOM)
    with pytest.raises(BadCommand, match="not in the room"):
        conv.parse("/msg ANN hello?")
    conv.room_event(ev.Joined("ann"), 6.0)
    assert view.texts(tab.tid)[-1] == "ann is back in the room"
    assert view.headers[tab.tid] == "Private conversation with ann"
    assert conv.parse("/msg ann hello") == ev.Private("hello", to="ann")
    conv.users(["bob"])  # a fresh user list without ann
    with pytest.raises(BadCommand):
        conv.parse("/msg ann hello")
    conv.left_room()  # nothing new: ann is absent already
    assert view.texts(tab.tid)[-1] == "ann is back in the room"


def test_remembered_conversations_are_bounded(
    tabs: tuple[Conversations, TabsRecorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cv, "MAX_CONVERSATIONS", 3)
    conv, view = tabs
    first = conv.open("a", select=False)
    conv.close(first.tid)
    for name in ("b", "c", "d", "e"):
        conv.show(incoming(name, "hi"))
    assert len(conv.all()) == 3
    assert view.forgotten[0] == first.tid  # the closed one went first
    assert conv.find("a") is None and conv.find("e") is not None


def test_labels_are_escaped_and_short() -> None:
    tab = cv.Conversation(1, "evil\u202eeman" + "x" * 40, unread=3)
    assert "\u202e" not in tab.label
    assert tab.label.endswith("… (3)") and len(tab.label) <= cv.LABEL_CHARS + 4
