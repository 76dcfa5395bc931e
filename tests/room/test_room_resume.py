"""The room, in memory (roomkit's Net): newcomers' history, and members coming
back: resuming after the last id seen, ghosts, other epochs, forgotten
stretches (gaps).
"""

from __future__ import annotations

from roomkit import START, Clock, Net, joined

from desktopchat.protocol import events as ev
from desktopchat.server.history import RESUME_EVENTS
from desktopchat.server.room import Room

# --- newcomers' history --------------------------------------------------------------------


def test_newcomer_gets_recent_chat_with_original_times(net: Net, clock: Clock) -> None:
    ann, bob = joined(net, "ann", "bob")  # 1, 2
    clock.tick()
    ann.send(ev.Message("one", cid=1))  # 3
    clock.tick()
    bob.send(ev.Action("waves", cid=1))  # 4
    ann.send(ev.Private("secret", to="bob", cid=2))  # 5: not history
    bob.send(ev.NickChange("bert", cid=2))  # 6: not history
    net.drop(bob)  # 7: not history
    clock.tick(100)
    carol = net.connect("carol")  # 8
    got = carol.take()
    assert got[2] == ev.Replay(
        (
            ev.Message("one", sender="ann", id=3, time=START + 1),
            ev.Action("waves", sender="bob", id=4, time=START + 2),
        ),
        resumed=False,
    )
    assert len(got) == 3
    assert carol.conn.last_id == 8  # the welcome's newest id; replayed ids are older


def test_protocol_1_newcomer_gets_the_history_pairs(net: Net) -> None:
    ann, bob = joined(net, "ann", "bob")
    ann.send(ev.Message("one", cid=1))
    bob.send(ev.Action("waves", cid=1))
    ann.send(ev.Private("secret", to="bob", cid=2))
    old = net.connect_v1("carol")
    assert old.take() == [
        ("*hello", "desktopchat 2"),
        ("*welcome", "Welcome to the room, carol! Type /help for commands."),
        ("*users", "ann bob carol"),
        ("*history", "2"),
        ("ann", "one"),
        ("*action", "bob waves"),
    ]


def test_newcomer_history_is_limited_to_the_newest(clock: Clock) -> None:
    net = Net(Room(history=2, clock=clock))
    (ann,) = joined(net, "ann")
    for i in range(5):
        ann.send(ev.Message(f"m{i}", cid=i))
    bob = net.connect("bob")
    replay = bob.take()[2]
    assert isinstance(replay, ev.Replay)
    assert [e.text for e in replay.events if isinstance(e, ev.Message)] == ["m3", "m4"]
    old = net.connect_v1("carol")
    assert old.take()[3:] == [("*history", "2"), ("ann", "m3"), ("ann", "m4")]


def test_no_history_no_history_pair(clock: Clock) -> None:
    net = Net(Room(history=0, clock=clock))
    (ann,) = joined(net, "ann")
    ann.send(ev.Message("m", cid=1))
    old = net.connect_v1("bob")
    assert [sender for sender, _ in old.take()] == ["*hello", "*welcome", "*users"]
    bob = net.connect("bob2")
    assert bob.take()[2] == ev.Replay((), resumed=False)


# --- resuming ------------------------------------------------------------------------------


def test_resume_replays_exactly_what_concerns_the_member(net: Net, clock: Clock) -> None:
    ann, bob, carol = joined(net, "ann", "bob", "carol")  # 1..3
    bob.send(ev.Message("before", cid=1))  # 4: ann saw it
    seen = ann.conn.last_id
    assert seen == 4
    ann.take()
    net.cut(ann)  # ann's network dies; the room does not notice yet
    clock.tick()
    # ann's last request reaches the room, but its ack never reaches ann.
    ann.member.session.receive_data(ann.conn.send(ev.Message("mine", cid=9)))
    net.settle()  # 5
    clock.tick()
    bob.send(ev.Private("are you there?", to="ann", cid=2))  # 6: sent to the ghost
    bob.send(ev.Message("while away", cid=3))  # 7
    bob.send(ev.Private("to carol", to="carol", cid=4))  # 8: not ann's business
    carol.send(ev.Action("waves", cid=1))  # 9
    net.drop(ann)  # 10: own leave
    dave = net.connect("dave")  # 11
    dave.take()
    assert ann.take() == []
    clock.tick()
    again = net.connect("ann", token=ann.conn.token, resume=(net.room.epoch, seen))  # 12
    bob.send(ev.Private("for ann", to="ann", cid=5))  # 13: live, after the replay
    got = again.take()
    assert got[0] == ev.Welcome(
        "ann", "Welcome to the room, ann! Type /help for commands.", 2, net.room.epoch, 12
    )
    assert got[1] == ev.UserList(("bob", "carol", "dave", "ann"))
    assert got[2] == ev.Replay(
        (
            ev.Accepted(9, 5, START + 1),
            ev.Private("are you there?", to="ann", sender="bob", id=6, time=START + 2),
            ev.Message("while away", sender="bob", id=7, time=START + 2),
            ev.Action("waves", sender="carol", id=9, time=START + 2),
            ev.Joined("dave", id=11, time=START + 2),
        ),
        resumed=True,
        gap=None,
    )
    assert got[3:] == [ev.Private("for ann", to="ann", sender="bob", id=13, time=START + 3)]
    assert again.conn.last_id == 13


def test_a_ghost_holds_the_name_until_it_leaves(net: Net) -> None:
    (ann,) = joined(net, "ann")
    net.cut(ann)
    again = net.connect("ann", token=ann.conn.token, resume=(net.room.epoch, 1))
    assert again.take() == [ev.Refused("Name ann is already taken in this room: choose another.")]


def test_resume_with_nothing_missed(net: Net) -> None:
    (ann,) = joined(net, "ann")
    seen = ann.conn.last_id
    assert seen is not None
    net.drop(ann)
    again = net.connect("ann", token=ann.conn.token, resume=(net.room.epoch, seen))
    assert again.take()[2] == ev.Replay((), resumed=True)
    assert again.conn.last_id == seen


def test_resume_from_another_epoch_replays_the_whole_run(net: Net, clock: Clock) -> None:
    ann, bob = joined(net, "ann", "bob")  # 1, 2
    clock.tick()
    ann.send(ev.Message("hello", cid=1))  # 3
    bob.send(ev.Message("hi", cid=1))  # 4
    bob.send(ev.Private("p", to="ann", cid=2))  # 5
    net.drop(ann)  # 6
    # A client that last saw id 999 of an earlier run of the room.
    again = net.connect("ann", token=ann.conn.token, resume=("0ldrun", 999))  # 7
    got = again.take()
    assert got[2] == ev.Replay(
        (
            ev.Joined("bob", id=2, time=START),
            ev.Accepted(1, 3, START + 1),
            ev.Message("hi", sender="bob", id=4, time=START + 1),
            ev.Private("p", to="ann", sender="bob", id=5, time=START + 1),
        ),
        resumed=True,
    )
    assert (again.conn.epoch, again.conn.last_id) == (net.room.epoch, 5)


def test_resume_of_a_forgotten_stretch_starts_with_a_gap(clock: Clock) -> None:
    net = Net(Room(history=2, clock=clock))  # the resume memory is RESUME_EVENTS anyway
    ann, bob = joined(net, "ann", "bob")  # 1, 2
    seen = ann.conn.last_id
    assert seen == 2
    net.drop(ann)  # 3
    total = RESUME_EVENTS + 20
    for i in range(total):
        clock.tick()
        net.room.handle(bob.member, ev.Message(f"m{i}", cid=i))  # 4 .. 3 + total
    net.settle()
    bob.take()
    again = net.connect("ann", token=ann.conn.token, resume=(net.room.epoch, seen))
    newest = 3 + total + 1  # ann's own join
    gone = net.room.log.gone
    assert gone is not None
    assert gone[0] == newest - RESUME_EVENTS  # the log keeps the newest RESUME_EVENTS
    assert gone[1] == START + (gone[0] - 3)  # message id k was sent at START + k - 3
    replay = again.take()[2]
    assert isinstance(replay, ev.Replay)
    assert replay.resumed
    assert replay.gap == ev.Gap(seen + 1, gone[0], gone[1])
    # Everything still remembered, but not ann's own join.
    assert [e.id for e in replay.events] == list(range(gone[0] + 1, newest))
    assert all(isinstance(e, ev.Message) and e.sender == "bob" for e in replay.events)
    assert again.conn.last_id == newest - 1


def test_resume_from_another_epoch_with_a_forgotten_start(clock: Clock) -> None:
    net = Net(Room(history=1, clock=clock))
    (bob,) = joined(net, "bob")  # 1
    for i in range(RESUME_EVENTS + 5):
        net.room.handle(bob.member, ev.Message(f"m{i}", cid=i))
    net.settle()
    ann = net.connect("ann", resume=("0ldrun", 3))
    gone = net.room.log.gone
    assert gone is not None
    replay = ann.take()[2]
    assert isinstance(replay, ev.Replay)
    assert replay.gap == ev.Gap(1, gone[0], gone[1])
    assert len(replay.events) == RESUME_EVENTS - 1  # the whole log but ann's own join
    assert ann.conn.last_id == gone[0] + RESUME_EVENTS - 1


def test_resume_works_without_newcomer_history(clock: Clock) -> None:
    # --history 0 means newcomers see nothing; a member coming back from a blip
    # still gets what it missed, with no gap.
    net = Net(Room(history=0, clock=clock))
    ann, bob = joined(net, "ann", "bob")
    seen = ann.conn.last_id
    assert seen is not None
    ann.take()
    net.cut(ann)
    bob.send(ev.Message("while away", cid=1))
    net.drop(ann)
    again = net.connect("ann", token=ann.conn.token, resume=(net.room.epoch, seen))
    replay = next(e for e in again.take() if isinstance(e, ev.Replay))
    assert replay.gap is None
    assert [e.text for e in replay.events if isinstance(e, ev.Message)] == ["while away"]
