"""One room on two servers through a real redis-server (rediskit.py starts it).

Messages cross both ways in order with the same ids; names are unique
room-wide; private messages, renames and the member list span both servers;
a resend on the other server is not carried out twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rediskit import Events, RedisProcess, redis_server, shared_server  # noqa: F401

from desktopchat.client import ChatClient
from desktopchat.protocol import events as ev

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def two(redis_server: RedisProcess) -> Iterator[tuple[Any, Any]]:  # noqa: F811
    a = shared_server(redis_server.url, rate_limits=None)
    b = shared_server(redis_server.url, rate_limits=None)
    yield a, b
    a.stop()
    b.stop()


def joined(make_client: Any, server: Any, name: str, **kwargs: Any) -> Events:
    client: ChatClient = make_client(server.address, name, **kwargs)
    client.start()
    events = Events(client)
    events.wait(lambda e: isinstance(e, ev.Replay), f"{name} to join")
    return events


def test_messages_cross_both_ways_in_order_with_the_same_ids(
    two: tuple[Any, Any], make_client: Any
) -> None:
    a, b = two
    ann, carol = joined(make_client, a, "ann"), joined(make_client, a, "carol")
    bob, dave = joined(make_client, b, "bob"), joined(make_client, b, "dave")
    sent: dict[str, list[int]] = {"ann": [], "bob": []}
    for i in range(10):
        sent["ann"].append(ann.client.send(f"a{i}"))
        sent["bob"].append(bob.client.send(f"b{i}"))
    for watcher in (carol, dave):
        watcher.until(lambda w: len(w.texts()) == 20, "all 20 lines")
    assert carol.texts() == dave.texts()  # same ids, same order on both servers
    ids = [id_ or 0 for id_, _ in carol.texts()]
    assert ids == sorted(ids) and len(set(ids)) == 20
    for events, author, other in ((ann, "ann", "b"), (bob, "bob", "a")):
        events.until(lambda w: len(w.acks()) == 10, f"{author}'s acks")
        acked = [events.acks()[cid] for cid in sent[author]]
        mine = [id_ for id_, text in carol.texts() if text.startswith(author[0])]
        assert acked == mine  # the ok's id is the id everyone else sees
        events.until(lambda w: len(w.texts()) == 10, f"{author} to see the others")
        assert [t for _, t in events.texts()] == [f"{other}{i}" for i in range(10)]


def test_names_are_unique_across_servers(two: tuple[Any, Any], make_client: Any) -> None:
    a, b = two
    ann = joined(make_client, a, "alice")
    for name in ("ALICE", "AIice"):  # the same key; a capital I for the l
        other: ChatClient = make_client(b.address, name, reconnect=False)
        other.start()
        failed = Events(other).wait(lambda e: isinstance(e, ev.Failed), f"{name} refused")
        assert isinstance(failed, ev.Failed)
        assert name in failed.reason and "choose another" in failed.reason
    bob = joined(make_client, b, "bob")
    bob.client.send("/nick Alice")
    rejected = bob.wait(lambda e: isinstance(e, ev.Rejected), "the rename refused")
    assert isinstance(rejected, ev.Rejected) and "taken" in rejected.reason
    ann.client.close()
    bob.wait(lambda e: isinstance(e, ev.Left) and e.name == "alice", "alice's leave")
    again = joined(make_client, b, "AIice")  # free again once she left
    assert again.client.connected


def test_private_messages_renames_and_the_member_list_span_servers(
    two: tuple[Any, Any], make_client: Any
) -> None:
    a, b = two
    ann = joined(make_client, a, "ann")
    bob = joined(make_client, b, "bob")
    listed = bob.wait(lambda e: isinstance(e, ev.UserList), "bob's member list")
    assert isinstance(listed, ev.UserList) and set(listed.names) == {"ann", "bob"}
    bob.client.send("/msg ann psst")
    private = ann.wait(lambda e: isinstance(e, ev.Private), "the private message")
    assert isinstance(private, ev.Private) and (private.sender, private.text) == ("bob", "psst")
    bob.client.send("/msg nobody hi")
    no = bob.wait(lambda e: isinstance(e, ev.Rejected), "no such user")
    assert isinstance(no, ev.Rejected) and no.reason == "No such user: nobody."
    ann.client.send("/nick anna")
    renamed = bob.wait(lambda e: isinstance(e, ev.NickChange), "the rename")
    assert isinstance(renamed, ev.NickChange) and (renamed.old, renamed.new) == ("ann", "anna")
    carol = joined(make_client, b, "carol")
    users = carol.wait(lambda e: isinstance(e, ev.UserList), "carol's member list")
    assert isinstance(users, ev.UserList) and set(users.names) == {"anna", "bob", "carol"}


def test_a_resend_on_another_server_is_not_carried_out_twice(
    two: tuple[Any, Any], make_client: Any
) -> None:
    a, b = two
    watcher = joined(make_client, a, "watcher")
    ann = joined(make_client, a, "ann")
    cid = ann.client.send("only once")
    ann.wait(lambda e: isinstance(e, ev.Accepted), "the ok")
    first = ann.acks()[cid]
    token = ann.client.token
    ann.client.close()
    watcher.wait(lambda e: isinstance(e, ev.Left), "ann gone")
    # The same client (token) on the other server sends the same request again.
    moved: ChatClient = make_client(b.address, "ann")
    moved.token = token
    moved.start()
    again = Events(moved)
    again.wait(lambda e: isinstance(e, ev.Replay), "ann on the other server")
    assert moved.send("only once") == cid
    again.wait(lambda e: isinstance(e, ev.Accepted), "the ok again")
    assert again.acks()[cid] == first
    moved.send("after")
    watcher.wait(lambda e: isinstance(e, ev.Message) and e.text == "after", "the next line")
    assert [t for _, t in watcher.texts()] == ["only once", "after"]
