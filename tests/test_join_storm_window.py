"""A big room in a real window (docs/PROTOCOL.md, "Big rooms"): the user list's
count and pages, and a member set that stays exact through coalesced joins,
leaves and renames. Real server (big above 5 members, its coalescing second
stretched to a minute: a rename sends what is pending), real ChatClient.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from guitools import transcript
from peer import Peer
from waiting import wait_until

from desktopchat.gui.app import ChatApp
from desktopchat.server import RoomServer

QUIET = 5


@pytest.fixture
def big_room() -> Iterator[RoomServer]:
    with RoomServer(
        "127.0.0.1",
        0,
        quiet_above=QUIET,
        rate_limits=None,
        upgrade_wait=0.05,
        max_per_address=None,
    ) as server:
        server._room.crowd.interval = 60.0
        yield server


def fill(address: tuple[str, int], names: list[str]) -> dict[str, Peer]:
    peers = {}
    for name in names:
        peers[name] = Peer.joined(address, name)
        peers[name].users()
    return peers


def listed(app: ChatApp) -> set[str]:
    return set(app.userlist.names())


def test_the_window_lists_a_big_room_in_pages_and_keeps_it_exact(
    app: ChatApp, big_room: RoomServer
) -> None:
    members = fill(big_room.address, [f"m{i}" for i in range(12)])
    app.join(*big_room.address, "ann")  # the 13th: offered crowd, a page of 5 and the count
    wait_until(lambda: app.presenter.online, what="joined", root=app.root)
    present = {f"m{i}" for i in range(12)} | {"ann"}
    # The list shows the count at once and fetches the rest while its end is in view.
    wait_until(lambda: listed(app) == present, what="every page", root=app.root)
    assert app.userlist.header.cget("text") == "In the room (13)"

    late = fill(big_room.address, ["late0", "late1", "late2"])
    members["m0"].send("/nick first")  # the pending joins are announced first
    present |= {"late0", "late1", "late2"}
    present = (present - {"m0"}) | {"first"}
    wait_until(lambda: listed(app) == present, what="joins and a rename", root=app.root)
    # Held since m5's (announced at once): m6 to m11, ann herself and the three.
    assert "10 joined: m6, m7, m8, m9, m10 and 5 more" in transcript(app)
    assert "m0 is now known as first" in transcript(app)

    late["late0"].close()
    wait_until(lambda: big_room.member_count == 15, what="late0 gone")
    members["m1"].close()
    wait_until(lambda: big_room.member_count == 14, what="m1 gone")
    members["m2"].send("/nick second")
    present = (present - {"late0", "m1", "m2"}) | {"second"}
    wait_until(lambda: listed(app) == present, what="leaves and a rename", root=app.root)
    assert "2 left: late0, m1" in transcript(app)
    assert app.userlist.header.cget("text") == "In the room (14)"
    for peer in [*members.values(), *late.values()]:
        peer.close()


def test_a_long_list_asks_for_the_next_page_only_when_scrolled_to_its_end(
    app: ChatApp, big_room: RoomServer
) -> None:
    members = fill(big_room.address, [f"m{i:02}" for i in range(60)])
    app.join(*big_room.address, "ann")
    # 5 names and ours fit the list: the next pages come until it is full.
    wait_until(lambda: len(listed(app)) >= 16, what="a full list", root=app.root)
    app.root.update()
    held = len(listed(app))
    assert held < 61 and app.userlist.header.cget("text") == "In the room (61)"
    last = app.userlist.listbox.get("end")
    assert last == f"… {61 - held} more"
    app.userlist.listbox.yview_moveto(1.0)  # scrolled to the end: the next page
    wait_until(lambda: len(listed(app)) > held, what="the next page", root=app.root)
    for peer in members.values():
        peer.close()


def test_the_user_list_keeps_the_count_of_names_it_does_not_hold(app: ChatApp) -> None:
    panel = app.userlist
    asked: list[int] = []
    panel.on_more = asked.append
    panel.set_own("ann")
    panel.page(["bob", "cy"], 0, 500, frozenset())
    assert set(panel.names()) == {"ann", "bob", "cy"}
    assert panel.header.cget("text") == "In the room (500)"
    assert panel.listbox.get("end") == "… 497 more"
    panel.came(["dee"], 501)
    panel.went(["bob", "zed"], 499)  # zed was never listed here: only the count moves
    assert set(panel.names()) == {"ann", "cy", "dee"} and panel.total == 499
    panel.add("eve")  # the room got small again: one by one
    panel.remove("yan")
    panel.rename("cy", "cyrus")
    assert set(panel.names()) == {"ann", "cyrus", "dee", "eve"} and panel.total == 499
    panel.page(["fay"], 2, 499, frozenset({"fay"}))
    assert "fay (unencrypted)" in panel.listbox.get(0, "end")
    app.root.update()
    assert asked == [3]  # all in view: the next page, after the last one, is wanted
    panel.listbox.selection_set("end")  # the "… N more" row, picked: asked again
    panel.listbox.focus_force()
    app.root.update()
    panel.listbox.event_generate("<Return>")
    assert asked == [3, 3]
    panel.set_names(["ann", "bob"])  # a whole list: the count is its length again
    assert panel.total == 2 and panel.header.cget("text") == "In the room (2)"
