"""Discovery's bookkeeping without a network: RoomTable, and Announcer on a stand-in zeroconf.

No multicast here: the Announcer's zeroconf is replaced by a recorder (the
real thing runs only inside a private namespace, test_discovery_netns.py).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from waiting import wait_until

from desktopchat.net import discovery
from desktopchat.net.discovery import Announcer, RoomTable
from desktopchat.net.roomrecord import FoundRoom

FP = "ab" * 32


def room(name: str, members: int = 0) -> FoundRoom:
    return FoundRoom(name, "10.0.0.5", 1234, ("10.0.0.5",), FP, False, False, 2, members)


# --- RoomTable -------------------------------------------------------------------


def test_heard_then_settled_is_listed() -> None:
    table = RoomTable()
    assert table.heard("a")
    assert table.busy()
    job = table.next_name()
    assert job is not None and job[0] == "a"
    assert not table.busy()
    table.settle("a", job[1], room("A"))
    assert [r.name for r in table.rooms()] == ["A"]


def test_rooms_are_sorted_by_name() -> None:
    table = RoomTable()
    for name in ("b", "A", "c"):
        table.heard(name)
        job = table.next_name()
        assert job is not None
        table.settle(name, job[1], room(name))
    assert [r.name for r in table.rooms()] == ["A", "b", "c"]


def test_room_gone_while_resolving_never_comes_back() -> None:
    table = RoomTable()
    table.heard("a")
    job = table.next_name()
    assert job is not None
    table.gone("a")
    table.settle("a", job[1], room("A"))
    assert table.rooms() == []


def test_newer_event_while_resolving_wins() -> None:
    table = RoomTable()
    table.heard("a")
    old = table.next_name()
    assert old is not None
    table.heard("a")  # the TXT changed meanwhile: resolved again
    table.settle("a", old[1], room("A", members=1))
    assert table.rooms() == []
    new = table.next_name()
    assert new is not None
    table.settle("a", new[1], room("A", members=2))
    assert [r.members for r in table.rooms()] == [2]


def test_table_is_bounded_and_malformed_names_give_their_slot_back() -> None:
    table = RoomTable(limit=3)
    assert all(table.heard(name) for name in ("a", "b", "c"))
    assert not table.heard("d")  # over the limit: ignored
    assert table.heard("a")  # a known name still updates
    while table.busy():
        job = table.next_name()
        assert job is not None
        table.settle(job[0], job[1], None if job[0] == "b" else room(job[0]))
    assert [r.name for r in table.rooms()] == ["a", "c"]
    assert table.heard("d")  # b's slot is free again
    assert not table.heard("e")


def test_close_wakes_a_waiting_resolver() -> None:
    table = RoomTable()
    got: list[object] = []
    thread = threading.Thread(target=lambda: got.append(table.next_name()))
    thread.start()
    table.close()
    thread.join(5)
    assert got == [None]


# --- Announcer on a stand-in zeroconf -------------------------------------------


class FakeZeroconf:
    """Records what the announcer asks zeroconf to do, with when."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float, dict[bytes, bytes | None]]] = []
        self.lock = threading.Lock()

    def _note(self, what: str, info: Any) -> None:
        with self.lock:
            self.calls.append((what, time.monotonic(), dict(info.properties)))

    def register_service(self, info: Any, allow_name_change: bool = False) -> None:
        self._note("register", info)

    def update_service(self, info: Any) -> None:
        self._note("update", info)

    def unregister_service(self, info: Any) -> None:
        self._note("unregister", info)

    def close(self) -> None:
        with self.lock:
            self.calls.append(("close", time.monotonic(), {}))

    def kinds(self) -> list[str]:
        with self.lock:
            return [what for what, _, _ in self.calls]

    def last(self) -> dict[bytes, bytes | None]:
        """The TXT record announced last ({} before the first)."""
        with self.lock:
            records = [props for what, _, props in self.calls if what in ("register", "update")]
        return records[-1] if records else {}

    def counts(self) -> list[bytes | None]:
        with self.lock:
            return [props.get(b"n") for what, _, props in self.calls if what != "close"]


@pytest.fixture
def fake_zeroconf(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeZeroconf]:
    fake = FakeZeroconf()
    monkeypatch.setattr(discovery, "_start_zeroconf", lambda: fake)
    yield fake


def test_announcer_registers_updates_and_says_goodbye(fake_zeroconf: FakeZeroconf) -> None:
    announcer = Announcer(
        "Team\x1b.room", 4321, FP, True, True, addresses=["10.0.0.5"], min_interval=0.05
    )
    announcer.start()
    assert announcer.wait_announced(5)
    assert announcer.error is None
    assert announcer.registered_name is not None
    assert "\x1b" not in announcer.registered_name  # zeroconf refuses controls in a label
    announcer.update(2)
    wait_until(lambda: fake_zeroconf.counts()[-1:] == [b"2"])
    assert announcer.close(timeout=5)
    assert fake_zeroconf.kinds() == ["register", "update", "unregister", "close"]
    first = fake_zeroconf.calls[0][2]
    assert first[b"name"] == b"Team .room"  # no control reaches the network
    assert (first[b"pw"], first[b"enc"], first[b"n"]) == (b"1", b"1", b"0")


def test_member_count_updates_are_rate_limited(fake_zeroconf: FakeZeroconf) -> None:
    interval = 0.3
    announcer = Announcer(
        "Team", 4321, FP, False, False, addresses=["10.0.0.5"], min_interval=interval
    )
    announcer.start()
    assert announcer.wait_announced(5)
    for members in range(1, 8):  # people come and go quickly
        announcer.update(members)
        time.sleep(0.02)
    wait_until(lambda: fake_zeroconf.counts()[-1:] == [b"7"])
    announcer.close(timeout=5)
    sends = [(when, props) for what, when, props in fake_zeroconf.calls if what != "close"]
    # Never two announcements closer than the interval (unregistering excepted),
    # and the last count always goes out.
    times = [when for when, _ in sends[:-1]]
    assert all(b - a >= interval * 0.99 for a, b in itertools.pairwise(times))
    assert len(times) < 7
    assert sends[-2][1][b"n"] == b"7"


def test_an_unchanged_count_is_not_announced_again(fake_zeroconf: FakeZeroconf) -> None:
    announcer = Announcer("Team", 4321, FP, False, False, addresses=["10.0.0.5"], members=3)
    announcer.start()
    assert announcer.wait_announced(5)
    announcer.update(3)
    announcer.close(timeout=5)
    assert fake_zeroconf.kinds() == ["register", "unregister", "close"]


def test_a_zeroconf_that_cannot_start_is_a_warning_not_a_crash(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise OSError("no multicast-capable interface")

    monkeypatch.setattr(discovery, "_start_zeroconf", broken)
    announcer = Announcer("Team", 4321, FP, False, False, addresses=["10.0.0.5"])
    announcer.start()
    assert announcer.wait_announced(5)
    assert announcer.error is not None and "no multicast-capable interface" in announcer.error
    announcer.update(2)  # harmless
    assert announcer.close(timeout=5)
    browser = discovery.Browser()
    assert browser.wait_ready(5)
    assert browser.error is not None and "cannot look for rooms" in browser.error
    assert browser.rooms() == []
    assert browser.close(timeout=5)
    with pytest.raises(OSError, match="no multicast-capable interface"):
        discovery.discover(0.1)


def test_announcer_closed_before_it_starts_never_announces(fake_zeroconf: FakeZeroconf) -> None:
    announcer = Announcer("Team", 4321, FP, False, False, addresses=["10.0.0.5"])
    assert announcer.close(timeout=1)
    announcer.start()
    announcer.start()  # twice is harmless too
    assert fake_zeroconf.kinds() == []


def test_announcer_announces_ipv4_addresses_only(fake_zeroconf: FakeZeroconf) -> None:
    announcer = Announcer("Team", 4321, FP, False, False, addresses=["fe80::1", "10.0.0.5"])
    announcer.start()
    assert announcer.wait_announced(5)
    assert announcer.error is None
    announcer.close(timeout=5)
    nothing = Announcer("Team", 4322, FP, False, False, addresses=["fe80::1"])
    nothing.start()
    assert nothing.wait_announced(5)
    assert nothing.error is not None and "no IPv4 address" in nothing.error
    assert nothing.close(timeout=5)


def test_discovery_can_be_turned_off_for_a_whole_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # The real _start_zeroconf (conftest replaces it in every test): with the
    # variable set it refuses before zeroconf opens a socket.
    monkeypatch.undo()
    monkeypatch.setenv(discovery.NO_DISCOVERY_ENV, "1")
    with pytest.raises(OSError, match="DESKTOPCHAT_NO_DISCOVERY"):
        discovery._start_zeroconf()


def test_a_browser_closed_before_its_start_delay_never_starts_zeroconf(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[bool] = []

    def start() -> Any:
        started.append(True)
        raise OSError("not in tests")

    monkeypatch.setattr(discovery, "_start_zeroconf", start)
    browser = discovery.Browser(start_delay=30.0)
    assert browser.close(timeout=5.0), "the browser's thread did not end within 5 s"
    assert browser.wait_ready(0) and started == []
