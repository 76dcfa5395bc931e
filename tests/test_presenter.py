"""The presenter states facts: real rooms and client threads, no display.

Each test reproduces one finding of the protocol-2 issue (what the window
showed by guessing) against a real server on 127.0.0.1 and a real
ChatClient; a recording view stands in for the widgets.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator, Sequence, Set
from pathlib import Path

import pytest
from cutproxy import CutProxy
from peer import Peer
from waiting import wait_until

from desktopchat.client import ChatClient
from desktopchat.gui.attention_rules import Alert, Reason
from desktopchat.gui.lines import Kind, Line, SendState
from desktopchat.gui.presenter import Presenter
from desktopchat.net.tls import load_or_create_identity
from desktopchat.protocol import events as ev
from desktopchat.server import RoomServer


class RecordingView:
    """A View that keeps what the presenter asked for."""

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.marks: dict[int, tuple[SendState, str]] = {}
        self.marks_seen: list[tuple[int, SendState, str]] = []
        self.users: list[str] = []
        self.unencrypted: set[str] = set()  # names the room says are not encrypted
        self.status = ""
        self.title = ""
        self.failed: list[str] = []
        self.focused = True
        self.typing: tuple[str, float | None] = ("", None)
        self.tabs: dict[int, str] = {}  # private tabs: label
        self.tab_lines: list[tuple[int, Line]] = []
        self.alerts: list[Alert] = []
        self.alerts_cleared = 0
        self.dividers = 0
        self.security: tuple[bool | None, str | None] = (None, None)  # the lock
        self.asked: list[object] = []  # TrustQuestion / PinWarning (security.py)
        self.invitations: list[object] = []
        self.host_warnings: list[str] = []
        self.transfers: list[object] = []  # offers shown (transfers.Transfer)
        self.transfer_changes: list[object] = []
        self.opened: list[Path] = []

    def show(self, line: Line) -> None:
        self.lines.append(line)

    def mark(self, cid: int, state: SendState, reason: str = "") -> None:
        self.marks[cid] = (state, reason)
        self.marks_seen.append((cid, state, reason))

    def users_reset(
        self, names: Sequence[str], own: str | None, unencrypted: Set[str] = frozenset()
    ) -> None:
        self.users = list(names)
        self.unencrypted = set(unencrypted)

    def user_joined(self, name: str, unencrypted: bool = False) -> None:
        self.users.append(name)
        if unencrypted:
            self.unencrypted.add(name)

    def user_left(self, name: str) -> None:
        self.users.remove(name)

    def user_renamed(self, old: str, new: str) -> None:
        self.users = [new if n == old else n for n in self.users]

    def set_status(self, text: str) -> None:
        self.status = text

    def countdown(self, delay: float) -> None:
        self.status = f"reconnecting in {delay} s"

    def set_title(self, text: str) -> None:
        self.title = text

    def set_hosting(self, addresses: Sequence[str]) -> None:
        pass

    def login_failed(self, reason: str) -> None:
        self.failed.append(reason)

    def has_focus(self) -> bool:
        return self.focused

    def set_typing(self, text: str, expires_in: float | None) -> None:
        self.typing = (text, expires_in)

    # --- the room's identity (security.py) and hosting (hosting.py) ------------

    def set_security(self, encrypted: bool | None, fingerprint: str | None) -> None:
        self.security = (encrypted, fingerprint)

    def ask_trust(self, question: object) -> None:
        self.asked.append(question)

    def pin_mismatch(self, warning: object) -> None:
        self.asked.append(warning)

    def show_invitation(self, invitation: object) -> None:
        self.invitations.append(invitation)

    def host_warning(self, text: str) -> None:
        self.host_warnings.append(text)

    # --- private tabs (conversations.py) and attention (attention_rules.py) -----

    def tab_open(self, tid: int, name: str, *, select: bool) -> None:
        self.tabs.setdefault(tid, name)

    def tab_close(self, tid: int) -> None:
        pass

    def tab_forget(self, tid: int) -> None:
        self.tabs.pop(tid, None)

    def tab_label(self, tid: int, label: str, header: str) -> None:
        self.tabs[tid] = label

    def tab_line(self, tid: int, line: Line) -> None:
        self.lines.append(line)  # in order with the room's, for the tests below
        self.tab_lines.append((tid, line))

    def alert(self, alert: Alert) -> None:
        self.alerts.append(alert)

    def clear_alert(self) -> None:
        self.alerts_cleared += 1

    def new_messages_divider(self) -> None:
        self.dividers += 1

    # --- files (transfers.py) ---------------------------------------------------

    def transfer_shown(self, tid: int, line: Line, item: object) -> None:
        self.lines.append(line)
        self.transfers.append(item)

    def transfer_changed(self, item: object) -> None:
        self.transfer_changes.append(item)

    def open_file(self, path: Path) -> None:
        self.opened.append(path)

    # --- reading ---------------------------------------------------------------

    def texts(self, kind: Kind | None = None) -> list[str]:
        return [line.text for line in self.lines if kind is None or line.kind is kind]

    def said(self) -> list[tuple[str, str]]:
        """(sender, text) of every chat line, in order."""
        return [(ln.sender, ln.text) for ln in self.lines if ln.kind is Kind.MESSAGE]

    def own(self, cid: int) -> Line:
        return next(line for line in self.lines if line.cid == cid)


class Harness:
    """A presenter with a recording view, drained like the window's pump."""

    def __init__(self) -> None:
        self.view = RecordingView()
        self.presenter = Presenter(self.view)
        self.handled: list[ev.Event] = []

    def pump(self) -> None:
        q = self.presenter.events()
        if q is None:
            return
        while True:
            try:
                event = q.get_nowait()
            except queue.Empty:
                return
            self.handled.append(event)
            self.presenter.handle(event)

    def until(self, condition: Callable[[], object], what: str = "", timeout: float = 5.0) -> None:
        def check() -> object:
            self.pump()
            return condition()

        wait_until(check, timeout, what)

    def seen(self, kind: type[ev.Event]) -> int:
        return sum(isinstance(e, kind) for e in self.handled)


@pytest.fixture
def harness() -> Iterator[Harness]:
    h = Harness()
    yield h
    h.presenter.quit()
    assert h.presenter.wait_stopped(3.0)


def _say_from(address: tuple[str, int], name: str, *texts: str) -> None:
    """A second member says ``texts`` and leaves, after the room took every line."""
    other = ChatClient(address[0], address[1], name)
    other.start()
    for text in texts:
        other.send(text)
    wait_until(lambda: other.connected and other.pending == 0, what=f"{name}'s lines taken")
    other.close()


def test_missed_lines_are_shown_after_a_reconnect_even_when_one_repeats_a_seen_line(
    harness: Harness,
) -> None:
    # The window showed "bob: ok"; while it was away, "alice: hi" and "bob: ok"
    # were said. Matching by content took the new "bob: ok" for the one seen
    # and never showed "alice: hi".
    with RoomServer("127.0.0.1", 0) as room, CutProxy(room.address) as proxy:
        p = harness.presenter
        p.join(*proxy.address, "ann")
        harness.until(lambda: p.online, "ann in the room")
        _say_from(room.address, "bob", "ok")
        harness.until(lambda: ("bob", "ok") in harness.view.said(), "first ok shown")

        proxy.accepting = False
        proxy.cut(keep_ghost=False)
        harness.until(lambda: not p.online, "ann noticed the cut")
        _say_from(room.address, "alice", "hi")
        _say_from(room.address, "bob", "ok")
        proxy.accepting = True
        harness.until(lambda: ("alice", "hi") in harness.view.said(), "missed line shown")
        harness.until(lambda: harness.view.said().count(("bob", "ok")) == 2, "repeat shown")

    said = harness.view.said()
    assert said == [("bob", "ok"), ("alice", "hi"), ("bob", "ok")]
    texts = harness.view.texts()
    assert texts.count("— missed while disconnected —") == 1
    marker = texts.index("— missed while disconnected —")
    assert marker < texts.index("hi")


def test_one_line_per_disconnect_and_per_reconnect_and_no_second_welcome(
    harness: Harness,
) -> None:
    with RoomServer("127.0.0.1", 0) as room, CutProxy(room.address) as proxy:
        p = harness.presenter
        p.join(*proxy.address, "ann")
        harness.until(lambda: p.online, "in the room")
        proxy.accepting = False
        proxy.cut(keep_ghost=False)
        # Several refused attempts while the network is down.
        harness.until(lambda: harness.seen(ev.Disconnected) >= 3, "three failed attempts")
        proxy.accepting = True
        harness.until(lambda: p.online, "back in the room")
    events = harness.view.texts(Kind.EVENT)
    assert sum(t.startswith("Disconnected:") for t in events) == 1
    assert events.count("Reconnected.") == 1
    assert sum(t.startswith("Welcome to the room") for t in events) == 1
    assert sum(t.startswith("Connected to") for t in events) == 1


def test_a_line_typed_in_a_password_room_without_the_password_is_not_sent(
    harness: Harness,
) -> None:
    with RoomServer("127.0.0.1", 0, password="secret") as room:
        p = harness.presenter
        p.join(*room.address, "ann")
        assert p.submit("hello?")
        harness.until(lambda: harness.view.failed, "refused")
    line = harness.view.own(1)
    assert line.state is SendState.QUEUED
    assert harness.view.marks[1][0] is SendState.FAILED
    assert not any(t.startswith("Connected to") for t in harness.view.texts())
    assert harness.view.failed == ["This room needs a password"]


def test_connected_only_after_the_room_accepted_the_password(harness: Harness) -> None:
    with RoomServer("127.0.0.1", 0, password="secret") as room:
        p = harness.presenter
        p.join(*room.address, "ann", "wrong")
        harness.until(lambda: harness.view.failed, "refused")
        assert harness.view.failed == ["Wrong password."]
        assert not any(t.startswith("Connected to") for t in harness.view.texts())
        assert not p.online

        p.join(*room.address, "ann", "secret")
        harness.until(lambda: p.online, "let in")
    assert any(t.startswith("Connected to") for t in harness.view.texts())


def test_a_private_message_to_nobody_fails_with_the_rooms_reason_and_is_never_sent(
    harness: Harness,
) -> None:
    with RoomServer("127.0.0.1", 0) as room:
        p = harness.presenter
        p.join(*room.address, "ann")
        harness.until(lambda: p.online, "in the room")
        assert p.submit("/msg carol hello")
        harness.until(lambda: 1 in harness.view.marks, "answered")
    assert harness.view.marks[1] == (SendState.FAILED, "No such user: carol.")
    assert [m for m in harness.view.marks_seen if m[1] is SendState.SENT] == []
    line = harness.view.own(1)
    assert (line.kind, line.peer, line.text) == (Kind.PRIVATE, "carol", "hello")


def test_own_line_is_pending_until_the_room_accepts_it(harness: Harness) -> None:
    with RoomServer("127.0.0.1", 0) as room:
        p = harness.presenter
        p.join(*room.address, "ann")
        harness.until(lambda: p.online, "in the room")
        assert p.submit("hello")
        assert harness.view.own(1).state is SendState.PENDING
        harness.until(lambda: 1 in harness.view.marks, "accepted")
    assert harness.view.marks[1] == (SendState.SENT, "")


def test_command_word_is_case_insensitive_in_the_echo_as_in_the_room(harness: Harness) -> None:
    with RoomServer("127.0.0.1", 0) as room:
        p = harness.presenter
        p.join(*room.address, "ann")
        harness.until(lambda: p.online, "in the room")
        assert p.submit("/ME waves")
        harness.until(lambda: 1 in harness.view.marks, "accepted")
    line = harness.view.own(1)
    assert (line.kind, line.sender, line.text) == (Kind.ACTION, "ann", "waves")


def test_a_bad_command_is_refused_before_sending_and_keeps_the_text(harness: Harness) -> None:
    with RoomServer("127.0.0.1", 0) as room:
        p = harness.presenter
        p.join(*room.address, "ann")
        harness.until(lambda: p.online, "in the room")
        assert not p.submit("/frobnicate now")
    assert any("Unknown command /frobnicate" in t for t in harness.view.texts(Kind.ERROR))


def test_who_lists_the_members_in_the_transcript(harness: Harness) -> None:
    with RoomServer("127.0.0.1", 0) as room:
        other = ChatClient(*room.address, "bob")
        other.start()
        try:
            wait_until(lambda: other.connected, what="bob in first")
            p = harness.presenter
            p.join(*room.address, "ann")
            harness.until(lambda: p.online, "ann in")
            assert p.submit("/who")
            harness.until(lambda: any(t.startswith("In the room") for t in harness.view.texts()))
        finally:
            other.close()
    assert "In the room (2): bob, ann" in harness.view.texts(Kind.EVENT)


def test_replayed_history_keeps_the_time_it_was_said(harness: Harness) -> None:
    said_at = time.time() - 3600  # an hour ago, by the room's clock
    with RoomServer("127.0.0.1", 0, clock=lambda: said_at) as room:
        _say_from(room.address, "bob", "earlier news")
        p = harness.presenter
        p.join(*room.address, "ann")
        harness.until(lambda: ("bob", "earlier news") in harness.view.said(), "replayed")
    line = next(ln for ln in harness.view.lines if ln.text == "earlier news")
    assert line.time == pytest.approx(said_at, abs=0.001)
    assert "— earlier messages —" in harness.view.texts(Kind.MARKER)


def test_leave_and_quit_do_not_wait_for_the_threads() -> None:
    closes: list[float] = []

    class Recorded(ChatClient):
        def close(self, timeout: float = 1.0) -> None:
            closes.append(timeout)
            super().close(timeout)

    view = RecordingView()
    with RoomServer("127.0.0.1", 0) as room:
        p = Presenter(view, client_factory=Recorded)
        p.join(*room.address, "ann")
        p.leave()
        p.join(*room.address, "ann")
        p.quit()
        assert closes == [0, 0]
        assert p.wait_stopped(3.0)


def test_private_lines_live_in_their_tab_and_text_typed_there_is_private(
    harness: Harness,
) -> None:
    view = harness.view
    with RoomServer("127.0.0.1", 0) as room:
        p = harness.presenter
        p.join(*room.address, "ann")
        harness.until(lambda: p.online, "in the room")
        bob = ChatClient(*room.address, "bob")
        bob.start()
        try:
            harness.until(lambda: "bob" in view.users, "bob in the list")
            bob.send(ev.Private("psst", to="ann"))
            harness.until(lambda: view.tab_lines, "bob's private line")
            ((tid, line),) = view.tab_lines
            assert (line.sender, line.text, view.tabs[tid]) == ("bob", "psst", "bob (1)")
            assert [ln for ln in view.lines if ln.text == "psst"] == [line]  # not in the room
            p.conversations.selected(tid)  # the user shows bob's tab
            assert view.tabs[tid] == "bob"
            assert p.submit("lunch?")  # plain text in bob's tab
            seen: list[ev.Event] = []

            def bob_heard() -> bool:
                while not bob.events.empty():
                    seen.append(bob.events.get_nowait())
                return any(isinstance(e, ev.Private) and e.text == "lunch?" for e in seen)

            wait_until(bob_heard, what="bob got it privately")
            own = view.tab_lines[-1][1]
            assert (own.kind, own.peer, own.own) == (Kind.PRIVATE, "bob", True)
            harness.until(lambda: own.cid in view.marks, "settled")
            assert view.marks[own.cid or 0][0] is SendState.SENT
        finally:
            bob.close()
        harness.until(lambda: "bob" not in view.users, "bob left")
        assert view.tab_lines[-1][1].text == "bob left the room"
        assert not p.submit("still there?")  # refused, the text stays in the box
        assert "bob is not in the room" in view.tab_lines[-1][1].text


def test_a_mention_while_unfocused_alerts_once_and_focus_clears_it(harness: Harness) -> None:
    view = harness.view
    with RoomServer("127.0.0.1", 0) as room:
        p = harness.presenter
        p.join(*room.address, "ann")
        harness.until(lambda: p.online, "in the room")
        view.focused = False
        _say_from(room.address, "bob", "nothing for you", "ANN, look at this", "annual")
        harness.until(lambda: "annual" in view.texts(), "bob's lines")
    said = {line.text: line.mention for line in view.lines if line.sender == "bob"}
    assert said == {"nothing for you": "", "ANN, look at this": "ann", "annual": ""}
    assert [(a.reason, a.sender, a.text, a.urgent) for a in view.alerts] == [
        (Reason.MENTION, "bob", "ANN, look at this", True)
    ]
    assert view.dividers == 1
    p.focus_gained()
    assert view.alerts_cleared == 1


def test_members_without_encryption_are_passed_to_the_user_list(
    harness: Harness, tmp_path: Path
) -> None:
    identity = load_or_create_identity(tmp_path / "id")
    with RoomServer("127.0.0.1", 0, identity=identity) as room:
        carl = ChatClient(*room.address, "carl", pin=identity.fingerprint)
        carl.start()
        try:
            wait_until(lambda: carl.connected, what="carl in (TLS)")
            p = harness.presenter
            p.join(*room.address, "ann", pin=identity.fingerprint)
            harness.until(lambda: p.online, "ann in")
            harness.until(lambda: harness.view.users == ["carl", "ann"], "the list")
            assert harness.view.unencrypted == set()
            assert "carl" not in harness.view.unencrypted
            with Peer.joined(room.address, "bob"):
                harness.until(lambda: "bob" in harness.view.users, "bob listed")
                assert "bob" in harness.view.unencrypted
        finally:
            carl.close()


def test_an_offer_counts_as_unread_and_a_private_one_alerts(
    harness: Harness, tmp_path: Path
) -> None:
    view = harness.view
    (tmp_path / "notes.txt").write_text("notes")
    with RoomServer("127.0.0.1", 0) as room:
        p = harness.presenter
        p.join(*room.address, "ann")
        harness.until(lambda: p.online and p.transfers.max_size is not None, "in the room")
        view.focused = False
        bob = ChatClient(*room.address, "bob")
        bob.start()
        try:
            bob.offer_file(tmp_path / "notes.txt")
            bob.offer_file(tmp_path / "notes.txt", "ann")
            harness.until(lambda: len(view.transfers) == 2, "both offers")
        finally:
            bob.close()
    assert p.unread == 2 and "(2 unread)" in view.title
    assert [(a.reason, a.sender) for a in view.alerts] == [(Reason.PRIVATE, "bob")]
