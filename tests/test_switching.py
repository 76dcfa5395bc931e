"""Switching rooms is safe: the new room first, the old one left only once the new one let
us in; a failure changes nothing. Real rooms, real client threads, a recording view."""

from __future__ import annotations

import queue
import socket
from collections.abc import Callable, Iterator

import pytest
from peer import Peer
from test_presenter import RecordingView
from waiting import wait_until

from desktopchat.gui.lines import Kind
from desktopchat.gui.presenter import Presenter
from desktopchat.gui.switching import Roster, hosting_question
from desktopchat.protocol import events as ev
from desktopchat.server import RoomServer


class View(RecordingView):
    """The presenter tests' recording view; view calls this file does not read are no-ops."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None


class Harness:
    """A presenter drained like the window: the main pump and the switch pump."""

    def __init__(self) -> None:
        self.view = View()
        self.presenter = Presenter(self.view)

    def _drain(
        self, source: Callable[[], queue.Queue[ev.Event] | None], handle: Callable[[ev.Event], None]
    ) -> None:
        q = source()
        while q is not None:
            try:
                event = q.get_nowait()
            except queue.Empty:
                return
            handle(event)
            if source() is not q:  # as EventPump: a switch ends the batch
                return

    def pump(self) -> None:
        self._drain(self.presenter.switch.events, self.presenter.switch.handle)
        self._drain(self.presenter.events, self.presenter.handle)

    def until(self, condition: Callable[[], object], what: str = "") -> None:
        def check() -> object:
            self.pump()
            return condition()

        wait_until(check, what=what)

    def errors(self) -> list[str]:
        return self.view.texts(Kind.ERROR)


@pytest.fixture
def harness() -> Iterator[Harness]:
    h = Harness()
    yield h
    h.presenter.quit()
    assert h.presenter.wait_stopped(3.0)


@pytest.fixture
def second_room() -> Iterator[RoomServer]:
    with RoomServer("127.0.0.1", 0) as server:
        yield server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def waiting(p: Presenter) -> bool:
    """A join attempt is waiting (a function: mypy must not narrow it across calls)."""
    return p.switch.pending is not None


def hosting(p: Presenter) -> bool:
    return p.server is not None


def in_room(h: Harness, room: RoomServer, name: str = "ann") -> None:
    h.presenter.join(*room.address, name)
    h.until(lambda: h.presenter.online, f"{name} in the room")


def test_a_join_leaves_the_old_room_only_once_the_new_one_let_us_in(
    harness: Harness, room: RoomServer, second_room: RoomServer
) -> None:
    p = harness.presenter
    with Peer.joined(room.address, "bob") as bob:
        in_room(harness, room)
        assert "ann" in bob.read_until(ev.JOIN)
        old_client = p.client
        p.join(*second_room.address, "ann")
        # Still in the old room while the new one answers: what we type goes there.
        assert p.client is old_client and p.online
        assert waiting(p)
        p.submit("still here")
        bob.expect("ann", "still here")
        harness.until(lambda: p.address == second_room.address, "switched")
        assert p.online and p.client is not old_client and not waiting(p)
        assert "ann" in bob.read_until(ev.LEAVE)
    texts = harness.view.texts()
    assert f"You left 127.0.0.1:{room.address[1]}." in texts
    assert any(t.startswith(f"Connected to 127.0.0.1:{second_room.address[1]}") for t in texts)
    assert texts.index(f"You left 127.0.0.1:{room.address[1]}.") < len(texts) - 1
    # The new room works: a line reaches a member there.
    with Peer.joined(second_room.address, "carol") as carol:
        harness.until(lambda: "carol" in harness.view.users, "carol listed")
        p.submit("hello new room")
        carol.read_until("ann", "hello new room")


def test_a_failed_join_keeps_the_old_room_and_says_so(harness: Harness, room: RoomServer) -> None:
    p = harness.presenter
    with Peer.joined(room.address, "bob") as bob:
        in_room(harness, room)
        old_client = p.client
        port = free_port()  # nothing listens there
        p.join("127.0.0.1", port, "ann")
        harness.until(lambda: p.switch.pending is None, "attempt over")
        assert p.client is old_client and p.online
        assert p.address == room.address
        (error,) = harness.errors()
        assert f"127.0.0.1:{port}" in error and "connection refused" in error
        assert error.endswith(f"You are still in 127.0.0.1:{room.address[1]}.")
        assert harness.view.failed  # the window offers the dialog again, with the reason
        assert harness.view.status.startswith("connected to")
        p.submit("after the failure")
        bob.read_until("ann", "after the failure")
        assert "You left" not in " ".join(harness.view.texts())


def test_a_refused_name_in_the_new_room_keeps_the_old_room(
    harness: Harness, room: RoomServer, second_room: RoomServer
) -> None:
    p = harness.presenter
    with Peer.joined(second_room.address, "ann"):
        in_room(harness, room)
        p.join(*second_room.address, "ann")  # the name is taken there
        harness.until(lambda: p.switch.pending is None, "attempt over")
        assert p.online and p.address == room.address
        (error,) = harness.errors()
        assert "You are still in" in error


def test_leave_while_a_join_waits_cancels_it(harness: Harness, room: RoomServer) -> None:
    p = harness.presenter
    with socket.socket() as silent:  # accepts, never answers: the attempt just waits
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        in_room(harness, room)
        host, port = silent.getsockname()
        p.join(host, port, "ann")
        assert waiting(p)
        p.leave()
        assert not waiting(p) and p.client is None
        harness.pump()
        assert harness.errors() == []


def test_the_host_joining_elsewhere_closes_the_hosted_room_only_after_the_switch(
    harness: Harness, second_room: RoomServer
) -> None:
    p = harness.presenter
    assert p.host(0, "ann", None) is None
    harness.until(lambda: p.online, "hosting")
    assert p.server is not None
    hosted = p.server.address
    assert p.switch.hosting_question() is None  # alone: nothing to ask
    with Peer.joined(("127.0.0.1", hosted[1]), "bob") as bob:
        harness.until(lambda: p.roster.others("ann") == 1, "bob counted")
        assert p.switch.hosting_question("Quitting") == (
            "1 person is in the room you host. Quitting closes it for everyone."
        )
        p.join("127.0.0.1", free_port(), "ann")  # fails: the hosted room stays
        harness.until(lambda: p.switch.pending is None, "attempt over")
        assert hosting(p) and p.online
        p.join(*second_room.address, "ann")
        harness.until(lambda: p.address == second_room.address, "switched")
        assert not hosting(p)
        bob.until_closed()  # the hosted room closed for everyone
    assert "The room you hosted is closed." in harness.view.texts()


def test_hosting_question_counts_the_others() -> None:
    assert hosting_question(0) is None
    assert (
        hosting_question(1) == "1 person is in the room you host. Leaving closes it for everyone."
    )
    assert hosting_question(3) == (
        "3 people are in the room you host. Leaving closes it for everyone."
    )
    roster = Roster()
    roster.handle(ev.UserList(("ann", "bob", "Carol")))
    roster.handle(ev.Joined("dave"))
    roster.handle(ev.Left("bob"))
    roster.handle(ev.NickChange("carl", "Carol"))
    assert roster.others("ANN") == 2


def test_a_new_room_to_trust_asks_and_keeps_the_old_room_meanwhile(
    harness: Harness, room: RoomServer, second_room: RoomServer
) -> None:
    p = harness.presenter
    asked: list[object] = []
    harness.view.ask_trust = asked.append  # type: ignore[method-assign,assignment]
    in_room(harness, room)
    old_client = p.client
    host, port = second_room.address
    p.join(host, port, "zed", "pw", room_name="Bee")
    p.switch.handle(ev.Untrusted(host, port, "ab" * 32))  # as the attempt's thread says
    assert not waiting(p) and p.client is old_client and p.online
    assert len(asked) == 1
    assert "You are still in" in harness.view.texts()[-1]
    # Trusting joins again with the current room's credentials (security.py's
    # _join_again); the attempt's own name, password and room name are used.
    p.join(host, port, "ann", None, pin="ab" * 32)
    pending = p.switch.pending
    assert pending is not None
    assert (pending.name, pending.password, pending.room_name) == ("zed", "pw", "Bee")
    assert pending.pin == "ab" * 32
