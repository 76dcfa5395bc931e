"""Rooms on the network, for real: zeroconf inside a private network namespace.

Nothing here sends multicast on this machine's interfaces: every zeroconf runs
in a child process started with ``unshare -rn`` (see netns.py); the scripts
netns_discovery.py and netns_roomfinder.py print what they saw as JSON.
"""

from __future__ import annotations

from typing import Any

import pytest
from netns import run_in_namespace

from desktopchat.net.invite import parse_join_target

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    """One run of the whole scenario (it takes seconds: every step is real mDNS)."""
    return run_in_namespace("netns_discovery.py")


def by_name(rooms: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {room["name"]: room for room in rooms}


def test_announced_room_is_found_with_its_txt_fields(report: dict[str, Any]) -> None:
    alice = by_name(report["first"])["Alice's room"]
    assert alice["port"] == report["port"]
    assert alice["host"] == "127.0.0.1"  # the only address in the namespace
    assert alice["fingerprint"] == report["fingerprint"]
    assert alice["password_needed"] is True
    assert alice["encrypted_only"] is False
    assert alice["version"] == 2
    assert alice["members"] == 0


def test_malformed_records_are_ignored(report: dict[str, Any]) -> None:
    # Every hostile record was heard (and logged as ignored), none is listed;
    # the one valid record of the same announcer is.
    labels = {name.split(".")[0] for name in report["ignored"]}
    assert labels == {
        "bad fp",
        "short fp",
        "bad utf8",
        "long name",
        "bad count",
        "no version",
        "bad flag",
        "no fp",
        "multicast only",
        "escape in name",
    }
    assert set(by_name(report["first"])) == {"Alice's room", "Control \u2615 room"}


def test_a_member_joining_updates_the_count(report: dict[str, Any]) -> None:
    assert by_name(report["joined"])["Alice's room"]["members"] == 1


def test_discover_prints_the_link_with_the_rooms_fingerprint(report: dict[str, Any]) -> None:
    found = report["discover"]
    assert found["rc"] == 0, found["stderr"]
    line = next(line for line in found["stdout"].splitlines() if line.startswith("Alice's room"))
    link = line.split()[2]
    assert link.startswith("desktopchat://")
    target = parse_join_target(link)
    assert (target.host, target.port) == ("127.0.0.1", report["port"])
    assert target.fingerprint == report["fingerprint"]
    assert "(1 person, password needed)" in line
    # The name with a terminal escape was refused: nothing raw reaches the console.
    assert "\x1b" not in found["stdout"]
    assert "Control \u2615 room  desktopchat://127.0.0.1:4001?" in found["stdout"]


def test_close_removes_the_room(report: dict[str, Any]) -> None:
    assert report["closed_in_time"] is True
    assert "Alice's room" not in by_name(report["after_close"])


def test_discover_finding_nothing_says_what_blocks_it(report: dict[str, Any]) -> None:
    empty = report["empty"]
    assert empty["rc"] == 1
    assert empty["stdout"] == ""
    hint = " ".join(empty["stderr"].split())
    assert "client isolation" in hint
    assert '"Public"' in hint
    assert "subnet" in hint
    assert "paste its link or address" in hint
