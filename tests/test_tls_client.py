"""Our client over TLS against real rooms: pins, first use, men in the middle, old servers.

Real RoomServers with real identities on 127.0.0.1, the client's real
network thread; what an eavesdropper or an attacker got is read from
``tests/mitm.py``'s Tap and Mitm. Nothing the client sends before the pin
check may carry a name or a password.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mitm import Mitm, Tap
from peer import Peer
from relay import EventLog, MakeClient
from waiting import wait_until

from desktopchat import session as session_mod
from desktopchat.client import ChatClient
from desktopchat.net.tls import Identity
from desktopchat.protocol import events as ev
from desktopchat.server import RoomServer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def tls_room(identity: Identity) -> Iterator[RoomServer]:
    with RoomServer("127.0.0.1", 0, identity=identity, password="s3cret-pw") as server:
        yield server


def _ends_with(log: EventLog, kind: type[ev.Event]) -> ev.Event:
    """The client's last events: ``kind``, then Stopped (the thread ended by itself)."""
    event = log.wait_for(kind)
    log.wait_for(ev.Stopped)
    return event


def test_pinned_session_is_encrypted_and_the_wire_shows_no_text(
    tls_room: RoomServer, make_client: MakeClient
) -> None:
    fp = tls_room.fingerprint
    assert fp is not None
    with Tap(tls_room.address) as tap:
        ann = make_client(tap.address, "annabel", password="s3cret-pw", pin=fp)
        bob = make_client(tap.address, "bobcat", password="s3cret-pw", pin=fp)
        ann_log, bob_log = EventLog(ann.events), EventLog(bob.events)
        ann.start()
        connected = ann_log.wait_for(ev.Connected)
        assert connected.encrypted and connected.fingerprint == fp
        bob.start()
        assert bob_log.wait_for(ev.Connected).encrypted
        ann_log.wait_for(ev.Joined, lambda e: e.name == "bobcat")
        bob.send("the secret plan is xylophone")
        said = ann_log.wait_for(ev.Message)
        assert said.text == "the secret plan is xylophone"
        ann.send("/msg bobcat private zebra crossing")
        assert bob_log.wait_for(ev.Private).text == "private zebra crossing"
        wire = tap.wire()
    assert len(wire) > 1000
    for secret in (b"xylophone", b"zebra", b"s3cret-pw", b"annabel", b"bobcat", b"*welcome"):
        assert secret not in wire


def test_man_in_the_middle_is_refused_and_learns_nothing(
    tls_room: RoomServer, other_identity: Identity, make_client: MakeClient
) -> None:
    fp = tls_room.fingerprint
    assert fp is not None
    with Mitm(tls_room.address, other_identity) as mitm:
        ann = make_client(mitm.address, "ann", password="s3cret-pw", pin=fp)
        ann.send("hello, secret room")  # queued before the connection: must never leave
        log = EventLog(ann.events)
        ann.start()
        mismatch = _ends_with(log, ev.PinMismatch)
        assert mismatch == ev.PinMismatch(*mitm.address, fp, other_identity.fingerprint)
        assert not any(isinstance(e, ev.Connected | ev.Reconnecting) for e in log.seen)
        wait_until(lambda: mitm.handshakes == 1)
        time.sleep(0.2)  # anything the client might still write would have arrived
        with mitm.lock:
            assert bytes(mitm.from_clients) == b""
    assert tls_room.member_count == 0


def test_first_use_asks_and_sends_nothing(
    tls_room: RoomServer, other_identity: Identity, make_client: MakeClient
) -> None:
    with Mitm(tls_room.address, other_identity) as mitm:
        ann = make_client(mitm.address, "ann", password="s3cret-pw", ask_first_use=True)
        log = EventLog(ann.events)
        ann.start()
        untrusted = _ends_with(log, ev.Untrusted)
        assert untrusted == ev.Untrusted(*mitm.address, other_identity.fingerprint)
        time.sleep(0.2)
        with mitm.lock:
            assert bytes(mitm.from_clients) == b""


def test_trust_after_asking_then_join_with_the_pin(
    tls_room: RoomServer, make_client: MakeClient
) -> None:
    first = make_client(tls_room.address, "ann", password="s3cret-pw", ask_first_use=True)
    log = EventLog(first.events)
    first.start()
    untrusted = _ends_with(log, ev.Untrusted)
    assert isinstance(untrusted, ev.Untrusted)
    assert untrusted.fingerprint == tls_room.fingerprint
    again = make_client(
        tls_room.address, "ann", password="s3cret-pw", pin=untrusted.fingerprint.upper()
    )
    log = EventLog(again.events)
    again.start()
    assert log.wait_for(ev.Connected).fingerprint == tls_room.fingerprint


def test_certificate_change_after_a_first_visit_is_refused(
    identity: Identity, other_identity: Identity, make_client: MakeClient
) -> None:
    server = RoomServer("127.0.0.1", 0, identity=identity)
    server.start()
    address = server.address
    ann = make_client(address, "ann", try_tls=True)  # takes the first certificate it sees
    log = EventLog(ann.events)
    ann.start()
    assert log.wait_for(ev.Connected).fingerprint == identity.fingerprint
    server.stop()
    log.wait_for(ev.Disconnected)
    # Someone else answers at the same address with another certificate.
    with RoomServer(*address, identity=other_identity) as impostor:
        mismatch = _ends_with(log, ev.PinMismatch)
        assert mismatch == ev.PinMismatch(
            *address, identity.fingerprint, other_identity.fingerprint
        )
        assert impostor.member_count == 0


def test_pin_against_a_room_without_tls_is_refused_without_fallback(
    room: RoomServer, make_client: MakeClient
) -> None:
    fp = "ab" * 32
    ann = make_client(room.address, "ann", pin=fp)
    log = EventLog(ann.events)
    ann.start()
    assert _ends_with(log, ev.PinMismatch) == ev.PinMismatch(*room.address, fp, None)
    with Peer.joined(room.address, "bob") as bob:
        assert bob.users() == ["bob"]  # ann never got in


def test_first_use_against_a_room_without_tls_connects_in_plaintext(
    room: RoomServer, make_client: MakeClient
) -> None:
    ann = make_client(room.address, "ann", ask_first_use=True)
    log = EventLog(ann.events)
    ann.start()
    connected = log.wait_for(ev.Connected)
    assert not connected.encrypted and connected.fingerprint is None
    with Peer.joined(room.address, "bob") as bob:
        bob.users()
        ann.send("hi bob")
        assert bob.expect("ann") == "hi bob"


def test_try_tls_takes_any_certificate_and_plain_rooms(
    tls_room: RoomServer, room: RoomServer, make_client: MakeClient
) -> None:
    ann = make_client(tls_room.address, "ann", password="s3cret-pw", try_tls=True)
    log = EventLog(ann.events)
    ann.start()
    connected = log.wait_for(ev.Connected)
    assert connected.encrypted and connected.fingerprint == tls_room.fingerprint
    bob = make_client(room.address, "bob", try_tls=True)
    log = EventLog(bob.events)
    bob.start()
    assert not log.wait_for(ev.Connected).encrypted


def test_our_client_on_the_tutorial_server_connects_in_plaintext(make_client: MakeClient) -> None:
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / "tutorial_server.py"), "127.0.0.1", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()  # "Listening for connections on 127.0.0.1:PORT..."
        port = int(line.rsplit(":", 1)[1].rstrip(".\n"))
        ann = make_client(("127.0.0.1", port), "ann", ask_first_use=True)
        log = EventLog(ann.events)
        started = time.monotonic()
        ann.start()
        connected = log.wait_for(ev.Connected, timeout=session_mod.TLS_PROBE_TIMEOUT + 5)
        assert not connected.encrypted and connected.version == 0
        assert time.monotonic() - started >= session_mod.TLS_PROBE_TIMEOUT
        with Peer(("127.0.0.1", port), "bob", tutorial=True) as bob:
            time.sleep(0.2)  # the tutorial's server takes bob's name in its own time
            ann.send("hello tutorial")
            assert bob.expect("ann") == "hello tutorial"
    finally:
        server.terminate()
        server.wait(5)


def test_reconnect_to_a_plain_room_goes_plaintext_directly(
    room: RoomServer, make_client: MakeClient
) -> None:
    ann = make_client(room.address, "ann", ask_first_use=True)
    log = EventLog(ann.events)
    ann.start()
    log.wait_for(ev.Connected)
    assert ann._plain  # the documented decision: no probe on reconnects


def test_pin_is_checked_and_normalised_at_construction() -> None:
    with pytest.raises(ValueError, match="fingerprint"):
        ChatClient("127.0.0.1", 1, "ann", pin="not-a-fingerprint")
    client = ChatClient("127.0.0.1", 1, "ann", pin=":".join(["AB"] * 32))
    assert client.pin == "ab" * 32
    client.close()


def test_wrong_password_over_tls_is_refused_as_in_plaintext(
    tls_room: RoomServer, make_client: MakeClient
) -> None:
    ann = make_client(tls_room.address, "ann", password="guess", pin=tls_room.fingerprint)
    log = EventLog(ann.events)
    ann.start()
    assert log.wait_for(ev.Failed).reason == "Wrong password."


def test_reconnect_keeps_the_pin_and_stays_encrypted(
    identity: Identity, make_client: MakeClient
) -> None:
    server = RoomServer("127.0.0.1", 0, identity=identity)
    server.start()
    address = server.address
    ann = make_client(address, "ann", pin=identity.fingerprint)
    log = EventLog(ann.events)
    ann.start()
    assert log.wait_for(ev.Connected).encrypted
    server.stop()
    log.wait_for(ev.Disconnected)
    with RoomServer(*address, identity=identity):  # the same room, restarted
        again = log.wait_for(ev.Connected, timeout=15)
        assert again.encrypted and again.fingerprint == identity.fingerprint
