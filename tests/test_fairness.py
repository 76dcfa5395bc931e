"""Finding 4 of issue 8 on real sockets: a flooder gets "Slow down", honest members stay.

A real RoomServer with its default rate limits, our ChatClient as the
flooder, and a raw reader that reads at a fixed pace: many times what the
room lets one member send, far less than what a flooder can write.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
from peer import Peer
from relay import EventLog, MakeClient
from waiting import wait_until

from desktopchat import session
from desktopchat.__main__ import build_parser
from desktopchat.protocol import events as ev
from desktopchat.serve import rate_limits_from
from desktopchat.server import RoomServer
from desktopchat.server.rates import DEFAULT_RATE_LIMITS, RateLimits

#: Bytes a second the honest reader takes: 16 times the room's byte limit a
#: member, a thousandth of what a flooder writes on the loopback.
READER_RATE = 16 * DEFAULT_RATE_LIMITS.bytes
FLOOD = 3000  # messages of ...
SIZE = 8 * 1024  # ... 8 KiB: 24 MiB, flat out


class PacedReader:
    """A joined protocol-1 member reading at most ``rate`` bytes a second, on a thread.

    The pacing is the load model (a reader that keeps up with the room's real
    rate, not with a flood); nothing waits on it for synchronisation.
    """

    def __init__(self, address: tuple[str, int], name: str, rate: float) -> None:
        self.peer = Peer.joined(address, name)
        self.peer.users()
        # A small receive buffer: the kernel cannot hide a backlog from the server.
        self.peer.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        self.rate = rate
        self.pairs: list[tuple[str, str]] = []
        self.closed = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        sock, decoder = self.peer.sock, self.peer.decoder
        sock.settimeout(0.05)
        start, taken = time.monotonic(), 0
        while not self._stop.is_set():
            allowed = int(self.rate * (time.monotonic() - start)) - taken
            if allowed < 4096:
                time.sleep(0.005)  # pacing: the reader's speed, not a wait for an event
                continue
            try:
                data = sock.recv(min(allowed, 65536))
            except TimeoutError:
                continue
            except OSError:
                data = b""
            if not data:
                self.closed = True
                return
            taken += len(data)
            decoder.receive_data(data)
            self.pairs.extend(decoder)

    def said(self, sender: str) -> list[str]:
        return [text for who, text in list(self.pairs) if who == sender]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.peer.sock.settimeout(self.peer.timeout)


def answers(log: EventLog, count: int, timeout: float) -> list[ev.Accepted | ev.Rejected]:
    """The next ``count`` answers to our requests (a drop fails the test)."""
    got: list[ev.Accepted | ev.Rejected] = []
    deadline = time.monotonic() + timeout
    while len(got) < count:
        event = log.next(max(0.0, deadline - time.monotonic()))
        assert not isinstance(event, ev.Disconnected | ev.Failed), event
        if isinstance(event, ev.Accepted | ev.Rejected):
            got.append(event)
    return got


def test_a_flooder_cannot_get_an_honest_reader_dropped(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The flooder is our client with its own pacing off: a hostile one does not pace itself.
    monkeypatch.setattr(session, "PACE_REQUESTS", (1e9, 10**9))
    monkeypatch.setattr(session, "PACE_BYTES", (1e12, 10**12))
    with RoomServer("127.0.0.1", 0, history=0) as server:
        reader = PacedReader(server.address, "reader", READER_RATE)
        flooder = make_client(server.address, "flooder")
        log = EventLog(flooder.events)
        flooder.start()
        log.wait_for(ev.Replay)
        number: dict[int, int] = {}
        start = time.monotonic()
        for i in range(FLOOD):
            number[flooder.send(ev.Message(f"{i:05d}" + "x" * (SIZE - 5)))] = i
        got = answers(log, FLOOD, timeout=60)
        elapsed = time.monotonic() - start
        accepted = [number[a.cid] for a in got if isinstance(a, ev.Accepted)]
        refusals = {a.reason for a in got if isinstance(a, ev.Rejected)}
        # The honest reader gets every message the room accepted and stays in.
        wanted = [f"{i:05d}" for i in accepted]
        wait_until(
            lambda: reader.closed or len(reader.said("flooder")) >= len(wanted),
            timeout=5 + len(wanted) * SIZE / READER_RATE,
            what="the reader has every accepted message",
        )
        assert not reader.closed, "the honest reader was dropped"
        # The room took what the limits allow, in order, and refused the rest.
        limits = DEFAULT_RATE_LIMITS
        assert refusals <= {limits.refusal("bytes"), limits.refusal("messages")}, refusals
        most = min(
            limits.message_burst + limits.messages * elapsed,
            (limits.byte_burst + limits.bytes * elapsed) / SIZE,
        )
        assert accepted == sorted(accepted) and 0 < len(accepted) <= most + 1, (accepted, elapsed)
        reader.stop()
        assert [text[:5] for text in reader.said("flooder")] == wanted
        assert all(who != "*leave" for who, _ in reader.pairs)
        reader.peer.send("/who")
        assert reader.peer.read_until("*users") == "reader flooder"
        reader.peer.close()


def test_nick_spam_is_refused_with_slow_down_and_others_see_only_the_renames_taken(
    make_client: MakeClient,
) -> None:
    # (20 renames are within our client's own pace: only the room's rename limit bites.)
    with RoomServer("127.0.0.1", 0) as server, Peer.joined(server.address, "bob") as bob:
        spammer = make_client(server.address, "eve")
        log = EventLog(spammer.events)
        spammer.start()
        log.wait_for(ev.Replay)
        bob.read_until("*join", "eve")
        cids = [spammer.send(ev.NickChange(f"eve{i}")) for i in range(20)]
        got = answers(log, len(cids), timeout=10)
        taken = [a for a in got if isinstance(a, ev.Accepted)]
        refused = [a for a in got if isinstance(a, ev.Rejected)]
        assert len(taken) == DEFAULT_RATE_LIMITS.nick_burst, got
        assert {r.reason for r in refused} == {DEFAULT_RATE_LIMITS.refusal("nicks")}
        assert all(r.reason.startswith("Slow down:") for r in refused)
        # bob saw exactly the renames the room took, then nothing more.
        bob.send("/who")
        seen = []
        while (pair := bob.pair())[0] != "*users":
            seen.append(pair)
        assert seen == [("*nick", "eve eve0"), ("*nick", "eve0 eve1"), ("*nick", "eve1 eve2")]
        assert pair[1] == "bob eve2"


def test_lines_typed_while_away_go_out_paced_and_none_is_refused(
    make_client: MakeClient,
) -> None:
    # More lines than the room takes at once wait in the outbox (typed while
    # disconnected); our client paces them below the room's limits.
    backlog = DEFAULT_RATE_LIMITS.message_burst + 15
    with RoomServer("127.0.0.1", 0) as server, Peer.joined(server.address, "bob") as bob:
        ann = make_client(server.address, "ann")
        log = EventLog(ann.events)
        for i in range(backlog):
            ann.send(f"line {i}")
        ann.start()
        got = answers(log, backlog, timeout=15)
        assert [type(a) for a in got] == [ev.Accepted] * backlog, got
        assert [bob.read_until("ann") for _ in range(backlog)] == [
            f"line {i}" for i in range(backlog)
        ]


def test_a_protocol_1_flooder_gets_error_pairs_and_the_room_relays_only_the_burst() -> None:
    limits = RateLimits(messages=1, message_burst=5)
    with (
        RoomServer("127.0.0.1", 0, rate_limits=limits) as server,
        Peer.joined(server.address, "bob") as bob,
        Peer.joined(server.address, "tut") as tut,
    ):
        bob.read_until("*join", "tut")
        tut.users()
        tut.send_raw(b"".join(f"{len(t):<10}".encode() + t for t in (b"m%d" % i for i in range(8))))
        errors = [tut.read_until("*error") for _ in range(3)]
        assert errors == [limits.refusal("messages")] * 3
        bob.send("/who")
        got = []
        while (pair := bob.pair())[0] != "*users":
            got.append(pair)
        assert got == [("tut", f"m{i}") for i in range(5)]


def test_rate_limit_options_on_the_command_line() -> None:
    parser = build_parser()
    assert rate_limits_from(parser.parse_args(["--serve"])) == DEFAULT_RATE_LIMITS
    args = parser.parse_args(
        ["--serve", "--rate-limit", "5,20", "--byte-limit", "1000", "--nick-limit", "1,2"]
    )
    assert rate_limits_from(args) == RateLimits(5, 20, 1000, 4000, 1, 2)
    assert rate_limits_from(parser.parse_args(["--serve", "--rate-limit", "0"])) == RateLimits(
        0, 30
    )
