"""A room on several servers (Redis) found as one room, for real, in a private namespace.

Nothing here sends multicast on this machine's interfaces: zeroconf, the
redis-server and the ``--serve --redis`` processes all run in a child process
started with ``unshare -rn`` (see netns.py); netns_discovery_servers.py prints
what it saw as JSON.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from netns import run_in_namespace

from desktopchat.net.invite import parse_join_target

pytestmark = pytest.mark.slow

LAN = "10.77.0.1"


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    """One run of the whole scenario (about half a minute: every step is real mDNS)."""
    found = run_in_namespace("netns_discovery_servers.py", timeout=180)
    if "skipped" in found:
        if os.environ.get("DESKTOPCHAT_REQUIRE_REDIS"):
            pytest.fail(found["skipped"])
        pytest.skip(found["skipped"])
    return found


def test_two_servers_of_one_room_are_listed_once_with_both_addresses(
    report: dict[str, Any],
) -> None:
    first, second = sorted(report["ports"][:2])
    [room] = report["listed"]
    assert room["name"] == "Lab"
    assert room["servers"] == 2
    assert (room["host"], room["port"]) == (LAN, first)  # the same first server every time
    assert [LAN, second] in room["others"]
    assert room["room_id"] and len(room["room_id"]) == 16


def test_announcements_follow_servers_coming_and_going(report: dict[str, Any]) -> None:
    # A server started with --no-announce is announced by the others (alt=),
    # and dropped from their announcements when it stops.
    first, second, quiet = report["ports"]
    assert report["with_quiet"] == sorted([[LAN, first], [LAN, second], [LAN, quiet]])
    assert report["after_quiet"] == sorted([[LAN, first], [LAN, second]])


def test_joining_from_the_list_moves_to_the_other_server_when_one_dies(
    report: dict[str, Any],
) -> None:
    first, second = sorted(report["ports"][:2])
    target = report["target"]
    assert target["address"] == [LAN, first]
    assert target["alternatives"] == [[LAN, second]]
    assert report["joined"] is True
    assert report["members"] == 1  # each server counts its own; the room shows the sum
    assert report["moved"] is True
    assert report["now_on"] == second
    assert report["acknowledged"] is True
    # The dead server's record lingers (no goodbyes), but the survivor no longer
    # lists it, so it is not in the room's entry any more.
    survivor = report["survivor"]
    assert survivor is not None
    assert (survivor["port"], survivor["servers"], survivor["others"]) == (second, 1, [])


def test_discover_prints_one_line_with_every_address(report: dict[str, Any]) -> None:
    first, second = sorted(report["ports"][:2])
    found = report["discover"]
    assert found["rc"] == 0
    [line] = [line for line in found["stdout"].splitlines() if line.startswith("Lab  ")]
    assert line.endswith("(1 person, 2 servers)")
    target = parse_join_target(line.split()[1])
    assert (target.host, target.port) == (LAN, first)
    assert target.alternatives == [(LAN, second)]
    assert target.fingerprint == report["target"]["fingerprint"]
