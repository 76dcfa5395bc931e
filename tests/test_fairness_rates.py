"""Per-member rate limits (server/rates.py) in the Room, driven in memory.

The room's rate clock is a fake that moves only when told, so every refusal
here is exact. docs/PROTOCOL.md section 5 has the limits; test_fairness.py
has them on real sockets (finding 4 of issue 8).
"""

from __future__ import annotations

import pytest
from roomkit import Clock, Net, ids_in_log, joined

from desktopchat.bucket import TokenBucket
from desktopchat.protocol import events as ev
from desktopchat.server.rates import DEFAULT_RATE_LIMITS, RateLimits
from desktopchat.server.room import Room


def rooms(limits: RateLimits) -> tuple[Room, Net, Clock]:
    """A room with ``limits`` whose rate clock (returned) moves by hand."""
    monotonic = Clock()
    room = Room(history=100, clock=Clock(), rates=limits, monotonic=monotonic)
    return room, Net(room), monotonic


def answers(events: list[ev.Event]) -> list[ev.Accepted | ev.Rejected]:
    return [e for e in events if isinstance(e, ev.Accepted | ev.Rejected)]


def said(events: list[ev.Event]) -> list[str]:
    return [e.text for e in events if isinstance(e, ev.Message)]


SLOW_MESSAGES = "Slow down: at most 10 requests a second (30 at once); this was not sent."


def test_a_burst_of_30_goes_through_then_10_a_second() -> None:
    _room, net, monotonic = rooms(DEFAULT_RATE_LIMITS)
    ann, bob = joined(net, "ann", "bob")
    for i in range(35):
        ann.send(ev.Message(f"m{i}", cid=i + 1))
    got = answers(ann.take())
    assert [type(a) for a in got] == [ev.Accepted] * 30 + [ev.Rejected] * 5
    assert {a.reason for a in got if isinstance(a, ev.Rejected)} == {SLOW_MESSAGES}
    assert said(bob.take()) == [f"m{i}" for i in range(30)]  # the refused ones went nowhere

    monotonic.tick(0.5)  # 5 more tokens
    for i in range(35, 41):
        ann.send(ev.Message(f"m{i}", cid=i + 1))
    assert [type(a) for a in answers(ann.take())] == [ev.Accepted] * 5 + [ev.Rejected]
    assert said(bob.take()) == [f"m{i}" for i in range(35, 40)]


def test_a_refused_request_takes_no_id_and_no_place_in_history() -> None:
    room, net, _ = rooms(RateLimits(messages=1, message_burst=2))
    ann, _bob = joined(net, "ann", "bob")
    before = ids_in_log(room)
    for i in range(4):
        ann.send(ev.Message(f"m{i}", cid=i + 1))
    accepted = [a for a in answers(ann.take()) if isinstance(a, ev.Accepted)]
    assert [a.id for a in accepted] == [before[-1] + 1, before[-1] + 2]
    assert ids_in_log(room) == [*before, before[-1] + 1, before[-1] + 2]
    late = net.connect("late")
    replay = next(e for e in late.take() if isinstance(e, ev.Replay))
    assert [e.text for e in replay.events if isinstance(e, ev.Message)] == ["m0", "m1"]


def test_bytes_a_second_limit_text_and_an_oversize_message_passes_only_on_a_full_bucket() -> None:
    _room, net, monotonic = rooms(RateLimits(messages=0, bytes=1000, byte_burst=4000))
    ann, bob = joined(net, "ann", "bob")
    for i in range(5):
        ann.send(ev.Message(f"{i}" * 1000, cid=i + 1))
    got = answers(ann.take())
    assert [type(a) for a in got] == [ev.Accepted] * 4 + [ev.Rejected]
    assert got[-1] == ev.Rejected(
        5, "Slow down: at most 1000 bytes of text a second (4000 bytes at once); this was not sent."
    )
    monotonic.tick(4.0)  # full again
    ann.send(ev.Message("x" * 10_000, cid=6))  # more than the burst: passes, leaves a debt
    ann.send(ev.Message("y", cid=7))
    assert [type(a) for a in answers(ann.take())] == [ev.Accepted, ev.Rejected]
    monotonic.tick(6.0)  # the debt (6,000) is paid, nothing saved yet
    ann.send(ev.Message("z", cid=8))
    assert [type(a) for a in answers(ann.take())] == [ev.Rejected]
    monotonic.tick(0.01)
    ann.send(ev.Message("z", cid=9))
    assert [type(a) for a in answers(ann.take())] == [ev.Accepted]
    assert said(bob.take()) == [f"{i}" * 1000 for i in range(4)] + ["x" * 10_000, "z"]


def test_text_is_counted_in_utf8_bytes() -> None:
    _room, net, _ = rooms(RateLimits(messages=0, bytes=1, byte_burst=300))
    (ann,) = joined(net, "ann")
    ann.send(ev.Message("é" * 100, cid=1))  # 200 bytes
    ann.send(ev.Message("é" * 100, cid=2))  # 400 > 300
    assert [type(a) for a in answers(ann.take())] == [ev.Accepted, ev.Rejected]


def test_nick_spam_is_refused_after_3_and_the_name_stays() -> None:
    room, net, monotonic = rooms(DEFAULT_RATE_LIMITS)
    ann, bob = joined(net, "ann", "bob")
    for i in range(6):
        ann.send(ev.NickChange(f"ann{i}", cid=i + 1))
    got = answers(ann.take())
    assert [type(a) for a in got] == [ev.Accepted] * 3 + [ev.Rejected] * 3
    assert got[-1] == ev.Rejected(
        6, "Slow down: at most 3 renames at once and one every 5 s; you keep your name."
    )
    renames = [(e.old, e.new) for e in bob.take() if isinstance(e, ev.NickChange)]
    assert renames == [("ann", "ann0"), ("ann0", "ann1"), ("ann1", "ann2")]
    assert ann.conn.name == "ann2" and list(room.members) == ["ann2", "bob"]
    monotonic.tick(5.0)
    ann.send(ev.NickChange("ann9", cid=7))
    assert [type(a) for a in answers(ann.take())] == [ev.Accepted]
    # Renames also count as requests, but chat is not held back by the rename limit.
    ann.send(ev.Message("still talking", cid=8))
    assert [type(a) for a in answers(ann.take())] == [ev.Accepted]


def test_every_kind_of_request_counts_toward_the_request_limit() -> None:
    _room, net, _ = rooms(RateLimits(messages=1, message_burst=4, nicks=0))
    ann, _bob = joined(net, "ann", "bob")
    ann.send(ev.Who(cid=1))
    ann.send(ev.Help(cid=2))
    ann.send(ev.Private("psst", to="bob", cid=3))
    ann.send(ev.Action("waves", cid=4))
    ann.send(ev.Who(cid=5))
    got = answers(ann.take())
    assert [type(a) for a in got] == [ev.Accepted] * 4 + [ev.Rejected]
    assert got[-1].cid == 5


def test_a_resend_of_an_accepted_request_is_free() -> None:
    _room, net, _ = rooms(RateLimits(messages=1, message_burst=1))
    ann, bob = joined(net, "ann", "bob")
    ann.send(ev.Message("once", cid=1))
    first = answers(ann.take())
    assert [type(a) for a in first] == [ev.Accepted]
    ann.send(ev.Message("once", cid=1))  # the bucket is empty, but this is a resend
    assert answers(ann.take()) == first
    assert said(bob.take()) == ["once"]


def test_a_protocol_1_member_gets_an_error_pair_and_nothing_is_relayed() -> None:
    _room, net, _ = rooms(RateLimits(messages=1, message_burst=2))
    (bob,) = joined(net, "bob")
    old = net.connect_v1("tut")
    old.take()
    bob.take()
    for i in range(3):
        old.write(f"m{i}")
    slow = "Slow down: at most 1 request a second (2 at once); this was not sent."
    assert old.take() == [("*error", slow)]
    assert said(bob.take()) == ["m0", "m1"]


def test_members_have_their_own_buckets_and_leaving_forgets_them() -> None:
    room, net, _ = rooms(RateLimits(messages=1, message_burst=1))
    ann, bob = joined(net, "ann", "bob")
    ann.send(ev.Message("a", cid=1))
    bob.send(ev.Message("b", cid=1))
    assert [type(a) for a in answers(ann.take())] == [ev.Accepted]
    assert [type(a) for a in answers(bob.take())] == [ev.Accepted]
    net.drop(ann)
    net.drop(bob)
    assert room._buckets == {}


def test_no_limits_when_off() -> None:
    _room, net, _ = rooms(RateLimits(messages=0, bytes=0, nicks=0))
    ann, bob = joined(net, "ann", "bob")
    for i in range(200):
        ann.send(ev.Message(f"m{i}", cid=i + 1))
    assert all(isinstance(a, ev.Accepted) for a in answers(ann.take()))
    assert len(said(bob.take())) == 200


def test_token_bucket_refills_up_to_its_burst_and_gives_back() -> None:
    bucket = TokenBucket(rate=2.0, burst=4.0, now=0.0)
    assert [bucket.take(1, 0.0) for _ in range(5)] == [True] * 4 + [False]
    assert bucket.take(1, 0.5) and not bucket.take(1, 0.5)
    assert [bucket.take(1, 100.0) for _ in range(5)] == [True] * 4 + [False]  # capped at 4
    bucket.give_back(1)
    assert bucket.take(1, 100.0)
    assert bucket.wait(1, 100.0) == pytest.approx(0.5) and bucket.wait(1, 100.5) == 0.0
    assert bucket.wait(10, 100.5) == pytest.approx(1.5)  # more than the burst: until full
    with pytest.raises(ValueError):
        TokenBucket(rate=0.0, burst=1.0, now=0.0)
