"""Transfers interrupted and resumed, through a proxy that cuts connections (tests/cutproxy.py).

* the receiver's connection is cut mid-transfer: after the reconnect it asks
  again from the bytes it has (the second ``get``'s offset is not 0), and
  the file is byte-identical;
* the sender's connection is cut: the receiver is told it is away, waits,
  asks again when the sender is back (same token: the offer survived);
* a receiver that quit leaves its ``.part``; fetching into it again later
  (another client) hashes that prefix and asks only for the rest.

Each transfer is held after the room's initial window (transferkit.stall)
so the cut comes at a known point, and let go after it.
"""

from __future__ import annotations

from pathlib import Path

from cutproxy import CutProxy
from relay import MakeClient
from transferkit import Member, digest, random_file, stall, unstall
from waiting import wait_until

from desktopchat.protocol import events as ev
from desktopchat.protocol import fileevents as fe
from desktopchat.protocol import transferevents as te
from desktopchat.server import RoomServer
from desktopchat.transfer.incoming import part_path

HELD = fe.WINDOW * fe.CHUNK  # what a stalled fetch receives: the initial window
SIZE = 3 * 1024 * 1024 + 777


def test_a_receiver_cut_mid_transfer_resumes_where_it_stopped(
    room: RoomServer, make_client: MakeClient, tmp_path: Path
) -> None:
    ann = Member(make_client, room.address, "ann")
    src = random_file(tmp_path, "movie.bin", SIZE)
    file = ann.offer(src)
    with CutProxy(room.address) as proxy:
        bob = Member(make_client, proxy.address, "bob")
        bob.seen_offer(file)
        stall(bob)
        dest = tmp_path / "movie.bin.received"
        bob.client.fetch_file(file, dest)
        fetch = bob.fetch(file)
        wait_until(lambda: fetch.sink.written == HELD, what="the initial window written")
        proxy.cut(keep_ghost=False)
        unstall(bob)  # after the cut: not a byte more came on the first stream
        bob.log.wait_for(ev.Disconnected)
        waiting = bob.log.wait_for(te.TransferWaiting, lambda e: e.file == file)
        assert "resumes after the reconnect" in waiting.reason
        bob.log.wait_for(ev.Connected, lambda e: e.resumed)
        done = bob.done(file)
    assert done.path == dest and digest(dest) == digest(src)
    assert fetch.offsets == [0, HELD]  # the second get did not start from 0
    assert not part_path(dest).exists()


def test_a_sender_cut_mid_transfer_is_waited_for(
    room: RoomServer, make_client: MakeClient, tmp_path: Path
) -> None:
    src = random_file(tmp_path, "movie.bin", SIZE)
    with CutProxy(room.address) as proxy:
        ann = Member(make_client, proxy.address, "ann")
        file = ann.offer(src)
        bob = Member(make_client, room.address, "bob")
        bob.seen_offer(file)
        stall(bob)
        dest = tmp_path / "got.bin"
        bob.client.fetch_file(file, dest)
        fetch = bob.fetch(file)
        wait_until(lambda: fetch.sink.written == HELD, what="the initial window written")
        proxy.accepting = False  # ann stays away until the test lets her back
        proxy.cut(keep_ghost=False)
        unstall(bob)
        waiting = bob.log.wait_for(te.TransferWaiting, lambda e: e.file == file)
        assert waiting.reason == "ann's connection dropped; waiting for them to come back."
        ann.log.wait_for(ev.Disconnected)
        proxy.accepting = True
        ann.log.wait_for(ev.Connected, lambda e: e.resumed, timeout=15.0)
        done = bob.done(file, timeout=30.0)
        assert done.path == dest and digest(dest) == digest(src)
        assert fetch.offsets[0] == 0 and set(fetch.offsets[1:]) == {HELD}
        # ann's offer is still hers after her reconnect: carol, new, fetches it too
        carol = Member(make_client, room.address, "carol")
        carol.client.fetch_file(file, tmp_path / "carol.bin")
        assert carol.done(file).path == tmp_path / "carol.bin"
    assert digest(tmp_path / "carol.bin") == digest(src)


def test_a_part_left_by_an_earlier_client_is_resumed(
    room: RoomServer, make_client: MakeClient, tmp_path: Path
) -> None:
    ann = Member(make_client, room.address, "ann")
    src = random_file(tmp_path, "movie.bin", SIZE)
    file = ann.offer(src)
    bob = Member(make_client, room.address, "bob")
    bob.seen_offer(file)
    stall(bob)
    dest = tmp_path / "kept.bin"
    bob.client.fetch_file(file, dest)
    fetch = bob.fetch(file)
    wait_until(lambda: fetch.sink.written == HELD, what="the initial window written")
    bob.client.close()
    assert part_path(dest).stat().st_size == HELD  # kept for a later resume

    again = Member(make_client, room.address, "bob2")
    again.seen_offer(file)
    stall(again)
    again.client.fetch_file(file, dest)
    resumed = again.fetch(file)
    wait_until(lambda: resumed.offsets, what="the get after hashing the .part")
    assert resumed.offsets == [HELD]
    unstall(again)
    done = again.done(file)
    assert done.path == dest and digest(dest) == digest(src)


def test_a_restarted_room_ends_fetches_and_forgets_offers(
    make_client: MakeClient, tmp_path: Path
) -> None:
    first = RoomServer("127.0.0.1", 0)
    first.start()
    port = first.address[1]
    ann = Member(make_client, ("127.0.0.1", port), "ann")
    bob = Member(make_client, ("127.0.0.1", port), "bob")
    src = random_file(tmp_path, "movie.bin", SIZE)
    file = ann.offer(src)
    bob.seen_offer(file)
    stall(bob)
    dest = tmp_path / "got.bin"
    bob.client.fetch_file(file, dest)
    fetch = bob.fetch(file)
    wait_until(lambda: fetch.sink.written == HELD, what="the initial window written")
    first.stop()
    bob.log.wait_for(ev.Disconnected)
    with RoomServer("127.0.0.1", port):
        bob.log.wait_for(ev.Connected, lambda e: not e.resumed, timeout=15.0)
        failed = bob.failed(file)
        assert failed.reason == "The room was restarted; the file is no longer offered."
        assert not part_path(dest).exists() and not dest.exists()
        assert file not in bob.client.transfers.offers
        ann.log.wait_for(ev.Connected, lambda e: not e.resumed, timeout=15.0)
        ann.log.wait_for(te.FilesAllowed)  # posted once the engine took the welcome
        assert ann.client.transfers.sender.by_file == {}


def test_fetching_again_into_the_same_part_goes_on_in_it(
    room: RoomServer, make_client: MakeClient, tmp_path: Path
) -> None:
    ann = Member(make_client, room.address, "ann")
    src = random_file(tmp_path, "movie.bin", SIZE)
    file = ann.offer(src)
    bob = Member(make_client, room.address, "bob")
    bob.seen_offer(file)
    stall(bob)
    dest = tmp_path / "got.bin"
    bob.client.fetch_file(file, dest)
    first = bob.fetch(file)
    wait_until(lambda: first.sink.written == HELD, what="the initial window written")
    unstall(bob)
    bob.client.fetch_file(file, dest)  # the same destination again: replaces the first
    assert bob.done(file).path == dest
    assert digest(dest) == digest(src)
    assert not [e for e in bob.log.seen if isinstance(e, te.TransferFailed)]
