"""Hosting and joining with the network parts: announcing, the reachability check, the room list.

The parts that reach the real network (zeroconf, probing LAN addresses) are
replaced by stand-ins given through :class:`LanServices`, so no test sends
multicast on the machine's interfaces; the rooms, identities and clients are
real (127.0.0.1, a private DESKTOPCHAT_HOME). Discovery itself is tested in
private network namespaces by the discovery tests.
"""

from __future__ import annotations

import threading
import tkinter as tk
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest
from test_presenter import Harness
from waiting import wait_until

from desktopchat.gui.app import ChatApp
from desktopchat.gui.hosting import HostOptions, LanServices
from desktopchat.gui.login import LoginDialog, LoginValues
from desktopchat.net.discovery import FoundRoom
from desktopchat.net.reachability import Problem, Trouble
from desktopchat.server import RoomServer
from desktopchat.settings import Settings


class FakeAnnouncer:
    """Records what hosting asks of the announcer."""

    made: ClassVar[list[FakeAnnouncer]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.started = self.closed = False
        self.updates: list[int] = []
        FakeAnnouncer.made.append(self)

    def start(self) -> None:
        self.started = True

    def update(self, members: int) -> None:
        self.updates.append(members)

    def close(self, timeout: float = 0.0) -> bool:
        self.closed = True
        return True


PROBLEM = Problem(
    Trouble.TIMED_OUT,
    ("192.0.2.7", 1234),
    "Others cannot reach this room on 192.0.2.7:1234: the connection timed out.",
)


def fake_check(
    bound: tuple[str, int],
    addresses: Sequence[tuple[str, int]] | None,
    on_done: Callable[[list[Any]], None],
    timeout: float,
) -> object:
    """Like reachability.start_check: the answer comes from another thread."""
    thread = threading.Thread(target=on_done, args=([PROBLEM],))
    thread.start()
    return thread


@pytest.fixture
def lan(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> LanServices:
    monkeypatch.setenv("DESKTOPCHAT_HOME", str(tmp_path))
    FakeAnnouncer.made = []
    return LanServices(announcer=FakeAnnouncer, check=fake_check)


@pytest.fixture
def harness(lan: LanServices) -> Iterator[Harness]:
    h = Harness()
    h.presenter.lan = lan
    yield h
    h.presenter.quit()
    assert h.presenter.wait_stopped(3.0)


def test_hosting_announces_the_room_keeps_its_member_count_and_shows_problems(
    harness: Harness,
) -> None:
    p, view = harness.presenter, harness.view
    assert p.host(0, "ann", "pw", HostOptions(room_name="Lab", encrypted_only=True)) is None
    assert p.server is not None and p.hosted is not None
    port, fp = int(p.server.address[1]), p.server.fingerprint
    if p.hosted.publicity.not_announced is not None:
        pytest.skip(f"not announced here: {p.hosted.publicity.not_announced}")
    [announcer] = FakeAnnouncer.made
    assert announcer.args[:5] == ("Lab", port, fp, True, True) and announcer.started
    assert list(announcer.args[5]) == [host for host, _ in p.hosted.endpoints]
    assert [inv.room_name for inv in view.invitations] == ["Lab"]  # type: ignore[attr-defined]
    harness.until(lambda: p.online, "host joined")
    assert p.encrypted is True and p.room_name == "Lab"
    hosted = p.hosted
    wait_until(lambda: not hosted._results.empty(), what="the check's answer")
    p.hosting_tick()  # the window's timer
    assert hosted.problems == [PROBLEM.message] and view.host_warnings == [PROBLEM.message]
    p.hosting_tick()  # nothing new: nothing shown again
    assert view.host_warnings == [PROBLEM.message]
    wait_until(lambda: 1 in announcer.updates, what="the host counted", timeout=10)
    p.leave()
    assert announcer.closed and p.hosted is None


def test_hosting_shows_each_problem_once_as_a_line_and_a_status_warning(
    harness: Harness,
) -> None:
    p, view = harness.presenter, harness.view
    assert p.host(0, "ann", None) is None
    assert p.hosted is not None
    hosted = p.hosted
    wait_until(lambda: not hosted._results.empty(), what="the check's answer")
    p.hosting_tick()
    p.hosting_tick()
    assert view.host_warnings == [PROBLEM.message]
    assert view.texts().count(PROBLEM.message) == 1


def test_no_announcing_when_the_host_said_so(harness: Harness) -> None:
    assert harness.presenter.host(0, "ann", None, HostOptions(announce=False)) is None
    assert FakeAnnouncer.made == []


# --- the join dialog's "Rooms on this network" ---------------------------------------


class FakeBrowser:
    """A Browser that has heard ``rooms``."""

    def __init__(self, rooms: list[FoundRoom]) -> None:
        self._rooms = rooms
        self.error: str | None = None
        self.closed = False

    def rooms(self) -> list[FoundRoom]:
        return list(self._rooms)

    def close(self, timeout: float = 0.0) -> bool:
        self.closed = True
        return True


@pytest.mark.gui
def test_a_room_found_on_the_network_joins_pinned_by_its_announced_fingerprint(
    tk_root: tk.Tk, tls_room: RoomServer, lan: LanServices
) -> None:
    fp = tls_room.fingerprint
    assert fp is not None
    found = FoundRoom(
        "Ann's room", "127.0.0.1", int(tls_room.address[1]), ("127.0.0.1",), fp, False, False, 2, 1
    )
    browsers: list[FakeBrowser] = []

    def browser() -> FakeBrowser:
        browsers.append(FakeBrowser([found]))
        return browsers[-1]

    app = ChatApp(tk_root, Settings(), save=lambda _s: None, lan=LanServices(browser=browser))
    try:
        tk_root.update()
        app.show_login(None, LoginValues("bob", "127.0.0.1", 1234, ""), offer_host=True)
        dialog = app.dialog
        assert isinstance(dialog, LoginDialog) and dialog.finder is not None
        assert dialog.host_button is not None  # first start: "Host a room…" beside it
        wait_until(lambda: dialog.finder.rooms() == [found], what="listed", root=tk_root)
        row = dialog.finder.tree.item(dialog.finder.tree.get_children()[0], "values")
        assert found.short_fingerprint in row  # shown, to compare with the host's
        dialog.finder.join(found)  # what a double-click does
        wait_until(lambda: app.online, what="joined the found room", root=tk_root)
        assert app.identity_dialog is None  # pinned: nothing to ask
        assert app.presenter.encrypted is True and app.presenter.room_name == "Ann's room"
        assert browsers and browsers[0].closed  # the dialog closed: browsing stopped
    finally:
        app.quit()
        assert app.presenter.wait_stopped(3.0)
