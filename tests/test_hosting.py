"""desktopchat.net.hosting: a hosted room's invitation, announcement decision and check.

The announcement itself is multicast: it is exercised only inside a private
network namespace (tests/test_cli_invite.py); here announcing is off or
impossible (a room on 127.0.0.1).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from waiting import TIMEOUT

from desktopchat.net.hosting import Publicity
from desktopchat.net.reachability import Problem, Trouble

FP = "ab" * 32


@dataclass
class FakeServer:
    address: tuple[str, int]
    fingerprint: str | None = FP
    member_count: int = 0


def test_invitation_for_a_room_bound_to_one_address() -> None:
    publicity = Publicity(FakeServer(("192.0.2.7", 4000)), "Lab", password_needed=True)
    invitation = publicity.invitation
    assert invitation.addresses == [("192.0.2.7", 4000)]
    assert invitation.link() == f"desktopchat://192.0.2.7:4000?fp={FP}&pw=1&name=Lab"


def test_loopback_room_is_not_announced_and_warns() -> None:
    got: list[list[Problem]] = []
    done = threading.Event()

    def on_problems(problems: list[Problem]) -> None:
        got.append(problems)
        done.set()

    publicity = Publicity(
        FakeServer(("127.0.0.1", 4000)), "Lab", password_needed=False, on_problems=on_problems
    )
    publicity.start()
    assert done.wait(TIMEOUT)
    assert [p.trouble for p in got[0]] == [Trouble.LOOPBACK_ONLY]
    assert publicity.not_announced == "the room listens on 127.0.0.1 only"
    publicity.close()


def test_reasons_not_to_announce() -> None:
    off = Publicity(FakeServer(("192.0.2.7", 1)), "r", password_needed=False, announce=False)
    off.start()
    assert off.not_announced == "announcing is turned off (--no-announce)"
    plain = Publicity(FakeServer(("192.0.2.7", 1), fingerprint=None), "r", password_needed=False)
    plain.start()
    assert plain.not_announced == "the room has no certificate (announced rooms are encrypted)"
    assert "fp=" not in plain.invitation.link()
    lonely = Publicity(FakeServer(("0.0.0.0", 1)), "r", password_needed=False)
    lonely.endpoints = [("127.0.0.1", 1)]  # as join_endpoints says with no network
    lonely.start()
    assert lonely.not_announced == "this computer has no network address besides 127.0.0.1"
