"""gui/roomfinder.py: "Rooms on this network" in a real Tk window.

The end-to-end test runs the window inside a private network namespace with a
real Browser and a real announced room (netns_roomfinder.py). The others feed
the widget from a stand-in browser holding real FoundRoom records (read by
room_from_record), so no zeroconf runs in this process: nothing here sends
multicast on this machine's interfaces.
"""

from __future__ import annotations

import tkinter as tk
from typing import Any

import pytest
from guitools import press_key, press_return, pump
from netns import run_in_namespace
from waiting import wait_until

from desktopchat.gui.roomfinder import FOUND, SEARCHING, RoomFinder
from desktopchat.net.discovery import NOTHING_FOUND_HINT
from desktopchat.net.invite import JoinTarget
from desktopchat.net.roommerge import merge_rooms
from desktopchat.net.roomrecord import FoundRoom, room_from_record, room_id, txt_record

pytestmark = pytest.mark.gui

FP = "0123456789abcdef" * 4


def found(name: str, port: int = 1234, members: int = 0, password: bool = False) -> FoundRoom:
    record = txt_record(name, FP, password_needed=password, encrypted_only=False, members=members)
    wire: dict[bytes, bytes | None] = {k.encode(): v.encode() for k, v in record.items()}
    room = room_from_record(wire, port, ["192.168.1.20"], key=f"{name} ({port})")
    assert room is not None
    return room


class StandInBrowser:
    """A Browser's interface, fed by the test."""

    def __init__(self) -> None:
        self.error: str | None = None
        self.found: list[FoundRoom] = []
        self.closed = False

    def rooms(self) -> list[FoundRoom]:
        return list(self.found)

    def close(self, timeout: float = 0.0) -> bool:
        self.closed = True
        return True


def make(
    root: tk.Tk, hint_after: float = 60
) -> tuple[RoomFinder, StandInBrowser, list[JoinTarget]]:
    browser = StandInBrowser()
    joined: list[JoinTarget] = []
    finder = RoomFinder(
        root, joined.append, browser_factory=lambda: browser, poll_ms=20, hint_after=hint_after
    )
    finder.pack(fill="both", expand=True)
    root.update()
    return finder, browser, joined


def rows(finder: RoomFinder) -> list[list[Any]]:
    return [list(finder.tree.item(i, "values")) for i in finder.tree.get_children()]


@pytest.mark.slow
def test_a_room_on_the_network_appears_and_double_click_joins_it() -> None:
    report = run_in_namespace("netns_roomfinder.py")
    assert report["errors"] == []
    assert report["found"] is True
    short = " ".join(report["fingerprint"][i : i + 4] for i in range(0, 16, 4))
    assert report["rows"] == [["Alice's room", f"127.0.0.1:{report['port']}", "0", "none", short]]
    assert report["status"] == FOUND
    for how in ("double_click", "return"):
        [target] = report[how]
        assert (target["host"], target["port"]) == ("127.0.0.1", report["port"])
        assert target["fingerprint"] == report["fingerprint"]  # pinned by the announcement
        assert target["room_name"] == "Alice's room"
    assert report["gone"] is True


def test_list_follows_the_browser(tk_root: tk.Tk) -> None:
    finder, browser, _ = make(tk_root)
    assert finder.status.cget("text") == SEARCHING
    browser.found = [found("Beta", 2000), found("Alpha", 1000, members=2, password=True)]
    wait_until(lambda: len(finder.tree.get_children()) == 2, root=tk_root)
    assert rows(finder) == [
        ["Beta", "192.168.1.20:2000", "0", "none", "0123 4567 89ab cdef"],
        ["Alpha", "192.168.1.20:1000", "2", "needed", "0123 4567 89ab cdef"],
    ]
    assert finder.status.cget("text") == FOUND
    finder.tree.selection_set(finder.tree.get_children()[1])  # Alpha
    browser.found = [found("Alpha", 1000, members=3, password=True)]
    wait_until(lambda: len(finder.tree.get_children()) == 1, root=tk_root)
    wait_until(lambda: rows(finder)[0][2] == "3", root=tk_root)
    selected = finder.selected()
    assert selected is not None and selected.name == "Alpha"  # the selection survives updates
    browser.found = []
    wait_until(lambda: not finder.tree.get_children(), root=tk_root)
    assert finder.selected() is None


def test_nothing_found_shows_what_blocks_discovery(tk_root: tk.Tk) -> None:
    finder, browser, _ = make(tk_root, hint_after=0.2)
    wait_until(lambda: finder.status.cget("text") == NOTHING_FOUND_HINT, root=tk_root)
    browser.found = [found("Late")]
    wait_until(lambda: finder.status.cget("text") == FOUND, root=tk_root)


def test_browser_error_is_shown_with_what_to_do(tk_root: tk.Tk) -> None:
    finder, browser, _ = make(tk_root)
    browser.error = "cannot look for rooms on the network: no interface"
    wait_until(lambda: "no interface" in finder.status.cget("text"), root=tk_root)
    assert "Type the room's address" in finder.status.cget("text")


def test_return_joins_the_selected_room_and_only_then_is_consumed(tk_root: tk.Tk) -> None:
    outer: list[str] = []
    tk_root.bind("<Return>", lambda e: outer.append("dialog OK"))
    finder, browser, joined = make(tk_root)
    press_return(finder.tree)  # nothing selected: the dialog's Return still works
    assert joined == [] and outer == ["dialog OK"]
    browser.found = [found("Alpha", 1000, password=True)]
    wait_until(lambda: finder.tree.get_children(), root=tk_root)
    finder.tree.selection_set(finder.tree.get_children()[0])
    press_return(finder.tree)
    assert outer == ["dialog OK"]
    [target] = joined
    assert (target.host, target.port, target.fingerprint) == ("192.168.1.20", 1000, FP)
    assert target.password_needed is True


def test_keyboard_alone_picks_and_joins_a_room(tk_root: tk.Tk) -> None:
    finder, browser, joined = make(tk_root)
    browser.found = [found("Alpha", 1000), found("Beta", 2000)]
    wait_until(lambda: len(finder.tree.get_children()) == 2, root=tk_root)
    press_key(finder.tree, "Down")  # tabbing in selected Alpha; Down moves to Beta
    selected = finder.selected()
    assert selected is not None and selected.name == "Beta"
    press_return(finder.tree)
    assert [t.port for t in joined] == [2000]


def test_destroying_the_finder_stops_browsing(tk_root: tk.Tk) -> None:
    finder, browser, _ = make(tk_root)
    finder.destroy()
    assert browser.closed
    pump(tk_root, 0.1)  # no poll runs on the destroyed widget (tk_root fails the test if so)


def test_a_room_on_two_servers_is_one_row_and_joins_with_every_address(tk_root: tk.Tk) -> None:
    def server(host: str, port: int, members: int, other: tuple[str, int]) -> FoundRoom:
        record = txt_record(
            "Lab",
            FP,
            password_needed=False,
            encrypted_only=False,
            members=members,
            alternatives=[other],
            room=room_id("desktopchat:lab:e1"),
        )
        wire: dict[bytes, bytes | None] = {k.encode(): v.encode() for k, v in record.items()}
        room = room_from_record(wire, port, [host], key=f"Lab ({port})")
        assert room is not None
        return room

    finder, browser, joined = make(tk_root)
    first = server("192.168.1.20", 1234, 2, ("192.168.1.21", 1235))
    second = server("192.168.1.21", 1235, 3, ("192.168.1.20", 1234))
    browser.found = merge_rooms([first, second])
    wait_until(lambda: finder.tree.get_children(), root=tk_root)
    assert rows(finder) == [["Lab", "192.168.1.20:1234 (+1)", "5", "none", "0123 4567 89ab cdef"]]
    finder.tree.selection_set(finder.tree.get_children()[0])
    browser.found = merge_rooms([second])  # one server went: the same row, now its address
    wait_until(lambda: rows(finder)[0][1] == "192.168.1.21:1235 (+1)", root=tk_root)
    assert len(finder.tree.get_children()) == 1
    assert finder.selected() is not None  # the row (and its selection) stayed
    press_return(finder.tree)
    [target] = joined
    assert (target.host, target.port, target.fingerprint) == ("192.168.1.21", 1235, FP)
    assert target.alternatives == [("192.168.1.20", 1234)]
