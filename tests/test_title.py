"""The main window's title: "ROOM — NAME (N unread) — desktopchat" (gui/title.py),
as the presenter sets it through its view."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from test_presenter import Harness, RecordingView, _say_from

from desktopchat.gui.presenter import Presenter
from desktopchat.gui.title import LOCK, UNENCRYPTED, dialog_title, window_title
from desktopchat.server import RoomServer


class TitleView(RecordingView):
    """The recording view; view calls this test does not look at do nothing."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: None


@pytest.fixture
def harness() -> Iterator[Harness]:
    h = Harness()
    h.view = TitleView()
    h.presenter = Presenter(h.view)
    yield h
    h.presenter.quit()
    assert h.presenter.wait_stopped(3.0)


def test_format_with_every_part_and_without_the_unknown_ones() -> None:
    def title(**kw: object) -> str:
        facts: dict[str, object] = dict(
            room=None, address=None, name=None, unread=0, encrypted=None
        )
        facts.update(kw)
        return window_title(**facts)  # type: ignore[arg-type]

    assert title() == "desktopchat"
    assert title(address=("10.0.0.5", 1234), name="ann") == "10.0.0.5:1234 — ann — desktopchat"
    assert (
        title(room="Team room", address=("10.0.0.5", 1234), name="ann", unread=3, encrypted=True)
        == f"{LOCK} Team room — ann (3 unread) — desktopchat"
    )
    assert (
        title(address=("::1", 80), name="ann", encrypted=False)
        == f"::1:80 {UNENCRYPTED} — ann — desktopchat"
    )
    assert title(address=("h", 1), unread=2) == "h:1 — (2 unread) — desktopchat"


def test_other_windows_say_what_they_are() -> None:
    assert dialog_title("Join a room") == "Join a room — desktopchat"
    assert dialog_title("desktopchat — Room info") == "Room info — desktopchat"
    assert dialog_title("About — desktopchat") == "About — desktopchat"


def test_presenter_titles_follow_the_room_the_name_unread_lines_and_encryption(
    harness: Harness,
) -> None:
    view, p = harness.view, harness.presenter
    with RoomServer("127.0.0.1", 0) as room:
        host, port = room.address
        p.join(host, port, "ann")
        harness.until(lambda: p.online, "ann in the room")
        harness.pump()
        lock = {True: f"{LOCK} ", False: "", None: ""}[p.security.encrypted]
        plain = f" {UNENCRYPTED}" if p.security.encrypted is False else ""
        where = f"{lock}{host}:{port}{plain}"
        assert view.title == f"{where} — ann — desktopchat"

        view.focused = False
        _say_from(room.address, "bob", "one", "two")
        harness.until(lambda: "(2 unread)" in view.title, "two unread")
        assert view.title == f"{where} — ann (2 unread) — desktopchat"
        p.focus_gained()
        assert view.title == f"{where} — ann — desktopchat"

        view.focused = True
        assert p.submit("/nick anna")
        harness.until(lambda: "anna" in view.title, "renamed")
        assert view.title == f"{where} — anna — desktopchat"

        p.room_name = "Team room"  # as an invitation or the network's room list names it
        p.focus_gained()  # any update shows it
        assert p.title() == f"{lock}Team room{plain} — anna — desktopchat"
    p.leave()
    harness.pump()
    assert p.title() == "desktopchat"
