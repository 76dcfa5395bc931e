"""The room's rules, driven fully in memory.

Each protocol-2 member is a real ClientConnection wired to a Member (whose
session is a real ServerConnection) by passing bytes; protocol-1 members are
tutorial clients: raw frames in, (sender, text) pairs out. No sockets, no
threads, and the room's clock is a fake.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from desktopchat.protocol import LocalProtocolError, PairDecoder, encode_frame, wire
from desktopchat.protocol import events as ev
from desktopchat.protocol.client import ClientConnection, ClientState
from desktopchat.protocol.commands import HELP_TEXT, Command
from desktopchat.protocol.server import ServerConnection, ServerState
from desktopchat.server.history import RESUME_EVENTS
from desktopchat.server.room import Member, Room

START = 1_700_000_000.0


class Clock:
    """The room's clock: moves only when told."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float = 1.0) -> float:
        self.now += seconds
        return self.now


class Peer:
    """A protocol-2 client and its member in the room."""

    def __init__(self, net: Net, conn: ClientConnection, address: str) -> None:
        self.net = net
        self.conn = conn
        session = ServerConnection(
            password_required=net.room.gate.required, max_message=net.max_message
        )
        self.member = Member(session, address)
        self.events: list[ev.Event] = []
        self.received = bytearray()  # every byte the room sent it
        self.cut = False  # the network is gone but the room does not know yet

    def send(self, request: Command) -> None:
        """Send one request and let everything settle."""
        self.member.session.receive_data(self.conn.send(request))
        self.net.settle()

    def take(self) -> list[ev.Event]:
        """The events received since the last take."""
        got, self.events = self.events, []
        return got

    def pump_client(self) -> bool:
        moved = False
        if self.cut:
            return False
        if self.member.out:
            data = bytes(self.member.out)
            self.member.out.clear()
            self.received += data
            self.conn.receive_data(data)
            moved = True
        while (event := self.conn.next_event()) is not None:
            self.events.append(event)
            moved = True
        data = self.conn.data_to_send()
        if data:
            self.member.session.receive_data(data)
            moved = True
        return moved


class OldPeer:
    """A protocol-1 (tutorial) client: writes frames, reads pairs."""

    def __init__(self, net: Net, address: str) -> None:
        self.net = net
        session = ServerConnection(
            password_required=net.room.gate.required, max_message=net.max_message
        )
        self.member = Member(session, address)
        self.decoder = PairDecoder()
        self.pairs: list[tuple[str, str]] = []
        self.received = bytearray()
        self.cut = False

    def write(self, text: str) -> None:
        self.member.session.receive_data(encode_frame(text))
        self.net.settle()

    def take(self) -> list[tuple[str, str]]:
        got, self.pairs = self.pairs, []
        return got

    def pump_client(self) -> bool:
        if self.cut or not self.member.out:
            return False
        data = bytes(self.member.out)
        self.member.out.clear()
        self.received += data
        self.decoder.receive_data(data)
        self.pairs.extend(self.decoder)
        return True


class Net:
    """A room and its members, wired by passing bytes until nothing moves."""

    def __init__(self, room: Room, *, max_message: int = 65536) -> None:
        self.room = room
        self.max_message = max_message
        self.peers: list[Peer | OldPeer] = []
        self._addresses = 0
        self._tokens = itertools.count()

    def _address(self) -> str:
        self._addresses += 1
        return f"192.0.2.{self._addresses}"

    def connect(
        self,
        name: str,
        password: str | None = None,
        *,
        token: str | None = None,
        resume: tuple[str, int] | None = None,
    ) -> Peer:
        token = token or f"tok{name}{next(self._tokens)}"
        conn = ClientConnection(name, password, token=token, resume=resume)
        peer = Peer(self, conn, self._address())
        self.peers.append(peer)
        self.settle()
        return peer

    def connect_v1(self, name: str, first: str | None = None) -> OldPeer:
        """A tutorial client: its name, then ``first`` or silence until the upgrade wait ends."""
        peer = OldPeer(self, self._address())
        self.peers.append(peer)
        session = peer.member.session
        session.receive_data(encode_frame(name))
        if first is not None:
            session.receive_data(encode_frame(first))
        self.settle()
        if session.state is ServerState.HELLO:
            request = session.upgrade_wait_over()
            assert request is not None
            self.room.handle(peer.member, request)
            self.settle()
        return peer

    def cut(self, peer: Peer | OldPeer) -> None:
        """The network dies silently: the room still holds the member (a ghost)."""
        peer.cut = True

    def drop(self, peer: Peer | OldPeer) -> None:
        """The connection ends: what was queued for it is lost."""
        self.room.leave(peer.member)
        peer.member.session.close()
        peer.member.out.clear()
        self.peers.remove(peer)
        self.settle()

    def serve(self, peer: Peer | OldPeer) -> bool:
        """The server side of one pass for ``peer``: read its requests, act on them."""
        member = peer.member
        session = member.session
        moved = False
        while session.state is not ServerState.CLOSED:
            event = session.next_event()
            # What the session said by itself (the offer) goes out before the room's answer.
            moved |= self._flush_session(member)
            if event is None:
                break
            moved = True
            if isinstance(event, ev.Refused):  # a bad name: the loop answers and closes
                self.room.fanout.send(member, session.send(event))
            else:
                self.room.handle(member, event)
        return moved

    def _flush_session(self, member: Member) -> bool:
        data = member.session.data_to_send()
        self.room.fanout.send(member, data)
        return bool(data)

    def settle(self) -> None:
        for _ in range(10_000):
            moved = False
            for peer in list(self.peers):
                moved |= self.serve(peer)
            for peer in list(self.peers):
                moved |= peer.pump_client()
            if not moved:
                self.room.fanout.touched.clear()
                return
        raise AssertionError("the room never settled")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def room(clock: Clock) -> Room:
    return Room(history=100, clock=clock)


@pytest.fixture
def net(room: Room) -> Net:
    return Net(room)


def joined(net: Net, *names: str) -> list[Peer]:
    """Protocol-2 members, in order, with their joining events already taken."""
    peers = []
    for name in names:
        peer = net.connect(name)
        assert peer.conn.state is ClientState.CHAT, peer.take()
        peers.append(peer)
    for peer in peers:
        peer.take()
    return peers


def ids_in_log(room: Room) -> list[int]:
    return [entry.id for entry in room.log.after(0)]


# --- joining ------------------------------------------------------------------------------


def test_protocol_2_newcomer_is_welcomed(net: Net, room: Room, clock: Clock) -> None:
    ann = net.connect("ann")
    assert ann.take() == [
        ev.Welcome("ann", "Welcome to the room, ann! Type /help for commands.", 2, room.epoch, 1),
        ev.UserList(("ann",)),
        ev.Replay((), resumed=False),
    ]
    assert ann.member.v2
    assert ann.member.token == ann.conn.token
    assert (ann.conn.epoch, ann.conn.last_id) == (room.epoch, 1)
    clock.tick()
    bob = net.connect("bob")
    assert bob.take()[:2] == [
        ev.Welcome("bob", "Welcome to the room, bob! Type /help for commands.", 2, room.epoch, 2),
        ev.UserList(("ann", "bob")),
    ]
    assert ann.take() == [ev.Joined("bob", id=2, time=START + 1)]


def test_protocol_1_newcomer_gets_the_tutorial_pairs(net: Net) -> None:
    (ann,) = joined(net, "ann")
    old = net.connect_v1("bob")
    assert old.take() == [
        ("*hello", "desktopchat 2"),
        ("*welcome", "Welcome to the room, bob! Type /help for commands."),
        ("*users", "ann bob"),
    ]
    assert not old.member.v2
    assert old.member.token.startswith("v1-")
    assert ann.take() == [ev.Joined("bob", id=2, time=START)]


def test_protocol_1_first_message_is_delivered_after_the_join(net: Net) -> None:
    (ann,) = joined(net, "ann")
    old = net.connect_v1("bob", first="hello, I was quick")
    assert [type(e) for e in ann.take()] == [ev.Joined, ev.Message]
    assert net.room.log.chat()[-1].v1 == wire.encode_v1(
        ev.Message("hello, I was quick", sender="bob", id=3, time=START)
    )
    assert old.take()[1] == ("*welcome", "Welcome to the room, bob! Type /help for commands.")


def test_name_taken_is_refused_in_any_case(net: Net) -> None:
    (ann,) = joined(net, "Ann")
    again = net.connect("aNN")
    assert again.take() == [ev.Refused("Name aNN is already taken in this room: choose another.")]
    assert again.conn.state is ClientState.CLOSED
    assert again.member.session.state is ServerState.CLOSED
    assert list(net.room.members) == ["ann"]
    assert ann.take() == []
    assert ids_in_log(net.room) == [1]  # a refused join makes no room event


def test_invalid_name_is_refused_before_the_room_hears_of_it(net: Net) -> None:
    bad = net.connect("*star")
    assert bad.take() == [
        ev.Refused("Name must not start with *, @ or /: those mark events and commands.")
    ]
    assert net.room.members == {}
    assert ids_in_log(net.room) == []


def test_password_room(clock: Clock) -> None:
    net = Net(Room(password="s3cret", clock=clock))
    ann = net.connect("ann", "s3cret")
    assert [type(e) for e in ann.take()] == [ev.AuthRequired, ev.Welcome, ev.UserList, ev.Replay]
    assert ann.conn.version == 2
    wrong = net.connect("bob", "guess")
    assert wrong.take() == [ev.AuthRequired(), ev.Refused("Wrong password.")]
    assert wrong.member.session.state is ServerState.CLOSED
    nopw = net.connect("carol")
    assert nopw.take() == [ev.Refused("This room needs a password")]
    old = OldPeer(net, "192.0.2.99")  # a tutorial client answers *auth with the password
    net.peers.append(old)
    old.member.session.receive_data(encode_frame("dave") + encode_frame("s3cret"))
    net.settle()
    assert old.take()[:3] == [
        ("*hello", "desktopchat 2"),
        ("*auth", "password required"),
        ("*welcome", "Welcome to the room, dave! Type /help for commands."),
    ]
    assert list(net.room.members) == ["ann", "dave"]


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


def test_leave_is_told_to_the_others_once(net: Net, clock: Clock) -> None:
    ann, bob = joined(net, "ann", "bob")
    clock.tick()
    net.drop(bob)
    assert ann.take() == [ev.Left("bob", id=3, time=START + 1)]
    net.room.leave(bob.member)  # twice is harmless
    net.settle()
    assert ann.take() == []
    assert ids_in_log(net.room) == [1, 2, 3]
    assert list(net.room.members) == ["ann"]


# --- protocol 1 and 2 side by side ---------------------------------------------------------


def test_both_protocols_get_the_same_event_encoded_once(net: Net, clock: Clock) -> None:
    ann, carol = joined(net, "ann", "carol")
    old = net.connect_v1("bob")
    old.take()
    ann.take()
    carol.take()
    start_ann, start_old = len(ann.received), len(old.received)
    clock.tick(7)
    ann.send(ev.Message("héllo 👋", cid=1))
    entry = list(net.room.log.after(0))[-1]
    assert entry.id == 4
    assert entry.v1 == wire.encode_v1(ev.Message("héllo 👋", sender="ann"))
    assert entry.v2 == wire.encode_v2(ev.Message("héllo 👋", sender="ann", id=4, time=START + 7))
    # Every recipient's bytes are exactly the entry's encoding of its protocol.
    assert bytes(old.received[start_old:]) == entry.v1
    assert bytes(carol.received).endswith(entry.v2)
    assert bytes(ann.received[start_ann:]) == wire.encode_v2(ev.Accepted(1, 4, START + 7))
    assert old.take() == [("ann", "héllo 👋")]
    assert carol.take() == [ev.Message("héllo 👋", sender="ann", id=4, time=START + 7)]


@pytest.mark.parametrize(
    ("request_", "v1_pair", "v2_event"),
    [
        (ev.Action("waves", cid=1), ("*action", "ann waves"), ev.Action("waves", sender="ann")),
        (ev.NickChange("al", cid=1), ("*nick", "ann al"), ev.NickChange("al", old="ann")),
    ],
)
def test_both_protocols_see_the_same_room_event(
    net: Net, request_: Command, v1_pair: tuple[str, str], v2_event: ev.RoomEvent
) -> None:
    ann, carol = joined(net, "ann", "carol")
    old = net.connect_v1("bob")
    old.take()
    carol.take()
    ann.send(request_)
    assert old.take() == [v1_pair]
    got = carol.take()
    assert len(got) == 1
    assert got == [replace(v2_event, id=4, time=START)]


def test_v1_join_and_leave_reach_v2_members_and_back(net: Net) -> None:
    (ann,) = joined(net, "ann")
    old = net.connect_v1("bob")
    old.take()
    assert ann.take() == [ev.Joined("bob", id=2, time=START)]
    carol = net.connect("carol")
    assert old.take() == [("*join", "carol")]
    net.drop(carol)
    assert old.take() == [("*leave", "carol")]
    net.drop(old)
    assert ann.take()[-1] == ev.Left("bob", id=5, time=START)


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


def test_each_broadcast_is_encoded_once_per_version(
    net: Net, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = joined(net, "ann", "bob", "carol", "dave")
    olds = [net.connect_v1(name) for name in ("eve", "fay", "gus")]
    encoded: list[tuple[int, ev.Event]] = []
    real_v1, real_v2 = wire.encode_v1, wire.encode_v2

    def spy_v1(event: ev.Event) -> bytes:
        encoded.append((1, event))
        return real_v1(event)

    def spy_v2(event: ev.Event) -> bytes:
        encoded.append((2, event))
        return real_v2(event)

    monkeypatch.setattr(wire, "encode_v1", spy_v1)
    monkeypatch.setattr(wire, "encode_v2", spy_v2)
    members[0].send(ev.Message("to all", cid=1))
    said = [(v, e) for v, e in encoded if isinstance(e, ev.Message)]
    assert sorted(v for v, _ in said) == [1, 2]
    for peer in members[1:]:
        assert [type(e) for e in peer.take()][-1] is ev.Message
    for old in olds:
        assert old.take()[-1] == ("ann", "to all")


@pytest.mark.parametrize("password", ["pw", None])
def test_offer_comes_before_the_welcome_when_driven_like_the_server_loop(
    clock: Clock, password: str | None
) -> None:
    room = Room(password=password, clock=clock)
    session = ServerConnection(password_required=password is not None, max_message=65536)
    member = Member(session, "192.0.2.7")
    session.receive_data(encode_frame("dave") + encode_frame(password or "hello"))
    # As RoomServer._process does: handle every event, then write what the session said.
    while (event := session.next_event()) is not None:
        room.handle(member, event)
    room.fanout.send(member, session.data_to_send())
    decoder = PairDecoder()
    decoder.receive_data(bytes(member.out))
    senders = [sender for sender, _ in decoder]
    assert senders[:2] == (["*hello", "*auth"] if password else ["*hello", "*welcome"])


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
