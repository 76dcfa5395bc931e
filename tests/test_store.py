"""Saved history across restarts: a real RoomServer on a tmp data folder, real clients.

What a restart keeps (docs/PROTOCOL.md, "Ids" and "Resuming"): the newcomer
history (protocol 2 and protocol 1), the epoch, ids that keep increasing, a
resume that brings exactly what was missed, the answers to requests already
carried out, and private messages for their two parties only.
"""

from __future__ import annotations

from pathlib import Path

from peer import Peer
from storekit import V2, epoch_of, ids, saved_room, texts

from desktopchat.protocol import events
from desktopchat.protocol import events as ev
from desktopchat.server.sqlitestore import DB_NAME


def test_newcomers_get_the_history_after_a_restart_with_ids_and_epoch_kept(
    tmp_path: Path,
) -> None:
    with saved_room(tmp_path) as room:
        ann = V2(room.address, "ann", "annToken")
        welcome, _ = ann.joined()
        oks = [ann.say(f"before {i}") for i in range(3)]
        ann.close()
    epoch = welcome.epoch

    with saved_room(tmp_path) as room:
        bob = V2(room.address, "bob", "bobToken")
        again, replay = bob.joined()
        assert again.epoch == epoch
        assert not replay.resumed
        assert texts(replay.events) == ["before 0", "before 1", "before 2"]
        assert ids(replay.events) == ids(oks)
        assert [e.time for e in replay.events] == [ok.time for ok in oks]
        # Ids go on from where the last run stopped (bob's join is newer).
        last = again.last_id
        assert last is not None and last > ids(oks)[-1]
        assert bob.say("after").id == last + 1

        with Peer(room.address) as carol:  # protocol 1 gets the same history
            carol.enter("carol")
            assert carol.expect(events.HISTORY) == "4"
            for i in range(3):
                carol.expect("ann", f"before {i}")
            carol.expect("bob", "after")
            bob.until(ev.Joined)
            bob.say("live")
            carol.read_until("bob", "live")
        bob.close()


def test_a_member_cut_before_a_restart_resumes_after_it_with_exactly_what_it_missed(
    tmp_path: Path,
) -> None:
    with saved_room(tmp_path) as room:
        ann = V2(room.address, "ann", "annToken")
        first, _ = ann.joined()
        bob = V2(room.address, "bob", "bobToken")
        bob.joined()
        ann.until(ev.Joined)
        bob.say("seen by ann")
        seen = ann.until(ev.Message)
        # ann sends a message and is cut before its ok comes back.
        cid = ann.send(ev.Message("sent as the line died"))
        assert bob.until(ev.Message).text == "sent as the line died"
        ann.close()
        bob.until(ev.Left)
        bob.say("missed 1")
        bob.say("missed 2")
    bob.close()  # the room closed first: his leave is no room event
    assert seen.id is not None

    with saved_room(tmp_path) as room:
        carol = V2(room.address, "carol", "carolToken")
        carol.joined()
        carol.say("after the restart")
        assert epoch_of(room) == first.epoch  # the same run of the room, as far as ids go
        ann = V2(room.address, "ann", "annToken", resume=(epoch_of(room), seen.id))
        welcome, replay = ann.joined()
        assert replay.resumed and replay.gap is None
        got = list(replay.events)
        # Her own message as its ok, bob's messages, carol's join and message;
        # not her own leave, nothing twice.
        assert isinstance(got[0], ev.Accepted) and got[0].cid == cid
        kinds = [type(e).__name__ for e in got[1:]]
        assert kinds == ["Message", "Message", "Joined", "Message"]
        assert texts(got) == ["missed 1", "missed 2", "after the restart"]
        numbers = ids(got)
        assert numbers == sorted(set(numbers)) and numbers[0] > seen.id  # in order, once each
        assert welcome.last_id == numbers[-1] + 1  # her new join

        # The resent request is answered again, not carried out twice.
        ann.send(ev.Message("sent as the line died"), cid=cid)
        assert ann.until(ev.Accepted) == got[0]
        carol.send(ev.Message("next"))
        while not isinstance(event := carol.next(), ev.Accepted):
            assert not isinstance(event, ev.Message), f"carol got {event} again"
        assert ann.until(ev.Message).text == "next"
        ann.close()
        carol.close()


def test_private_messages_are_replayed_only_to_their_two_parties(tmp_path: Path) -> None:
    with saved_room(tmp_path) as room:
        ann = V2(room.address, "ann", "annSecretToken42")
        bob = V2(room.address, "bob", "bobSecretToken42")
        dan = V2(room.address, "dan", "danSecretToken42")
        for member in (ann, bob, dan):
            member.joined()  # all three are in the room from here on
        start = ann.say("public").id
        assert start is not None
        cid = ann.send(ev.Private("for bob only", to="bob"))
        private = ann.until(ev.Accepted)
        assert private.cid == cid
        assert bob.until(ev.Private).text == "for bob only"
        epoch = epoch_of(room)
        for member in (ann, bob, dan):
            member.close()

    # No token is on the disk: only keyed hashes of them.
    saved = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith(DB_NAME))
    assert b"for bob only" in saved
    assert b"SecretToken42" not in saved

    with saved_room(tmp_path) as room:
        resumes = {}
        for name in ("bob", "ann", "dan"):
            client = V2(room.address, name, f"{name}SecretToken42", resume=(epoch, start))
            resumes[name] = list(client.joined()[1].events)
            client.close()
        assert "for bob only" in texts(resumes["bob"])
        assert private in resumes["ann"] and "for bob only" not in texts(resumes["ann"])
        assert "for bob only" not in texts(resumes["dan"])
        # A newcomer's history holds public chat only.
        eve = V2(room.address, "eve", "eveToken")
        assert texts(eve.joined()[1].events) == ["public"]
        eve.close()
