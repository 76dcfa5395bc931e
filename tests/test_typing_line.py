"""The "… is typing" line and our own hints (gui/typing.py, gui/typingbar.py): a presenter in a
real room with a recording view, then the real window."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_switching import Harness
from waiting import wait_until

from desktopchat.client import ChatClient
from desktopchat.gui.typing import SEND_EVERY, SHOW_FOR, TypingLine, typing_text
from desktopchat.protocol import events as ev
from desktopchat.server import RoomServer


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def harness() -> Iterator[Harness]:
    h = Harness()
    yield h
    h.presenter.quit()
    assert h.presenter.wait_stopped(3.0)


@pytest.fixture
def clock(harness: Harness) -> FakeClock:
    fake = FakeClock()
    harness.presenter.typing = TypingLine(harness.presenter, fake)
    return fake


def shown(h: Harness) -> str:
    text, _ = h.view.typing
    return text


def test_the_line_names_one_two_or_several() -> None:
    assert typing_text([]) == ""
    assert typing_text(["ann"]) == "ann is typing…"
    assert typing_text(["ann", "bob"]) == "ann and bob are typing…"
    assert typing_text(["ann", "bob", "carol"]) == "several people are typing…"


def test_a_member_stays_five_seconds_after_the_last_hint(
    harness: Harness, clock: FakeClock
) -> None:
    line = harness.presenter.typing
    line.handle(ev.Typing("bob"))
    assert harness.view.typing == ("bob is typing…", SHOW_FOR)
    clock.now += 3
    line.handle(ev.Typing("ann"))
    assert harness.view.typing == ("bob and ann are typing…", 2.0)  # bob's expiry comes first
    clock.now += 2
    line.expire()
    assert harness.view.typing == ("ann is typing…", 3.0)
    line.handle(ev.NickChange("anna", old="ann"))
    assert shown(harness) == "anna is typing…"
    clock.now += 3
    line.expire()
    assert harness.view.typing == ("", None)  # type: ignore[comparison-overlap]


def test_a_message_or_leaving_ends_it_at_once(harness: Harness, clock: FakeClock) -> None:
    line = harness.presenter.typing
    for name in ("bob", "carol", "dave"):
        line.handle(ev.Typing(name))
    assert shown(harness) == "several people are typing…"
    line.handle(ev.Message("hi", sender="BOB"))
    assert shown(harness) == "carol and dave are typing…"
    line.handle(ev.Left("carol"))
    line.handle(ev.Private("psst", to="ann", sender="dave"))
    assert harness.view.typing == ("", None)


def test_a_hint_from_the_room_reaches_the_line_and_the_message_clears_it(
    harness: Harness, room: RoomServer
) -> None:
    p = harness.presenter
    p.join(*room.address, "ann")
    harness.until(lambda: p.online, "ann in")
    bob = ChatClient(*room.address, "bob")
    bob.start()
    try:
        harness.until(lambda: "bob" in harness.view.users, "bob listed")
        wait_until(lambda: bob.connected, what="bob in")
        bob.typing()
        harness.until(lambda: shown(harness) == "bob is typing…", "the line")
        bob.send("there")
        harness.until(lambda: ("bob", "there") in harness.view.said(), "bob's message")
        assert shown(harness) == ""
    finally:
        bob.close()


def test_keystrokes_send_one_hint_every_three_seconds_in_a_protocol_2_room(
    harness: Harness, clock: FakeClock, room: RoomServer
) -> None:
    p = harness.presenter
    line = p.typing
    assert not line.keystroke("a")  # not in a room
    bob = ChatClient(*room.address, "bob")
    bob.start()
    try:
        p.join(*room.address, "ann")
        harness.until(lambda: p.online and "bob" in harness.view.users, "both in")
        assert not line.keystroke("\r") and not line.keystroke("")  # Enter, Shift, arrows
        assert line.keystroke("h")
        assert not line.keystroke("i")
        clock.now += SEND_EVERY
        assert line.keystroke("!")
        got: list[ev.Event] = []

        def bob_heard() -> bool:
            while not bob.events.empty():
                event = bob.events.get_nowait()
                if isinstance(event, ev.Typing):
                    got.append(event)
            return bool(got)

        wait_until(bob_heard, what="bob hears ann typing")
        assert got[0] == ev.Typing("ann")
    finally:
        bob.close()


@pytest.mark.gui
def test_the_window_shows_the_line_under_the_transcript(app: object) -> None:
    from desktopchat.gui.app import ChatApp

    assert isinstance(app, ChatApp)
    app.handle_event(ev.Typing("bob"))
    app.root.update()
    assert app.typing_bar.text == "bob is typing…"
    bar, box = app.typing_bar.label, app.input
    assert bar.winfo_ismapped()
    assert bar.winfo_rooty() + bar.winfo_height() <= box.winfo_rooty()  # between the two
    app.handle_event(ev.Message("hi", sender="bob"))
    assert app.typing_bar.text == ""


def test_a_hostile_name_is_cut_and_escaped() -> None:
    assert typing_text(["a\u202eb"]) == "a\\u202eb is typing…"
    assert typing_text(["x" * 5000]) == "x" * 40 + "… is typing…"
