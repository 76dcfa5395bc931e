"""Files through a real RoomServer (docs/PROTOCOL.md section 14): offers, fetches, the
relay of data within credit, senders that break the rules, the host's limits, budgets.

Members are raw files peers (tests/filespeer.py) on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator

import pytest
from filespeer import FilesPeer

from desktopchat.protocol import events as ev
from desktopchat.protocol import fileevents as fe
from desktopchat.protocol import filewire
from desktopchat.server import RoomServer, limits

DATA = os.urandom(300_000)  # 5 chunks and a bit


@pytest.fixture
def room() -> Iterator[RoomServer]:
    with RoomServer("127.0.0.1", 0) as server:
        yield server


def two(room: RoomServer) -> tuple[FilesPeer, FilesPeer]:
    ann = FilesPeer(room.address, "ann")
    bob = FilesPeer(room.address, "bob")
    ann.expect(ev.Joined)
    return ann, bob


def offered(ann: FilesPeer, bob: FilesPeer, data: bytes = DATA, name: str = "notes.txt") -> int:
    file = ann.offer(data, name)
    offer = bob.until(fe.FileOffer)
    assert offer.file == file
    return file


def test_a_file_goes_through_the_room(room: RoomServer) -> None:
    ann, bob = two(room)
    data = os.urandom(5_000_000)
    file = ann.offer(data, "holiday photo.jpg", mime="image/jpeg")
    offer = bob.until(fe.FileOffer)
    assert offer == fe.FileOffer(
        "holiday photo.jpg",
        len(data),
        hashlib.sha256(data).hexdigest(),
        "image/jpeg",
        None,
        "ann",
        id=file,
        time=offer.time,
    )
    assert bob.get(file) == ev.Accepted(1, None, None)
    start = ann.expect(fe.StreamStart)
    assert (start.file, start.offset) == (file, 0)
    sender = threading.Thread(target=ann.serve, args=(data, start))
    sender.start()
    assert bob.receive(file, len(data)) == data
    sender.join()
    # The stream is over: chat goes on, nothing else arrives.
    ann.say("got it?")
    assert bob.until(ev.Message).text == "got it?"


def test_a_fetch_from_the_middle_and_of_an_empty_file(room: RoomServer) -> None:
    ann, bob = two(room)
    file = offered(ann, bob)
    assert isinstance(bob.get(file, 200_000), ev.Accepted)
    start = ann.expect(fe.StreamStart)
    assert start.offset == 200_000
    ann.serve(DATA, start)
    assert bob.receive(file, len(DATA), 200_000) == DATA[200_000:]
    empty = offered(ann, bob, b"", "empty")
    seen = len(ann.seen)
    assert isinstance(bob.get(empty), ev.Accepted)
    assert isinstance(bob.get(file, len(DATA)), ev.Accepted)  # at the end: nothing to send
    ann.say("and?")  # answered after any send the gets made (they came first)
    ann.until(ev.Accepted)
    assert [e for e in ann.seen[seen:] if isinstance(e, fe.StreamStart)] == []  # none for either
    assert isinstance(bob.until(ev.Message), ev.Message)


def test_credit_is_clamped_and_passed_on(room: RoomServer) -> None:
    ann, bob = two(room)
    file = offered(ann, bob)
    bob.get(file)
    start = ann.expect(fe.StreamStart)
    bob.send(fe.FetchCredit(file, 64))
    assert ann.expect(fe.StreamCredit) == fe.StreamCredit(start.stream, fe.MAX_CREDIT - fe.WINDOW)
    bob.send(fe.FetchCredit(file, 1))  # already at the most: nothing to pass on
    bob.send(fe.FetchCredit(file + 100, 1))  # no such fetch: ignored
    bob.say("ping")
    assert ann.until(ev.Message).text == "ping"
    assert [e for e in ann.seen if isinstance(e, fe.StreamCredit)] == [
        fe.StreamCredit(start.stream, fe.MAX_CREDIT - fe.WINDOW)
    ]


def test_a_sender_over_its_credit_is_disconnected_and_the_room_lives_on(
    room: RoomServer,
) -> None:
    ann, bob = two(room)
    carol = FilesPeer(room.address, "carol")
    file = offered(ann, bob, os.urandom(20 * fe.CHUNK))
    bob.get(file)
    start = ann.expect(fe.StreamStart)
    for i in range(fe.WINDOW + 1):  # one chunk more than the credit
        ann.send_raw(filewire.data_pair(start.stream, i * fe.CHUNK, b"x" * fe.CHUNK))
    assert "beyond the credit" in ann.closed_with_error()
    for _ in range(fe.WINDOW):
        assert isinstance(bob.event(), fe.FileData | ev.Left)
    assert bob.until(fe.FileAbort) == fe.FileAbort(file, "away")
    bob.say("still here")
    assert carol.until(ev.Message).text == "still here"


@pytest.mark.parametrize(
    ("pair", "error"),
    [
        (filewire.data_pair(999, 0, b"x"), "data for stream 999, which is not open"),
        (None, "data at offset 5 of stream"),  # the right stream, the wrong offset
        (
            filewire.data_head(1, 0, fe.CHUNK + 1) + b"x" * (fe.CHUNK + 1),
            "malformed request 'data 1 0'",
        ),
        (filewire.data_head(1, 0, 0), "malformed request 'data 1 0'"),
    ],
)
def test_senders_breaking_the_rules_end_only_their_connection(
    room: RoomServer, pair: bytes | None, error: str
) -> None:
    ann, bob = two(room)
    file = offered(ann, bob)
    bob.get(file)
    start = ann.expect(fe.StreamStart)
    ann.send_raw(pair or filewire.data_pair(start.stream, 5, b"x"))
    assert error in ann.closed_with_error()
    assert bob.until(fe.FileAbort) == fe.FileAbort(file, "away")


def test_someone_elses_stream_is_not_yours(room: RoomServer) -> None:
    ann, bob = two(room)
    file = offered(ann, bob)
    bob.get(file)
    start = ann.expect(fe.StreamStart)
    bob.send_raw(filewire.data_pair(start.stream, 0, b"x"))  # bob is not its sender
    assert "which is not open" in bob.closed_with_error()


def test_the_receiver_cancels_and_chunks_on_their_way_are_dropped(room: RoomServer) -> None:
    ann, bob = two(room)
    file = offered(ann, bob)
    bob.get(file)
    start = ann.expect(fe.StreamStart)
    bob.send(fe.CancelFetch(file))
    assert ann.expect(fe.StreamStop) == fe.StreamStop(start.stream, "cancelled")
    # Sent before ann read the stop: within the old credit, dropped without a word.
    ann.send_raw(filewire.data_pair(start.stream, 0, DATA[: fe.CHUNK]))
    ann.say("sorry")
    assert bob.expect(ev.Message).text == "sorry"


def test_a_second_get_replaces_the_first(room: RoomServer) -> None:
    ann, bob = two(room)
    file = offered(ann, bob)
    bob.get(file)
    first = ann.expect(fe.StreamStart)
    bob.get(file, 100)
    assert ann.expect(fe.StreamStop) == fe.StreamStop(first.stream, "cancelled")
    second = ann.expect(fe.StreamStart)
    assert (second.file, second.offset) == (file, 100)
    ann.serve(DATA, second)
    assert bob.receive(file, len(DATA), 100) == DATA[100:]


def test_the_sender_stops_a_stream_and_the_receiver_learns_why(room: RoomServer) -> None:
    ann, bob = two(room)
    file = offered(ann, bob)
    bob.get(file)
    start = ann.expect(fe.StreamStart)
    ann.send(fe.StreamStop(start.stream, "changed"))
    assert bob.until(fe.FileAbort) == fe.FileAbort(file, "changed")


def test_the_receiver_leaves_and_the_sender_is_told(room: RoomServer) -> None:
    ann, bob = two(room)
    file = offered(ann, bob)
    bob.get(file)
    start = ann.expect(fe.StreamStart)
    bob.close()
    assert ann.until(fe.StreamStop) == fe.StreamStop(start.stream, "gone")


def test_withdrawing_aborts_streams_and_tells_those_who_saw_it(room: RoomServer) -> None:
    ann, bob = two(room)
    carol = FilesPeer(room.address, "carol")
    file = offered(ann, bob)
    assert carol.until(fe.FileOffer).file == file
    bob.get(file)
    ann.expect(fe.StreamStart)
    cid = next(ann.cids)
    ann.send(fe.FileWithdrawn(file, cid=cid))
    ok = ann.answer(cid)
    assert isinstance(ok, ev.Accepted) and ok.id is not None
    assert bob.until(fe.FileAbort) == fe.FileAbort(file, "withdrawn")
    assert bob.until(fe.FileWithdrawn) == fe.FileWithdrawn(file, "ann", id=ok.id, time=ok.time)
    assert carol.until(fe.FileWithdrawn).file == file
    assert bob.get(file) == ev.Rejected(
        2, "No such file on offer to you: it may have been withdrawn."
    )
    again = next(ann.cids)
    ann.send(fe.FileWithdrawn(file, cid=again))
    assert ann.answer(again) == ev.Rejected(again, "No such file of yours on offer.")
    dave = FilesPeer(room.address, "dave")  # a newcomer: the offer is not in its history
    assert dave.replay.events == ()


def test_a_private_offer_reaches_only_its_recipient(room: RoomServer) -> None:
    ann, bob = two(room)
    carol = FilesPeer(room.address, "carol")
    file = ann.offer(DATA, "for bob.txt", to="BOB")
    offer = bob.until(fe.FileOffer)
    assert (offer.file, offer.to) == (file, "bob")
    assert carol.get(file) == ev.Rejected(
        1, "No such file on offer to you: it may have been withdrawn."
    )
    ann.say("done")  # after the offer: carol has all she will get of it by then
    assert carol.until(ev.Message).text == "done"
    assert [e for e in carol.seen if isinstance(e, fe.FileOffer)] == []
    assert isinstance(bob.get(file), ev.Accepted)
    assert ann.get(file) == ev.Rejected(
        3, "No such file on offer to you: it may have been withdrawn."
    )


def test_offers_that_are_refused(room: RoomServer) -> None:
    ann, _ = two(room)
    old = FilesPeer(room.address, "old", files=False)  # a protocol-2 member without files
    assert old.conn.files_max is None
    cases = [
        ("a/b.txt", None, "must not contain '/'"),
        ("..", None, "'..' is not a file name."),
        ("x", "nobody", "No such user: nobody."),
        ("x", "ann", "You cannot offer a file to yourself."),
        ("x", "old", "old's program cannot receive files."),
    ]
    for name, to, reason in cases:
        answer = ann.offer_answer(b"data", name, to)
        assert isinstance(answer, ev.Rejected), answer
        assert reason in answer.reason


def test_the_largest_file_and_who_may_send_are_the_hosts() -> None:
    with RoomServer("127.0.0.1", 0, max_file_size=1000, file_senders=frozenset({"Ann"})) as room:
        ann, bob = two(room)
        assert ann.conn.files_max == 1000
        assert isinstance(ann.offer_answer(b"x" * 1000), ev.Accepted)
        refused = ann.offer_answer(b"x" * 1001, "big.bin")
        assert refused == ev.Rejected(
            2, "big.bin is 1.0 KB: this room takes files of up to 1.0 KB."
        )
        assert bob.offer_answer(b"x") == ev.Rejected(
            1, "The host does not let you send files in this room."
        )


def test_a_room_without_files_offers_none() -> None:
    with RoomServer("127.0.0.1", 0, max_file_size=0) as room:
        ann = FilesPeer(room.address, "ann")
        assert ann.conn.files_max is None
        ann.send_raw(filewire.encode_file_request(fe.FetchFile(1, 0, cid=1)))
        assert "malformed request 'get 1 1 0'" in ann.closed_with_error()


def test_budgets(room: RoomServer, monkeypatch: pytest.MonkeyPatch) -> None:
    ann, bob = two(room)
    files = [ann.offer(b"%d" % i * 100, f"f{i}") for i in range(limits.MAX_OFFERS)]
    refused = ann.offer_answer(b"more")
    assert isinstance(refused, ev.Rejected)
    assert refused.reason == "You have 20 files on offer: withdraw one first."
    for file in files[: limits.MAX_FETCHES]:
        assert isinstance(bob.get(file), ev.Accepted)
    answer = bob.get(files[limits.MAX_FETCHES])
    assert isinstance(answer, ev.Rejected)
    assert answer.reason == "You are fetching 4 files already: wait for one."
    assert isinstance(bob.get(files[0], 1), ev.Accepted)  # a replacement is no new fetch
    others = [FilesPeer(room.address, f"m{i}") for i in range(3)]
    for file, member in zip(files[4:8], [others[0], others[0], others[1], others[1]], strict=True):
        assert isinstance(member.get(file), ev.Accepted)  # ann feeds 8 streams now
    answer = others[2].get(files[8])
    assert isinstance(answer, ev.Rejected)
    assert answer.reason == "ann is sending 8 files already: try again soon."
    monkeypatch.setattr(limits, "MAX_ROOM_STREAMS", 8)
    carol = FilesPeer(room.address, "carol")
    file = carol.offer(b"c", "c")
    answer = others[2].get(file)
    assert isinstance(answer, ev.Rejected)
    assert answer.reason == "The room is busy with 8 transfers: try again soon."


def test_a_resent_offer_is_not_offered_twice(room: RoomServer) -> None:
    ann, bob = two(room)
    request = fe.FileOffer("x.txt", 3, hashlib.sha256(b"abc").hexdigest(), "-", cid=77)
    ann.send(request)
    first = ann.answer(77)
    ann.send(request)  # as after a reconnect
    assert ann.answer(77) == first
    ann.say("then")
    assert isinstance(bob.event(), fe.FileOffer)
    assert isinstance(bob.event(), ev.Message)


def test_gets_and_offers_count_against_the_request_rate(room: RoomServer) -> None:
    ann, bob = two(room)
    file = offered(ann, bob)
    answers = [bob.get(file) for _ in range(40)]
    refused = [a for a in answers if isinstance(a, ev.Rejected)]
    assert refused and all(a.reason.startswith("Slow down") for a in refused)
