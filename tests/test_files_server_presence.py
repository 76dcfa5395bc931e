"""Who sees file offers and for how long (docs/PROTOCOL.md section 14): protocol-1 and
older protocol-2 members, a sender that drops and comes back (or not) within the
grace, late joiners, resumes. A real RoomServer; the grace is shortened per test.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from filespeer import FilesPeer
from peer import Peer

from desktopchat.protocol import events as ev
from desktopchat.protocol import fileevents as fe
from desktopchat.server import RoomServer

DATA = os.urandom(200_000)


@pytest.fixture
def room() -> Iterator[RoomServer]:
    with RoomServer("127.0.0.1", 0) as server:
        yield server


def transfer(ann: FilesPeer, bob: FilesPeer, file: int, data: bytes = DATA) -> None:
    assert isinstance(bob.get(file), ev.Accepted)
    sender = threading.Thread(target=ann.serve, args=(data,))
    sender.start()
    assert bob.receive(file, len(data)) == data
    sender.join()


def test_a_tutorial_client_sees_one_readable_line_and_no_transfer(room: RoomServer) -> None:
    with Peer(room.address, tutorial=True) as carol:
        carol.join("carol")
        carol.users()
        ann = FilesPeer(room.address, "ann")
        bob = FilesPeer(room.address, "bob")
        file = ann.offer(DATA, "notes.txt")
        bob.until(fe.FileOffer)
        transfer(ann, bob, file)
        ann.send(fe.FileWithdrawn(file, cid=50))
        ann.answer(50)
        ann.say("done")
        got = [carol.pair() for _ in range(4)]
    assert got == [
        ("*join", "ann"),
        ("*join", "bob"),
        ("*file", "ann offers notes.txt (200.0 KB) \u2014 desktopchat can receive it"),
        ("ann", "done"),
    ]


def test_a_protocol_2_client_without_files_sees_nothing(room: RoomServer) -> None:
    old = FilesPeer(room.address, "old", files=False)
    ann = FilesPeer(room.address, "ann")
    bob = FilesPeer(room.address, "bob")
    file = ann.offer(DATA, "notes.txt", to=None)
    private = ann.offer(b"psst", "secret.txt", to="bob")
    transfer(ann, bob, file)
    ann.send(fe.FileWithdrawn(private, cid=50))
    ann.answer(50)
    ann.say("done")
    assert isinstance(old.expect(ev.Joined), ev.Joined)
    assert isinstance(old.expect(ev.Joined), ev.Joined)
    assert old.expect(ev.Message).text == "done"
    # Its resume replay leaves the file events out too (its session would not know them).
    old.close()
    ann.say("again")
    point = old.conn.resume_point
    again = FilesPeer(room.address, "old", token=old.token, resume=point, files=False)
    assert [type(e) for e in again.replay.events] == [ev.Message]


def test_a_late_joiner_gets_the_live_offers_and_can_fetch(room: RoomServer) -> None:
    ann = FilesPeer(room.address, "ann")
    file = ann.offer(DATA, "old news.txt")
    gone = ann.offer(b"gone", "gone.txt")
    ann.send(fe.FileWithdrawn(gone, cid=50))
    ann.answer(50)
    ann.say("hello")
    bob = FilesPeer(room.address, "bob")
    history = bob.replay.events
    assert [type(e) for e in history] == [fe.FileOffer, ev.Message]
    assert isinstance(history[0], fe.FileOffer) and history[0].file == file
    transfer(ann, bob, file)
    # Older clients joining late see the chat only.
    old = FilesPeer(room.address, "old", files=False)
    assert [type(e) for e in old.replay.events] == [ev.Message]
    with Peer(room.address) as carol:
        carol.join("carol")
        carol.users()
        assert carol.pair() == ("*history", "1")
        assert carol.pair() == ("ann", "hello")


def test_a_sender_that_drops_is_away_then_back_within_the_grace(room: RoomServer) -> None:
    ann = FilesPeer(room.address, "ann")
    bob = FilesPeer(room.address, "bob")
    file = ann.offer(DATA)
    bob.until(fe.FileOffer)
    assert isinstance(bob.get(file), ev.Accepted)
    ann.expect(fe.StreamStart)
    point = ann.conn.resume_point
    ann.close()
    assert bob.until(fe.FileAbort) == fe.FileAbort(file, "away")
    assert bob.get(file) == ev.Rejected(
        2, "ann is away: the file can be fetched when they are back."
    )
    ann = FilesPeer(room.address, "ann", token=ann.token, resume=point)
    bob.until(ev.Joined)
    transfer(ann, bob, file)


def test_after_the_grace_the_offers_are_withdrawn() -> None:
    with RoomServer("127.0.0.1", 0, offer_grace=0.2) as room:
        ann = FilesPeer(room.address, "ann")
        bob = FilesPeer(room.address, "bob")
        file = ann.offer(DATA)
        bob.until(fe.FileOffer)
        point = ann.conn.resume_point
        ann.close()
        withdrawn = bob.until(fe.FileWithdrawn)
        assert (withdrawn.file, withdrawn.sender) == (file, "ann")
        assert FilesPeer(room.address, "carol").replay.events == ()
        # The sender, back too late, learns it from its replay.
        ann = FilesPeer(room.address, "ann", token=ann.token, resume=point)
        assert withdrawn in ann.replay.events


def test_a_resuming_files_member_gets_the_offers_it_missed(room: RoomServer) -> None:
    ann = FilesPeer(room.address, "ann")
    bob = FilesPeer(room.address, "bob")
    ann.expect(ev.Joined)
    point = bob.conn.resume_point
    bob.close()
    file = ann.offer(DATA)
    bob = FilesPeer(room.address, "bob", token=bob.token, resume=point)
    offers = [e for e in bob.replay.events if isinstance(e, fe.FileOffer)]
    assert [o.file for o in offers] == [file]
    transfer(ann, bob, file)
