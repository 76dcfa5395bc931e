"""The transfer engine without a network: fingerprints, .part files, credit, retries.

The sender and receiver halves are driven with the wire-level events a room
would send and a clock the test sets; what they ask the room for is read
from their control queue. tests/test_files_transfer.py does real transfers.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from pathlib import Path
from typing import TypeVar

import pytest

from desktopchat.protocol import events as ev
from desktopchat.protocol import fileevents as fe
from desktopchat.protocol import transferevents as te
from desktopchat.transfer import incoming, outgoing, receiving
from desktopchat.transfer.incoming import ChecksumMismatch, MemorySink, PartFile
from desktopchat.transfer.outgoing import ChunkReader, FileChanged
from desktopchat.transfer.receiving import Receiver, State
from desktopchat.transfer.sending import Offer, Sender

E = TypeVar("E", bound=ev.Event)


def last(posted: list[ev.Event], kind: type[E]) -> E:
    event = posted[-1]
    assert isinstance(event, kind), posted
    return event


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- outgoing --------------------------------------------------------------------------


def test_fingerprint_of_a_file_and_its_chunks(tmp_path: Path) -> None:
    data = os.urandom(3 * fe.CHUNK + 17)
    path = tmp_path / "a.bin"
    path.write_bytes(data)
    fp = outgoing.fingerprint_file(path)
    assert (fp.size, fp.sha256) == (len(data), sha(data))
    reader = ChunkReader(path, fp)
    got = b"".join(reader.read(o, fe.CHUNK) for o in range(0, len(data), fe.CHUNK))
    reader.close()
    assert got == data


def test_fingerprint_refuses_more_than_the_limit_and_directories(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"x" * 10)
    with pytest.raises(ValueError):
        outgoing.fingerprint_file(path, max_size=9)
    with pytest.raises(OSError):
        outgoing.fingerprint_file(tmp_path)


def test_a_file_changed_after_hashing_is_noticed(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"x" * 100)
    fp = outgoing.fingerprint_file(path)
    reader = ChunkReader(path, fp)
    path.write_bytes(b"y" * 101)
    with pytest.raises(FileChanged):
        reader.read(0, 10)
    reader.close()
    with pytest.raises(FileChanged):
        ChunkReader(path, fp)


def test_bytes_are_read_as_chunks_too() -> None:
    data = b"abc" * 1000
    reader = ChunkReader(data, outgoing.fingerprint_bytes(data))
    assert reader.read(10, 5) == data[10:15]
    assert reader.read(2990, 100) == data[2990:]


# --- incoming --------------------------------------------------------------------------


def test_part_file_is_renamed_only_after_the_check(tmp_path: Path) -> None:
    data = os.urandom(1000)
    dest = tmp_path / "photo.png"
    sink = PartFile(dest, len(data), sha(data))
    sink.write(data[:600])
    assert incoming.part_path(dest).read_bytes() == data[:600]
    assert not dest.exists()
    sink.write(data[600:])
    assert sink.finish() == dest
    assert dest.read_bytes() == data
    assert not incoming.part_path(dest).exists()


def test_a_mismatch_removes_the_part_and_shows_nothing(tmp_path: Path) -> None:
    dest = tmp_path / "f.txt"
    sink = PartFile(dest, 3, sha(b"abc"))
    sink.write(b"abd")
    with pytest.raises(ChecksumMismatch):
        sink.finish()
    assert list(tmp_path.iterdir()) == []


def test_a_part_resumes_from_its_size_after_hashing_the_prefix(tmp_path: Path) -> None:
    data = os.urandom(5000)
    dest = tmp_path / "f.bin"
    incoming.part_path(dest).write_bytes(data[:1234])
    sink = PartFile(dest, len(data), sha(data))
    assert (sink.written, sink.needs_hashing) == (1234, True)
    sink.hash_prefix()
    sink.write(data[1234:])
    assert sink.finish() == dest and dest.read_bytes() == data


def test_a_part_longer_than_the_offer_starts_again(tmp_path: Path) -> None:
    dest = tmp_path / "f.bin"
    incoming.part_path(dest).write_bytes(b"z" * 50)
    sink = PartFile(dest, 10, sha(b"0123456789"))
    assert sink.written == 0 and not sink.needs_hashing
    sink.write(b"0123456789")
    assert sink.finish().read_bytes() == b"0123456789"


def test_the_final_name_is_never_overwritten(tmp_path: Path) -> None:
    dest = tmp_path / "f.txt"
    sink = PartFile(dest, 2, sha(b"hi"))
    sink.write(b"hi")
    dest.write_text("mine")  # someone took the name meanwhile
    final = sink.finish()
    assert final != dest and final.read_bytes() == b"hi"
    assert dest.read_text() == "mine"


def test_memory_sink_has_a_limit() -> None:
    with pytest.raises(ValueError):
        MemorySink(incoming.MAX_IN_MEMORY + 1, "0" * 64)
    sink = MemorySink(2, sha(b"ok"))
    sink.write(b"ok")
    assert sink.finish() == b"ok"


# --- the receiver ---------------------------------------------------------------------------


class Harness:
    def __init__(self) -> None:
        self.posted: list[ev.Event] = []
        self.control: list[ev.Event] = []
        cids = itertools.count(100)
        self.receiver = Receiver(self.posted.append, self.control.append, lambda: next(cids))

    def sent(self, kind: type) -> list:  # type: ignore[type-arg]
        return [c for c in self.control if isinstance(c, kind)]


def offer_of(data: bytes, file: int = 7, sender: str = "ann") -> fe.FileOffer:
    return fe.FileOffer("f.bin", len(data), sha(data), "-", None, sender, id=file, time=1.0)


def stream_in(h: Harness, data: bytes, start: int, file: int = 7, now: float = 0.0) -> None:
    for offset in range(start, len(data), fe.CHUNK):
        h.receiver.data(fe.FileData(file, offset, data[offset : offset + fe.CHUNK]), now)


def test_receiver_asks_grants_credit_and_finishes_in_memory() -> None:
    h = Harness()
    data = os.urandom(40 * fe.CHUNK + 5)
    h.receiver.fetch(offer_of(data), MemorySink(len(data), sha(data)))
    h.receiver.ready(0.0)
    (get,) = h.sent(fe.FetchFile)
    assert (get.file, get.offset, get.cid) == (7, 0, 100)
    assert h.receiver.answered(100, True, "", 0.0)
    stream_in(h, data, 0)
    done = [e for e in h.posted if isinstance(e, te.TransferDone)]
    assert len(done) == 1 and done[0].data == data and done[0].path is None
    credit = sum(c.chunks for c in h.sent(fe.FetchCredit))
    # the room may send WINDOW chunks without credit; we never grant past the end
    assert credit == 41 - fe.WINDOW
    assert all(c.chunks <= fe.MAX_MORE for c in h.sent(fe.FetchCredit))


def test_data_before_the_ok_of_a_get_is_dropped() -> None:
    h = Harness()
    data = os.urandom(100)
    h.receiver.fetch(offer_of(data), MemorySink(len(data), sha(data)))
    h.receiver.ready(0.0)
    h.receiver.data(fe.FileData(7, 0, data), 0.0)
    assert not h.posted
    h.receiver.answered(100, True, "", 0.0)
    h.receiver.data(fe.FileData(7, 0, data), 0.0)
    last(h.posted, te.TransferDone)


def test_out_of_order_data_fails_and_cancels() -> None:
    h = Harness()
    data = os.urandom(3 * fe.CHUNK)
    h.receiver.fetch(offer_of(data), MemorySink(len(data), sha(data)))
    h.receiver.ready(0.0)
    h.receiver.answered(100, True, "", 0.0)
    h.receiver.data(fe.FileData(7, fe.CHUNK, data[fe.CHUNK : 2 * fe.CHUNK]), 0.0)
    last(h.posted, te.TransferFailed)
    assert h.sent(fe.CancelFetch) == [fe.CancelFetch(7)]
    assert 7 not in h.receiver.fetches


def test_a_reconnect_asks_again_from_what_was_written(tmp_path: Path) -> None:
    h = Harness()
    data = os.urandom(10 * fe.CHUNK)
    dest = tmp_path / "f.bin"
    h.receiver.fetch(offer_of(data), PartFile(dest, len(data), sha(data)))
    h.receiver.ready(0.0)
    h.receiver.answered(100, True, "", 0.0)
    stream_in(h, data[: 3 * fe.CHUNK], 0)
    h.receiver.connection_lost()
    last(h.posted, te.TransferWaiting)
    h.receiver.answered(100, True, "", 0.0)  # a late answer to the old get: ignored
    h.receiver.ready(1.0)
    offsets = [g.offset for g in h.sent(fe.FetchFile)]
    assert offsets == [0, 3 * fe.CHUNK]
    h.receiver.answered(101, True, "", 1.0)
    stream_in(h, data, 3 * fe.CHUNK)
    last(h.posted, te.TransferDone)
    assert dest.read_bytes() == data


def test_an_away_sender_is_asked_again_with_backoff_then_given_up() -> None:
    h = Harness()
    data = os.urandom(1000)
    h.receiver.fetch(offer_of(data), MemorySink(len(data), sha(data)))
    h.receiver.ready(0.0)
    h.receiver.answered(100, True, "", 0.0)
    h.receiver.aborted(fe.FileAbort(7, "away"), 0.0)
    last(h.posted, te.TransferWaiting)
    now, delays = 0.0, []
    while 7 in h.receiver.fetches:
        deadline = h.receiver.next_deadline()
        assert deadline is not None
        delays.append(deadline - now)
        now = deadline
        h.receiver.pump(now)
        cid = h.sent(fe.FetchFile)[-1].cid
        assert cid is not None
        h.receiver.answered(cid, False, "ann is away; try again later.", now)
    assert delays[:5] == [1.0, 2.0, 4.0, 8.0, 10.0]
    assert receiving.GIVE_UP_AFTER <= now < receiving.GIVE_UP_AFTER + receiving.MAX_RETRY_DELAY
    assert "did not come back" in last(h.posted, te.TransferFailed).reason


def test_at_most_four_fetches_run_at_once() -> None:
    h = Harness()
    data = b"x" * 10
    for file in range(1, 7):
        h.receiver.fetch(offer_of(data, file), MemorySink(len(data), sha(data)))
    h.receiver.ready(0.0)
    assert [g.file for g in h.sent(fe.FetchFile)] == [1, 2, 3, 4]
    h.receiver.answered(100, True, "", 0.0)
    h.receiver.data(fe.FileData(1, 0, data), 0.0)
    h.receiver.pump(0.0)
    assert [g.file for g in h.sent(fe.FetchFile)] == [1, 2, 3, 4, 5]


def test_abort_reasons_become_sentences() -> None:
    h = Harness()
    data = b"x" * 10
    h.receiver.fetch(offer_of(data), MemorySink(len(data), sha(data)))
    h.receiver.ready(0.0)
    h.receiver.answered(100, True, "", 0.0)
    h.receiver.aborted(fe.FileAbort(7, "changed"), 0.0)
    assert (
        last(h.posted, te.TransferFailed).reason
        == "The file changed on ann's side after it was offered; ask for it again."
    )


def test_an_empty_file_needs_no_get() -> None:
    h = Harness()
    h.receiver.fetch(offer_of(b""), MemorySink(0, sha(b"")))
    h.receiver.ready(0.0)
    assert not h.sent(fe.FetchFile)
    assert last(h.posted, te.TransferDone).data == b""


def test_cancel_sends_cancel_and_removes_the_part(tmp_path: Path) -> None:
    h = Harness()
    data = os.urandom(3 * fe.CHUNK)
    dest = tmp_path / "f.bin"
    h.receiver.fetch(offer_of(data), PartFile(dest, len(data), sha(data)))
    h.receiver.ready(0.0)
    h.receiver.answered(100, True, "", 0.0)
    stream_in(h, data[: fe.CHUNK], 0)
    h.receiver.cancel(7)
    assert h.sent(fe.CancelFetch) == [fe.CancelFetch(7)]
    assert list(tmp_path.iterdir()) == []
    assert h.receiver.fetches == {}
    assert receiving.State.STREAMING is State.STREAMING


# --- the sender -------------------------------------------------------------------------------


def test_sender_sends_only_with_credit_and_ends_at_the_last_byte(tmp_path: Path) -> None:
    posted: list[ev.Event] = []
    control: list[ev.Event] = []
    withdrawn: list[Offer] = []
    sender = Sender(posted.append, control.append, withdrawn.append)
    data = os.urandom(20 * fe.CHUNK)
    path = tmp_path / "a.bin"
    path.write_bytes(data)
    offer = Offer(1, "a.bin", "-", None, path, outgoing.fingerprint_file(path))
    sender.by_cid[1] = offer
    assert sender.accepted(1, 55)
    assert last(posted, te.OfferMade).file == 55
    sender.start(fe.StreamStart(3, 55, 2 * fe.CHUNK))
    chunks = []
    while (chunk := sender.next_chunk(0.0)) is not None:
        chunks.append(chunk)
    assert len(chunks) == fe.WINDOW and chunks[0].offset == 2 * fe.CHUNK
    sender.credit(fe.StreamCredit(3, 100))  # clamped to MAX_CREDIT
    assert sender.streams[3].credit == fe.MAX_CREDIT
    while (chunk := sender.next_chunk(0.0)) is not None:
        chunks.append(chunk)
    assert b"".join(c.data for c in chunks) == data[2 * fe.CHUNK :]
    assert not last(posted, te.TransferDone).incoming
    assert sender.streams == {}


def test_sender_stops_a_changed_file_and_withdraws_it(tmp_path: Path) -> None:
    posted: list[ev.Event] = []
    control: list[ev.Event] = []
    withdrawn: list[Offer] = []
    sender = Sender(posted.append, control.append, withdrawn.append)
    path = tmp_path / "a.bin"
    path.write_bytes(b"a" * 3 * fe.CHUNK)
    offer = Offer(1, "a.bin", "-", None, path, outgoing.fingerprint_file(path))
    sender.by_cid[1] = offer
    sender.accepted(1, 9)
    sender.start(fe.StreamStart(4, 9, 0))  # reads ahead: the whole file, as it was
    assert sender.next_chunk(0.0) is not None
    path.write_bytes(b"b" * 120)
    sender.start(fe.StreamStart(5, 9, 0))  # another receiver: the change shows
    assert control == [fe.StreamStop(5, "changed")]
    assert sender.streams == {}  # the offer is withdrawn: stream 4 ends too
    assert sender.next_chunk(0.0) is None
    assert withdrawn == [offer]
    last(posted, te.TransferFailed)


# --- the writer thread ---------------------------------------------------------------------------


def test_the_writer_runs_jobs_in_order_on_its_thread_then_ends() -> None:
    import threading

    from desktopchat.transfer.writer import Writer

    writer = Writer()
    seen: list[tuple[int, str]] = []
    done = threading.Event()
    for i in range(100):
        writer.run(lambda i=i: seen.append((i, threading.current_thread().name)))  # type: ignore[misc]
    writer.run(done.set)
    assert done.wait(5)
    assert [i for i, _ in seen] == list(range(100))
    assert {name for _, name in seen} == {"desktopchat-write"}
    thread = writer._thread
    writer.close()
    assert thread is not None
    thread.join(5)
    assert not thread.is_alive()
    writer.run(lambda: seen.append((-1, threading.current_thread().name)))  # after close: here
    assert seen[-1] == (-1, threading.current_thread().name)


def test_chunks_beyond_the_credit_end_the_fetch() -> None:
    h = Harness()
    data = os.urandom(40 * fe.CHUNK)
    h.receiver.fetch(offer_of(data), MemorySink(len(data), sha(data)))
    h.receiver.ready(0.0)
    h.receiver._grant = lambda fetch, chunks: None  # type: ignore[method-assign]
    h.receiver.answered(100, True, "", 0.0)
    stream_in(h, data[: (fe.WINDOW + 1) * fe.CHUNK], 0)
    assert "more of the file than was asked for" in last(h.posted, te.TransferFailed).reason
    assert h.sent(fe.CancelFetch) == [fe.CancelFetch(7)]


def test_a_room_cannot_make_us_open_the_file_without_end(tmp_path: Path) -> None:
    from desktopchat.transfer.sending import MAX_STREAMS

    posted: list[ev.Event] = []
    control: list[ev.Event] = []
    sender = Sender(posted.append, control.append, lambda offer: None)
    path = tmp_path / "a.bin"
    path.write_bytes(b"a" * 100)
    sender.by_cid[1] = Offer(1, "a.bin", "-", None, path, outgoing.fingerprint_file(path))
    sender.accepted(1, 9)
    for stream in range(MAX_STREAMS + 5):
        sender.start(fe.StreamStart(stream, 9, 0))
    assert len(sender.streams) == MAX_STREAMS
    assert control == [fe.StreamStop(s, "cancelled") for s in range(MAX_STREAMS, MAX_STREAMS + 5)]
    sender.close()
    assert sender.streams == {}


def test_an_offer_whose_ok_came_in_the_resume_replay_is_made(tmp_path: Path) -> None:
    from desktopchat.transfer.engine import TransferEngine
    from desktopchat.transfer.outgoing import fingerprint_file

    posted: list[ev.Event] = []
    queued: list[ev.Event] = []
    cids = itertools.count(1)
    engine = TransferEngine(posted.append, lambda: next(cids), queued.append, lambda: None)
    path = tmp_path / "a.txt"
    path.write_bytes(b"hello")
    offer = Offer(1, "a.txt", "text/plain", None, path)
    engine._hashed(offer, fingerprint_file(path))
    assert [type(q) for q in queued] == [fe.FileOffer]
    # the connection dropped before the ok; the resume replay carries it
    replay = ev.Replay((ev.Accepted(1, id=12, time=1.0),), resumed=True)
    assert engine.handle(replay, 0.0)
    assert posted[0] is replay
    made = last(posted, te.OfferMade)
    assert (made.cid, made.file, made.name, made.size) == (1, 12, "a.txt", 5)
    engine.close()
