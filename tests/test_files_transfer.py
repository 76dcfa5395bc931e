"""Real transfers between real ChatClients through a real room (docs/PROTOCOL.md section 14).

Small, empty and ~50 MB files, several at once, private offers, cancelling
from either side, withdrawing, a file changed after it was offered (the
sender notices; or it cannot, and the receiver's SHA-256 check does), a
member who joins later, the room's limits. Interruptions and resumes are in
test_files_transfer_resume.py. Every wait is for an event (transferkit.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from relay import MakeClient
from transferkit import Member, digest, random_file, stall
from waiting import wait_until

from desktopchat.protocol import events as ev
from desktopchat.protocol import fileevents as fe
from desktopchat.protocol import transferevents as te
from desktopchat.server import RoomServer
from desktopchat.transfer.incoming import part_path


@pytest.fixture
def ann(room: RoomServer, make_client: MakeClient) -> Member:
    return Member(make_client, room.address, "ann")


@pytest.fixture
def bob(room: RoomServer, make_client: MakeClient, ann: Member) -> Member:
    return Member(make_client, room.address, "bob")


@pytest.fixture
def files(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "out"
    folder.mkdir()
    yield folder


def test_a_small_file_arrives_whole_and_checked(ann: Member, bob: Member, tmp_path: Path) -> None:
    assert ann.allowed == bob.allowed == ann.client.files_allowed
    assert ann.allowed is not None and ann.allowed > 0
    src = random_file(tmp_path, "report.pdf", 100_000)
    file = ann.offer(src)
    offer = bob.seen_offer(file)
    assert (offer.name, offer.size, offer.sender, offer.to) == ("report.pdf", 100_000, "ann", None)
    assert offer.mime == "application/pdf"
    dest = tmp_path / "got.pdf"
    bob.client.fetch_file(file, dest)
    done = bob.done(file)
    assert done.path == dest and dest.read_bytes() == src.read_bytes()
    assert done.peer == "ann" and not part_path(dest).exists()
    sent = ann.log.wait_for(te.TransferDone, lambda e: e.file == file and not e.incoming)
    assert sent.path == src


def test_an_empty_file_and_bytes_into_memory(ann: Member, bob: Member, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    file = ann.offer(empty)
    bob.seen_offer(file)
    bob.client.fetch_file(file, tmp_path / "e.txt")
    assert bob.done(file).path == tmp_path / "e.txt"
    assert (tmp_path / "e.txt").read_bytes() == b""

    picture = os.urandom(300_000)
    cid = ann.client.offer_bytes(picture, "Pasted image.png", "image/png")
    made = ann.log.wait_for(te.OfferMade, lambda e: e.cid == cid)
    assert made.path is None and made.size == len(picture)
    assert bob.seen_offer(made.file).mime == "image/png"
    bob.client.fetch_file(made.file, None)
    done = bob.done(made.file)
    assert done.data == picture and done.path is None


def test_fifty_megabytes_arrive_verified_with_progress(
    ann: Member, bob: Member, tmp_path: Path, files: Path
) -> None:
    src = random_file(tmp_path, "big.bin", 50 * 1024 * 1024 + 123)
    file = ann.offer(src)
    bob.seen_offer(file)
    dest = files / "big.bin"
    bob.client.fetch_file(file, dest)
    done = bob.done(file, timeout=60.0)
    assert done.path == dest and digest(dest) == digest(src)
    progress = [e for e in bob.log.seen if isinstance(e, te.TransferProgress) and e.file == file]
    assert all(p.incoming and p.peer == "ann" and p.total == src.stat().st_size for p in progress)
    assert [p.done for p in progress] == sorted(p.done for p in progress)
    assert list(files.iterdir()) == [dest]


def test_several_files_at_once(ann: Member, bob: Member, tmp_path: Path, files: Path) -> None:
    sources = [random_file(tmp_path, f"f{i}.bin", 200_000 * (i + 1) + i) for i in range(7)]
    ids = [ann.offer(src) for src in sources]
    for file in ids:
        bob.seen_offer(file)
    for file, src in zip(ids, sources, strict=True):
        bob.client.fetch_file(file, files / src.name)
    for file, src in zip(ids, sources, strict=True):
        assert bob.done(file).path == files / src.name
        assert (files / src.name).read_bytes() == src.read_bytes()


def test_a_private_offer_reaches_only_its_receiver(
    room: RoomServer, make_client: MakeClient, ann: Member, bob: Member, tmp_path: Path
) -> None:
    carol = Member(make_client, room.address, "carol")
    src = random_file(tmp_path, "secret.txt", 5000)
    file = ann.offer(src, to="bob")
    offer = bob.seen_offer(file)
    assert offer.to == "bob"
    # carol never hears of it; told the id, the room refuses her
    carol.client.send("/who")
    carol.log.wait_for(ev.UserList)
    assert not [e for e in carol.log.seen if isinstance(e, fe.FileOffer)]
    carol.client.transfers.call(lambda now: carol.client.transfers.offers.update({file: offer}))
    carol.client.fetch_file(file, tmp_path / "stolen.txt")
    assert "No such file on offer to you" in carol.failed(file).reason
    assert (
        not (tmp_path / "stolen.txt").exists() and not part_path(tmp_path / "stolen.txt").exists()
    )
    bob.client.fetch_file(file, tmp_path / "mine.txt")
    assert bob.done(file).path == tmp_path / "mine.txt"


def test_the_receiver_cancels(ann: Member, bob: Member, tmp_path: Path, files: Path) -> None:
    src = random_file(tmp_path, "big.bin", 4 * 1024 * 1024)
    file = ann.offer(src)
    bob.seen_offer(file)
    stall(bob)
    dest = files / "big.bin"
    bob.client.fetch_file(file, dest)
    wait_until(lambda: part_path(dest).exists() and part_path(dest).stat().st_size > 0)
    bob.client.cancel_fetch(file)
    assert bob.failed(file).reason == "You cancelled the transfer."
    told = ann.failed(file, incoming=False)
    assert told.reason == "The receiver cancelled the transfer."
    assert list(files.iterdir()) == []


def test_the_sender_withdraws_mid_transfer(
    ann: Member, bob: Member, tmp_path: Path, files: Path
) -> None:
    src = random_file(tmp_path, "big.bin", 4 * 1024 * 1024)
    file = ann.offer(src)
    bob.seen_offer(file)
    stall(bob)
    dest = files / "big.bin"
    bob.client.fetch_file(file, dest)
    wait_until(lambda: part_path(dest).exists() and part_path(dest).stat().st_size > 0)
    ann.client.withdraw_file(file)
    bob.log.wait_for(fe.FileWithdrawn, lambda e: e.file == file)
    assert bob.failed(file).reason == "ann withdrew the file."
    assert list(files.iterdir()) == []
    assert file not in bob.client.transfers.offers
    bob.client.fetch_file(file, dest)  # too late now
    assert bob.failed(file).reason == "That file is no longer offered."


def test_a_file_changed_after_the_offer_fails_and_leaves_nothing(
    ann: Member, bob: Member, tmp_path: Path, files: Path
) -> None:
    src = random_file(tmp_path, "doc.txt", 300_000)
    file = ann.offer(src)
    bob.seen_offer(file)
    src.write_bytes(b"new content" * 1000)  # another size: the sender notices
    bob.client.fetch_file(file, files / "doc.txt")
    reason = bob.failed(file).reason
    assert reason == "The file changed on ann's side after it was offered; ask for it again."
    assert "changed after you offered it" in ann.failed(file, incoming=False).reason
    assert list(files.iterdir()) == []


def test_a_checksum_mismatch_is_never_shown_complete(
    ann: Member, bob: Member, tmp_path: Path, files: Path
) -> None:
    src = random_file(tmp_path, "doc.bin", 300_000)
    file = ann.offer(src)
    bob.seen_offer(file)
    # same size, same modification time: only the SHA-256 can tell
    before = src.stat()
    with open(src, "r+b") as f:
        f.seek(1000)
        f.write(b"\0" * 10)
    os.utime(src, ns=(before.st_atime_ns, before.st_mtime_ns))
    bob.client.fetch_file(file, files / "doc.bin")
    assert bob.failed(file).reason.startswith("Checksum mismatch:")
    assert not [e for e in bob.log.seen if isinstance(e, te.TransferDone)]
    assert list(files.iterdir()) == []


def test_a_late_joiner_fetches_while_the_sender_is_there(
    room: RoomServer, make_client: MakeClient, ann: Member, tmp_path: Path
) -> None:
    src = random_file(tmp_path, "notes.txt", 70_000)
    file = ann.offer(src)
    carol = Member(make_client, room.address, "carol")
    replay = carol.log.wait_for(ev.Replay)
    offers = [e for e in replay.events if isinstance(e, fe.FileOffer)]
    assert [o.file for o in offers] == [file]
    carol.client.fetch_file(file, tmp_path / "late.txt")
    assert carol.done(file).path == tmp_path / "late.txt"
    assert (tmp_path / "late.txt").read_bytes() == src.read_bytes()


def test_over_the_room_limit_is_refused_before_hashing(
    make_client: MakeClient, tmp_path: Path
) -> None:
    with RoomServer("127.0.0.1", 0, max_file_size=1000) as small:
        ann = Member(make_client, small.address, "ann")
        assert ann.allowed == 1000
        cid = ann.client.offer_file(random_file(tmp_path, "big.bin", 1001))
        reason = ann.log.wait_for(ev.Rejected, lambda e: e.cid == cid).reason
        assert reason == "big.bin is larger than this room takes (1,000 bytes at most)."


def test_a_room_without_files(make_client: MakeClient, tmp_path: Path) -> None:
    with RoomServer("127.0.0.1", 0, max_file_size=0) as plain:
        ann = Member(make_client, plain.address, "ann")
        assert ann.allowed is None and ann.client.files_allowed is None
        cid = ann.client.offer_file(random_file(tmp_path, "a.txt", 10))
        assert ann.log.wait_for(ev.Rejected, lambda e: e.cid == cid).reason == (
            "This room does not take files."
        )
        ann.client.send("still chatting")
        ann.log.wait_for(ev.Accepted)


def test_a_bad_name_is_refused_at_once(ann: Member) -> None:
    with pytest.raises(ValueError):
        ann.client.offer_bytes(b"x", "a/b.txt", "-")


def test_an_offer_is_accepted_then_made(ann: Member, tmp_path: Path) -> None:
    cid = ann.client.offer_file(random_file(tmp_path, "a.txt", 10))
    made = ann.log.wait_for(te.OfferMade, lambda e: e.cid == cid)
    kinds = [type(e) for e in ann.log.seen if getattr(e, "cid", None) == cid]
    assert kinds == [ev.Accepted, te.OfferMade]
    assert made.name == "a.txt" and made.size == 10 and made.to is None


def test_a_transfer_over_tls(tls_room: RoomServer, make_client: MakeClient, tmp_path: Path) -> None:
    ann = Member(make_client, tls_room.address, "ann", try_tls=True)
    bob = Member(make_client, tls_room.address, "bob", try_tls=True)
    src = random_file(tmp_path, "sealed.bin", 3 * 1024 * 1024 + 5)
    file = ann.offer(src)
    bob.seen_offer(file)
    bob.client.fetch_file(file, tmp_path / "opened.bin")
    assert bob.done(file).path == tmp_path / "opened.bin"
    assert digest(tmp_path / "opened.bin") == digest(src)


def test_a_sender_who_leaves_withdraws_its_offers(ann: Member, bob: Member, tmp_path: Path) -> None:
    file = ann.offer(random_file(tmp_path, "a.txt", 10))
    bob.seen_offer(file)
    ann.client.close()
    # at once, not after the room's grace for a sender who is only away
    gone = bob.log.wait_for(fe.FileWithdrawn, lambda e: e.file == file, timeout=5.0)
    assert gone.sender == "ann"
