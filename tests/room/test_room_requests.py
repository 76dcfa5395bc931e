"""The room, in memory (roomkit's Net): ids, times and acknowledgements, chat,
private messages, commands and rejected requests of both protocols, and resent
requests (a cid is carried out once per token).
"""

from __future__ import annotations

import pytest
from roomkit import START, Clock, Net, ids_in_log, joined

from desktopchat.protocol import LocalProtocolError
from desktopchat.protocol import events as ev
from desktopchat.protocol.commands import HELP_TEXT, Command
from desktopchat.server import room as room_module

# --- ids, times, acknowledgements ---------------------------------------------------------


def test_ids_increase_by_one_per_room_event(net: Net, clock: Clock) -> None:
    ann, bob = joined(net, "ann", "bob")  # ids 1 and 2
    ann.send(ev.Message("hi", cid=1))
    ann.send(ev.Private("psst", to="bob", cid=2))
    bob.send(ev.Action("waves", cid=1))
    ann.send(ev.Who(cid=3))  # no room event
    ann.send(ev.Help(cid=4))  # no room event
    ann.send(ev.NickChange("annie", cid=5))
    ann.send(ev.NickChange("annie", cid=6))  # already called that: no room event
    ann.send(ev.Private("x", to="carol", cid=7))  # rejected: no room event
    net.drop(bob)
    assert ids_in_log(net.room) == [1, 2, 3, 4, 5, 6, 7]
    acks = [e for e in ann.take() if isinstance(e, ev.Accepted | ev.Rejected)]
    assert [(a.cid, getattr(a, "id", "rejected")) for a in acks] == [
        (1, 3),
        (2, 4),
        (3, None),
        (4, None),
        (5, 6),
        (6, None),
        (7, "rejected"),
    ]
    assert ann.conn.last_id == 7


def test_times_come_from_the_room_clock(net: Net, clock: Clock) -> None:
    ann, bob = joined(net, "ann", "bob")
    clock.tick(10)
    ann.send(ev.Message("one", cid=1))
    clock.tick(2.5)
    ann.send(ev.Private("two", to="bob", cid=2))
    assert ann.take() == [
        ev.Accepted(1, 3, START + 10),
        ev.Accepted(2, 4, START + 12.5),
    ]
    assert bob.take() == [
        ev.Message("one", sender="ann", id=3, time=START + 10),
        ev.Private("two", to="bob", sender="ann", id=4, time=START + 12.5),
    ]
    assert [e.time for e in net.room.log.after(2)] == [START + 10, START + 12.5]


def test_sender_does_not_get_its_own_broadcast(net: Net) -> None:
    ann, bob, carol = joined(net, "ann", "bob", "carol")
    ann.send(ev.Message("hi all", cid=1))
    ann.send(ev.Action("waves", cid=2))
    assert ann.take() == [ev.Accepted(1, 4, START), ev.Accepted(2, 5, START)]
    for other in (bob, carol):
        assert other.take() == [
            ev.Message("hi all", sender="ann", id=4, time=START),
            ev.Action("waves", sender="ann", id=5, time=START),
        ]
    old = net.connect_v1("dave")
    old.take()
    old.write("from the tutorial")
    assert old.take() == []
    assert ann.take()[-1] == ev.Message("from the tutorial", sender="dave", id=7, time=START)


def test_private_message_goes_to_its_recipient_only(net: Net) -> None:
    ann, bob, carol = joined(net, "ann", "bob", "carol")
    ann.send(ev.Private("psst", to="BOB", cid=1))  # the name in any case
    assert ann.take() == [ev.Accepted(1, 4, START)]
    assert bob.take() == [ev.Private("psst", to="bob", sender="ann", id=4, time=START)]
    assert carol.take() == []
    ann.send(ev.Private("note to self", to="ann", cid=2))
    assert ann.take() == [
        ev.Private("note to self", to="ann", sender="ann", id=5, time=START),
        ev.Accepted(2, 5, START),
    ]


def test_who_and_help(net: Net) -> None:
    ann, _ = joined(net, "ann", "bob")
    ann.send(ev.Who(cid=1))
    ann.send(ev.Help(cid=2))
    assert ann.take() == [
        ev.UserList(("ann", "bob")),
        ev.Accepted(1),
        ev.Info(HELP_TEXT),
        ev.Accepted(2),
    ]


def test_nick_change_is_told_to_everyone_and_keeps_the_join_order(net: Net) -> None:
    ann, bob, carol = joined(net, "ann", "bob", "carol")
    bob.send(ev.NickChange(" Bert ", cid=1))
    change = ev.NickChange("Bert", old="bob", id=4, time=START)
    assert bob.take() == [change, ev.Accepted(1, 4, START)]
    assert bob.conn.name == "Bert"
    assert ann.take() == [change]
    assert carol.take() == [change]
    ann.send(ev.Who(cid=1))
    assert ann.take()[0] == ev.UserList(("ann", "Bert", "carol"))
    bob.send(ev.NickChange("BERT", cid=2))  # a change of case only is fine
    assert bob.take()[0] == ev.NickChange("BERT", old="Bert", id=5, time=START)
    ann.send(ev.Private("hi", to="bert", cid=2))
    assert bob.take() == [ev.Private("hi", to="BERT", sender="ann", id=6, time=START)]


@pytest.mark.parametrize(
    ("request_", "reason"),
    [
        (ev.Private("hi", to="carol", cid=9), "No such user: carol."),
        (ev.Action("   ", cid=9), "Usage: /me TEXT"),
        (ev.NickChange("BOB", cid=9), "Name BOB is already taken in this room: choose another."),
        (ev.NickChange("", cid=9), "Name is empty: type a name of 1 to 32 characters."),
        (ev.NickChange("a b", cid=9), "Name must not contain spaces: use one word, e.g. ann_lee."),
        (
            ev.NickChange("@x", cid=9),
            "Name must not start with *, @ or /: those mark events and commands.",
        ),
    ],
)
def test_rejected_requests(net: Net, request_: Command, reason: str) -> None:
    ann, bob = joined(net, "ann", "bob")
    ann.send(request_)
    assert ann.take() == [ev.Rejected(9, reason)]
    assert bob.take() == []
    assert ids_in_log(net.room) == [1, 2]
    assert ann.conn.name == "ann"


def test_rename_to_the_same_name_is_an_info(net: Net) -> None:
    (ann,) = joined(net, "ann")
    ann.send(ev.NickChange("ann", cid=1))
    assert ann.take() == [ev.Info("You are already called ann."), ev.Accepted(1)]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("/msg carol hi", "No such user: carol."),
        ("/msg bob", "Usage: /msg NAME TEXT"),
        ("/me ", "Usage: /me TEXT"),
        ("/nick", "Usage: /nick NEW"),
        ("/nick ann", "Name ann is already taken in this room: choose another."),
        ("/frob", "Unknown command /frob: type /help for the list."),
    ],
)
def test_protocol_1_errors_are_star_error_pairs(net: Net, text: str, reason: str) -> None:
    (ann,) = joined(net, "ann")
    old = net.connect_v1("bob")
    old.take()
    ann.take()
    old.write(text)
    assert old.take() == [("*error", reason)]
    assert ann.take() == []


def test_protocol_1_commands(net: Net) -> None:
    (ann,) = joined(net, "ann")
    old = net.connect_v1("bob")
    old.take()
    ann.take()
    old.write("/who")
    old.write("/help")
    old.write("/ME waves")
    old.write("/msg ann psst")
    old.write("/nick bert")
    old.write("//not a command")
    assert old.take() == [
        ("*users", "ann bob"),
        ("*info", HELP_TEXT),
        ("*nick", "bob bert"),
    ]
    assert ann.take() == [
        ev.Action("waves", sender="bob", id=3, time=START),
        ev.Private("psst", to="ann", sender="bob", id=4, time=START),
        ev.NickChange("bert", old="bob", id=5, time=START),
        ev.Message("/not a command", sender="bert", id=6, time=START),
    ]


def test_the_room_refuses_events_that_are_not_requests(net: Net) -> None:
    (ann,) = joined(net, "ann")
    with pytest.raises(LocalProtocolError):
        net.room.handle(ann.member, ev.Info("not a request"))


# --- resends -----------------------------------------------------------------------------


def test_resent_cid_on_the_same_connection_is_answered_again_not_repeated(net: Net) -> None:
    ann, bob = joined(net, "ann", "bob")
    ann.send(ev.Message("once", cid=1))
    first = ann.take()
    assert first == [ev.Accepted(1, 3, START)]
    assert len(bob.take()) == 1
    ann.send(ev.Message("once", cid=1))
    assert ann.take() == first
    assert bob.take() == []
    assert ids_in_log(net.room) == [1, 2, 3]


def test_resent_private_message_is_not_delivered_twice(net: Net) -> None:
    ann, bob = joined(net, "ann", "bob")
    ann.send(ev.Private("psst", to="bob", cid=4))
    ann.send(ev.Private("psst", to="bob", cid=4))
    assert ann.take() == [ev.Accepted(4, 3, START)] * 2
    assert bob.take() == [ev.Private("psst", to="bob", sender="ann", id=3, time=START)]


def test_resent_cid_after_a_reconnect_is_not_repeated(net: Net, clock: Clock) -> None:
    ann, bob = joined(net, "ann", "bob")
    ann.member.session.receive_data(ann.conn.send(ev.Message("lost ack", cid=7)))
    net.serve(ann)  # the room carries it out...
    net.drop(ann)  # ...and the connection dies before the ack arrives
    assert bob.take() == [
        ev.Message("lost ack", sender="ann", id=3, time=START),
        ev.Left("ann", id=4, time=START),
    ]
    clock.tick()
    again = net.connect("ann", token=ann.conn.token, resume=(net.room.epoch, 2))
    again.take()
    bob.take()
    again.send(ev.Message("lost ack", cid=7))
    assert again.take() == [ev.Accepted(7, 3, START)]  # the same id and time
    assert bob.take() == []


def test_same_cid_from_another_token_is_a_new_message(net: Net) -> None:
    ann, bob, carol = joined(net, "ann", "bob", "carol")
    ann.send(ev.Message("from ann", cid=1))
    bob.send(ev.Message("from bob", cid=1))
    assert ann.take() == [
        ev.Accepted(1, 4, START),
        ev.Message("from bob", sender="bob", id=5, time=START),
    ]
    assert bob.take() == [
        ev.Message("from ann", sender="ann", id=4, time=START),
        ev.Accepted(1, 5, START),
    ]
    assert len(carol.take()) == 2


def test_rejected_cid_is_tried_again(net: Net) -> None:
    ann, _ = joined(net, "ann", "bob")
    ann.send(ev.Private("hi", to="carol", cid=1))
    carol = net.connect("carol")
    carol.take()
    ann.take()
    ann.send(ev.Private("hi", to="carol", cid=1))
    assert ann.take() == [ev.Accepted(1, 4, START)]
    assert carol.take() == [ev.Private("hi", to="carol", sender="ann", id=4, time=START)]


def test_remembered_cids_are_bounded_over_all_tokens(
    net: Net, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A member coming back again and again under fresh tokens must not make the
    # room remember cids without end: the least recent tokens are forgotten.
    monkeypatch.setattr(room_module, "DONE_KEPT", 10)
    members = joined(net, *(f"m{i}" for i in range(6)))
    for member in members:
        for cid in range(1, 5):
            member.send(ev.Message("x", cid=cid))
    remembered = net.room._done
    assert sum(len(cids) for cids in remembered.values()) <= 10
    assert members[0].conn.token not in remembered  # the least recent went first
    newest = members[-1]
    newest.take()
    newest.send(ev.Message("x", cid=4))  # still recognised as a resend
    assert [type(e) for e in newest.take()] == [ev.Accepted]
    assert ids_in_log(net.room)[-1] == 6 + 6 * 4
