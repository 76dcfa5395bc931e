"""A Redis room's failure cases, with a real redis-server and server processes.

A server killed with SIGKILL: its members given both addresses move to the
other server and miss nothing, a line typed meanwhile arrives exactly once,
and the members who could not move are announced gone by the survivor.
Redis restarted (persistence off): the room gets a new epoch, every member
is back, lines cross again with ids above the old ones; the old history is
what is lost.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import pytest
from rediskit import Events, RedisProcess, redis_server, shared_server, spawn  # noqa: F401
from test_redis_room import joined

from desktopchat.client import ChatClient
from desktopchat.protocol import events as ev

pytestmark = pytest.mark.timeout(90)


def test_members_of_a_killed_server_move_and_miss_nothing(
    redis_server: RedisProcess,  # noqa: F811
    make_client: Any,
    tmp_path: Path,
) -> None:
    proc, port = spawn(redis_server.url, "r", tmp_path)
    survivor = shared_server(redis_server.url, "r", rate_limits=None)
    try:
        there = ("127.0.0.1", port)
        ann_client: ChatClient = make_client(there, "ann", alternatives=[survivor.address])
        ann_client.start()
        ann = Events(ann_client)
        ann.wait(lambda e: isinstance(e, ev.Replay), "ann to join")
        carol = Events(make_client(there, "carol", reconnect=False))
        carol.client.start()
        carol.wait(lambda e: isinstance(e, ev.Replay), "carol to join")
        bob = joined(make_client, survivor, "bob")
        bob.client.send("before")
        ann.wait(lambda e: isinstance(e, ev.Message) and e.text == "before", "the first line")

        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for i in range(5):
            bob.client.send(f"while away {i}")
        cid = ann_client.send("typed while away")

        ann.wait(lambda e: isinstance(e, ev.Connected) and e.resumed, "ann to come back")
        assert ann_client.port == survivor.address[1]  # on the other server
        ann.wait(lambda e: cid in ann.acks(), "ann's line acknowledged")
        bob.wait(lambda e: len(bob.texts()) == 1, "ann's line at bob")
        ann.wait(lambda e: len(ann.texts()) == 6, "everything bob said")
        assert [t for _, t in ann.texts()] == ["before", *(f"while away {i}" for i in range(5))]
        assert [t for _, t in bob.texts()] == ["typed while away"]  # once
        # carol had nowhere to go: the survivor announces her leave.
        bob.wait(lambda e: isinstance(e, ev.Left) and e.name == "carol", "carol's leave")
        assert everyone_listed(bob, {"ann", "bob"})  # ann is in: she moved
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        survivor.stop()


def test_servers_recover_when_redis_restarts(
    redis_server: RedisProcess,  # noqa: F811
    make_client: Any,
) -> None:
    a = shared_server(redis_server.url, rate_limits=None)
    b = shared_server(redis_server.url, rate_limits=None)
    try:
        ann, bob = joined(make_client, a, "ann"), joined(make_client, b, "bob")
        ann.client.send("old line")
        bob.wait(lambda e: isinstance(e, ev.Message), "the old line")
        old_epoch = a._room.epoch
        (old_id,) = [id_ for id_, _ in bob.texts()]

        redis_server.kill()
        redis_server.start()  # the same port, nothing kept

        for events in (ann, bob):
            events.wait(
                lambda e: isinstance(e, ev.Connected) and e.epoch != old_epoch,
                "a new epoch, members back",
                timeout=20.0,
            )
        assert a._room.epoch == b._room.epoch != old_epoch
        ann.client.send("new line")
        bob.wait(lambda e: len(bob.texts()) == 2, "the new line")
        new_id = bob.texts()[1][0]
        assert new_id is not None and old_id is not None and new_id > old_id
        carol = joined(make_client, a, "carol")  # the old history is what was lost
        replay = carol.wait(lambda e: isinstance(e, ev.Replay), "carol's replay")
        assert isinstance(replay, ev.Replay)
        assert [e.text for e in replay.events if isinstance(e, ev.Message)] == ["new line"]
    finally:
        a.stop()
        b.stop()


def test_an_outage_of_redis_loses_nothing(
    redis_server: RedisProcess,  # noqa: F811
    make_client: Any,
) -> None:
    a = shared_server(redis_server.url, rate_limits=None)
    b = shared_server(redis_server.url, rate_limits=None)
    try:
        ann, bob = joined(make_client, a, "ann"), joined(make_client, b, "bob")
        epoch = a._room.epoch
        assert redis_server.proc is not None
        redis_server.proc.send_signal(signal.SIGSTOP)
        try:
            cid = ann.client.send("during the outage")
            # The outage itself (longer than a heartbeat's life), not a wait for anything.
            time.sleep(4.0)
        finally:
            redis_server.proc.send_signal(signal.SIGCONT)
        ann.until(lambda w: cid in w.acks(), "the ok once Redis is back")
        bob.until(lambda w: [t for _, t in w.texts()] == ["during the outage"], "the line")
        assert a._room.epoch == b._room.epoch == epoch  # nothing was lost: same epoch
        # Whoever was buried while Redis stood still claimed their name again.
        carol = joined(make_client, b, "carol")
        assert everyone_listed(carol, {"ann", "bob", "carol"})
    finally:
        a.stop()
        b.stop()


def everyone_listed(events: Events, names: set[str]) -> bool:
    """Ask for the member list (at most 50 times) until it is ``names``."""
    for _ in range(50):
        before = _lists(events)
        if before and set(before[-1].names) == names:
            return True
        events.client.send("/who")
        events.until(lambda w: len(_lists(w)) > len(before), "the list")  # noqa: B023
    return False


def _lists(events: Events) -> list[ev.UserList]:
    return [e for e in events.seen if isinstance(e, ev.UserList)]
