"""Benchmark (run by hand): cut the window's connection 100 times; is any line lost or doubled?

    python benchmarks/reconnect_cuts.py [--cuts 100] [--rate 4] [--seed 1]

The issue's target: "Reconnect through a proxy that cuts the connection 100
times during a two-sender conversation: zero lines lost, zero duplicated, in
the window's transcript."

What runs (on $DISPLAY, or on a private Xvfb started when it is unset, as
benchmarks/gui_load.py does):

* a real RoomServer on 127.0.0.1, port 0;
* the real window, a ChatApp on a ``tk.Tk`` root (settings in a temporary
  DESKTOPCHAT_HOME, saving nothing), joined as "ann" through a
  :class:`~cutproxy.CutProxy` (tests/cutproxy.py);
* "bob", a :class:`~desktopchat.client.ChatClient` joined through a CutProxy
  of his own, which is cut now and then too.

Both talk at once: the window types numbered lines with ``app.send_text``
(what the input box does on Enter), bob sends numbered lines. Each cut follows
a plan drawn from ``random.Random(seed)``: both say a few lines; the cut comes
once at most a few of the window's lines are still unanswered (so some are in
flight), or, now and then, inside the handshake of the reconnect that follows
the cut before: the proxy itself cuts in the hello, or after the welcome in
the middle of the member list and the replay of what was missed; a few cuts
keep the server's side open as a ghost that holds the name (the reconnect is
refused until :meth:`~cutproxy.CutProxy.release`); about half keep the network
down (``accepting=False``) for one or two reconnect attempts; both say a few
lines while the window is away. With
``--rate`` above 0 both also chat at that many lines per second each, whatever
the connection is doing. Every wait is for a state the window, the clients or
the proxy show (``waiting.wait_until`` with the Tk root, so the event loop runs
the whole time); the randomness is in the plans and in the chatter's timing.

At the end, once the window's own lines are all answered, every line has
arrived and the window's event queue is drained, the window's transcript
(``app.transcript.get_text()``) and bob's received events are checked: each of
bob's lines is in the transcript exactly once and in order; each line the
window typed is in its transcript exactly once, with no "(queued)",
"(sending…)" or "(not sent…)" marker left, and reached bob exactly once (one
room event; a resend the room carried out twice would make two) and in order.
Exit status 1 if anything was lost, duplicated, out of order or unsettled.

tests/test_reconnect_cuts.py runs the same conversation with 15 cuts.
"""

from __future__ import annotations

import argparse
import os
import queue
import random
import re
import socket
import sys
import tempfile
import threading
import time
import tkinter as tk
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from desktopchat.client import ChatClient
from desktopchat.gui.app import ChatApp
from desktopchat.gui.lines import SendState, state_text
from desktopchat.protocol import PairDecoder
from desktopchat.protocol import events as ev

# CutProxy and the one wait_until live with the tests.
_TESTS = Path(__file__).resolve().parent.parent / "tests"
if str(_TESTS) not in sys.path:
    sys.path.insert(0, str(_TESTS))

from cutproxy import CutProxy  # noqa: E402
from waiting import wait_until  # noqa: E402

#: Seconds any one wait may take before the run counts as stuck.
WAIT = 60.0

#: The names of the two senders.
WINDOW, OTHER = "ann", "bob"

#: A chat line in the transcript: "[HH:MM] sender: who line N" and any marker after it.
_LINE = re.compile(r"^\[\d\d:\d\d\] (\S+): (ann|bob) line (\d+)(.*)$")

#: Markers an own line must not keep once the room has it.
_UNSETTLED = tuple(
    state_text(state) for state in (SendState.QUEUED, SendState.PENDING, SendState.FAILED)
)


def line_text(who: str, number: int) -> str:
    """The text of ``who``'s line ``number`` (1-based)."""
    return f"{who} line {number:04d}"


@dataclass(frozen=True)
class Trap:
    """A cut the proxy makes by itself inside the next connection's handshake."""

    skip: int  # server-to-client chunks of the next connection let through whole first
    fraction: float  # share of the next chunk's bytes let through before the cut
    down: bool  # the network goes down with the cut (``accepting = False``)


class CountingProxy(CutProxy):
    """A CutProxy that counts what it did and can cut inside the next handshake.

    The server writes the hello in one chunk and the welcome, the member list
    and the replay in the next: a :class:`Trap` lets ``skip`` chunks through,
    then part of the next one, and cuts there, in the proxy's own thread, so
    the moment is exact (before the welcome, or after it in the middle of
    the replay).
    """

    def __init__(self, target: tuple[str, int]) -> None:
        super().__init__(target)
        # Re-entrant: cut() counts and cuts under one hold of the lock, and a
        # trap cuts from _forward, which runs under it.
        self._lock = threading.RLock()  # type: ignore[assignment]
        self._trap: Trap | None = None
        self._trap_chunks = 0
        self._trap_passed = bytearray()
        #: Client-facing links closed by cut() (traps included).
        self.links_cut = 0
        #: Connections accepted and closed at once while ``accepting`` was False.
        self.turned_away = 0
        #: Traps sprung, and ``turned_away`` when the last one was.
        self.trapped = 0
        self.turned_at_trap = 0
        #: For each trap sprung, the bytes its link passed to the client.
        self.trap_passed: list[bytes] = []

    @property
    def live(self) -> int:
        """Links open right now."""
        with self._lock:
            return len(self._clients)

    def cut(self, *, keep_ghost: bool, arm: Trap | None = None) -> None:
        """Cut every link; then, if ``arm``, cut the next one inside its handshake."""
        with self._lock:
            self.links_cut += len(self._clients)
            super().cut(keep_ghost=keep_ghost)
            if arm is not None:
                self._trap, self._trap_chunks, self._trap_passed = arm, 0, bytearray()

    def _accept(self) -> None:
        if self.accepting:
            super()._accept()
            return
        try:
            down, _ = self._listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        down.close()
        self.turned_away += 1

    def _forward(self, sock: socket.socket) -> None:
        trap = self._trap
        if trap is None or sock in self._clients:
            super()._forward(sock)
            return
        # Server to client while a trap is armed.
        other = self._other[sock]
        try:
            data = sock.recv(65536)
            if data:
                whole = self._trap_chunks < trap.skip
                part = data if whole else data[: int(len(data) * trap.fraction)]
                other.sendall(part)
                self._trap_passed += part
                if whole:
                    self._trap_chunks += 1
                    return
        except OSError:
            data = b""
        if not data:  # the link ended by itself, as in CutProxy; the trap waits for the next
            for end in (sock, other):
                self._other.pop(end, None)
                self._clients.discard(end)
                self._forget(end)
            self._trap_chunks, self._trap_passed = 0, bytearray()
            return
        self._trap = None
        if trap.down:
            self.accepting = False
        self.turned_at_trap = self.turned_away
        self.trap_passed.append(bytes(self._trap_passed))
        self.cut(keep_ghost=False)
        self.trapped += 1


def where_cut(passed: bytes) -> str:
    """Where in the handshake a trap cut, from the bytes its link passed to the client."""
    decoder = PairDecoder()
    decoder.receive_data(passed)
    metas = [meta for meta, _ in decoder]
    if not any(meta.startswith("welcome ") for meta in metas):
        return "before the welcome"
    head = next((i for i, meta in enumerate(metas) if meta.startswith("replay ")), None)
    if head is None:
        return "after the welcome, before the replay"
    if len(metas) - head - 1 < int(metas[head].split(" ")[1]):
        return "in the replay"
    return "after the replay"


@dataclass(frozen=True)
class Plan:
    """How one cut goes."""

    early: bool  # the proxy cuts inside the handshake of the reconnect of the cut before
    skip: int  # (early) whole chunks let through first: 0 cuts in the hello, 1 after it
    fraction: float  # (early) share of the next chunk let through
    ghost: bool  # keep the server's side open (it holds the name) until a reconnect is refused
    down: int  # reconnect attempts turned away before the network is back
    window_before: int  # lines the window types before the cut
    other_before: int  # lines bob says before the cut
    in_flight: int  # the cut waits until at most this many own lines are unanswered
    window_during: int  # lines typed while the window is away
    other_during: int
    cut_other: bool  # cut bob's connection too

    @classmethod
    def draw(cls, rng: random.Random, *, early_allowed: bool) -> Plan:
        early = early_allowed and rng.random() < 0.2
        return cls(
            early=early,
            skip=rng.randint(0, 1),
            fraction=rng.uniform(0.05, 0.95),
            ghost=not early and rng.random() < 0.15,
            down=0 if rng.random() < 0.5 else rng.randint(1, 2),
            window_before=rng.randint(0, 3),
            other_before=rng.randint(0, 3),
            in_flight=rng.randint(0, 2),
            window_during=rng.randint(0, 2),
            other_during=rng.randint(0, 2),
            cut_other=rng.random() < 0.2,
        )

    @property
    def trap(self) -> Trap:
        """The trap an early plan needs armed at the cut before it."""
        return Trap(self.skip, self.fraction, self.down > 0)


@dataclass
class Direction:
    """What became of the numbered lines one sender said, as one receiver saw them."""

    sent: int
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    unsettled: int = 0  # own lines still marked queued/sending/not sent

    @classmethod
    def check(cls, sent: int, received: Sequence[int]) -> Direction:
        counts = Counter(received)
        out_of_order = 0
        newest = 0
        for number in received:
            if number < newest:
                out_of_order += 1
            newest = max(newest, number)
        return cls(
            sent,
            lost=sum(1 for n in range(1, sent + 1) if n not in counts),
            duplicated=sum(c - 1 for c in counts.values() if c > 1),
            out_of_order=out_of_order,
        )

    @property
    def bad(self) -> int:
        return self.lost + self.duplicated + self.out_of_order + self.unsettled


@dataclass
class Tally:
    """The figures of one run."""

    cuts: int = 0
    cuts_other: int = 0
    ghosts: int = 0
    early: int = 0
    #: Where the cuts inside a handshake fell (see :func:`where_cut`).
    early_places: Counter[str] = field(default_factory=Counter)
    turned_away: int = 0
    links: int = 0  # connections the window's proxy passed to the room
    reconnects: int = 0  # "Reconnected." lines in the window's transcript
    other_reconnects: int = 0
    to_window: Direction = field(default_factory=lambda: Direction(0))  # bob's lines
    own: Direction = field(default_factory=lambda: Direction(0))  # the window's, as shown
    to_other: Direction = field(default_factory=lambda: Direction(0))  # the window's, at bob
    #: Lines bob got twice with the same room id (delivered twice, as opposed
    #: to carried out twice); included in ``to_other.duplicated``.
    redelivered: int = 0
    transcript_lines: int = 0
    wall: float = 0.0
    stuck: str | None = None  # the wait that timed out, if one did

    @property
    def lost(self) -> int:
        return self.to_window.lost + self.own.lost + self.to_other.lost

    @property
    def duplicated(self) -> int:
        return self.to_window.duplicated + self.own.duplicated + self.to_other.duplicated

    @property
    def out_of_order(self) -> int:
        return self.to_window.out_of_order + self.own.out_of_order + self.to_other.out_of_order

    @property
    def ok(self) -> bool:
        return (
            self.stuck is None
            and self.to_window.bad == 0
            and self.own.bad == 0
            and self.to_other.bad == 0
        )

    def report(self) -> str:
        def row(name: str, d: Direction) -> str:
            return (
                f"| {name} | {d.sent} | {d.lost} | {d.duplicated} | {d.out_of_order} |"
                f" {d.unsettled} |"
            )

        lines = [
            f"cuts done: {self.cuts} of the window's connection ({self.ghosts} leaving a ghost"
            f" that held the name, {self.early} inside a reconnect's handshake),"
            f" {self.cuts_other} of bob's",
            "handshake cuts: "
            + (", ".join(f"{n} {place}" for place, n in sorted(self.early_places.items())) or "-"),
            f"reconnects: {self.reconnects} 'Reconnected.' lines in the window"
            f" ({self.links} connections through its proxy, {self.turned_away} turned away"
            f" while the network was down); bob reconnected {self.other_reconnects} times",
            f"wall time: {self.wall:.1f} s; transcript: {self.transcript_lines} lines",
            "",
            "| lines | sent | lost | duplicated | out of order | unsettled |",
            "|---|---:|---:|---:|---:|---:|",
            row("bob -> window transcript", self.to_window),
            row("window's own, in its transcript", self.own),
            row("window -> bob", self.to_other),
            "",
            f"total: {self.lost} lost, {self.duplicated} duplicated"
            f" ({self.redelivered} of them the same room event delivered twice),"
            f" {self.out_of_order} out of order",
        ]
        if self.stuck is not None:
            lines.append(f"STUCK: {self.stuck}")
        lines.append("OK" if self.ok else "FAILED")
        return "\n".join(lines)


class Conversation:
    """The window (ann) and bob talking while the window's connection is cut."""

    def __init__(
        self,
        app: ChatApp,
        proxy: CountingProxy,
        other: ChatClient,
        other_proxy: CountingProxy,
        *,
        seed: int,
        rate: float = 0.0,
        wait: float = WAIT,
    ) -> None:
        self.app = app
        self.root = app.root
        self.proxy = proxy
        self.other = other
        self.other_proxy = other_proxy
        self.rng = random.Random(seed)
        self.rate = rate
        self.wait = wait
        self.window_sent = 0
        self.other_sent = 0
        #: (room id, line number) of every line of the window's that bob received.
        self.other_got: list[tuple[int | None, int]] = []
        self._other_texts: set[str] = set()
        self.other_connects = 0
        self.other_failed: str | None = None
        self.tally = Tally()
        self._chat_start: float | None = None
        self._chatted = 0
        self._trapped_before = 0
        # The check reads every line: do not let the scrollback drop the oldest.
        app.transcript.max_entries = max(app.transcript.max_entries, 1_000_000)

    # --- talking ---------------------------------------------------------------------

    def window_says(self, count: int = 1) -> None:
        for _ in range(count):
            self.window_sent += 1
            if not self.app.send_text(line_text(WINDOW, self.window_sent)):
                raise AssertionError(f"the window refused to send line {self.window_sent}")

    def other_says(self, count: int = 1) -> None:
        for _ in range(count):
            self.other_sent += 1
            self.other.send(line_text(OTHER, self.other_sent))

    def _chatter(self) -> None:
        """Both say lines at ``rate`` per second each, whatever the connection does."""
        if self._chat_start is None or self.rate <= 0:
            return
        due = int((time.monotonic() - self._chat_start) * self.rate)
        while self._chatted < due:
            self._chatted += 1
            self.window_says()
            self.other_says()

    def _drain_other(self) -> None:
        while True:
            try:
                event = self.other.events.get_nowait()
            except queue.Empty:
                return
            match event:
                case ev.Message():
                    self._other_received(event)
                case ev.Replay(events=items):
                    for item in items:
                        if isinstance(item, ev.Message):
                            self._other_received(item)
                case ev.Connected():
                    self.other_connects += 1
                case ev.Failed(reason=reason):
                    self.other_failed = reason

    def _other_received(self, message: ev.Message) -> None:
        match = re.fullmatch(r"ann line (\d+)", message.text)
        if message.sender == WINDOW and match is not None:
            self.other_got.append((message.id, int(match.group(1))))
            self._other_texts.add(message.text)

    # --- waiting ---------------------------------------------------------------------

    def until(self, condition: Callable[[], object], what: str) -> None:
        """Run the Tk loop (and bob's queue, and the chatter) until ``condition()`` holds."""

        def check() -> object:
            self._drain_other()
            self._chatter()
            if self.other_failed is not None:
                raise AssertionError(f"bob gave up: {self.other_failed}")
            return condition()

        wait_until(check, self.wait, what, root=self.root)

    def window_online(self) -> bool:
        client = self.app.client
        return self.app.online and client is not None and client.connected

    # --- the run ---------------------------------------------------------------------

    def run(self, cuts: int) -> Tally:
        tally = self.tally
        self.other.start()
        self.until(lambda: self.other.connected, "bob in the room")
        self.app.join(*self.proxy.address, WINDOW)
        self.until(self.window_online, "the window in the room")
        start = time.monotonic()
        self._chat_start = start
        try:
            plan = Plan.draw(self.rng, early_allowed=False)
            while tally.cuts < cuts:
                # A cut inside a handshake is not followed by another: the window
                # must get back in now and then, or its backoff grows to 10 s.
                following = Plan.draw(self.rng, early_allowed=not plan.early)
                if following.early and cuts - tally.cuts <= 1:
                    following = replace(following, early=False)  # no trap left armed
                if self.cut(plan, following.trap if following.early else None):
                    tally.cuts += 1
                    tally.ghosts += plan.ghost
                    tally.early += plan.early
                plan = following
            self._chat_start = None
            self.until(self._settled, "every line answered and delivered")
        except AssertionError as exc:
            tally.stuck = str(exc)
        tally.wall = time.monotonic() - start
        self._count(tally)
        return tally

    def cut(self, plan: Plan, trap: Trap | None) -> bool:
        """Carry out one plan (arming ``trap`` for the next); True if it cut a live link."""
        proxy = self.proxy
        if plan.early:  # the trap the plan before armed cuts the reconnect
            fired = self._trapped_before
            self.until(lambda: proxy.trapped > fired, "a cut inside the reconnect's handshake")
            turned, links, done = proxy.turned_at_trap, proxy.links, True
        else:
            self.until(self.window_online, "the window back in the room")
            self.window_says(plan.window_before)
            self.other_says(plan.other_before)
            self.until(
                lambda: self.app.presenter.unsettled <= plan.in_flight,
                f"at most {plan.in_flight} own lines in flight",
            )
            if plan.down:
                proxy.accepting = False
            turned, links, cut_before = proxy.turned_away, proxy.links, proxy.links_cut
            self._trapped_before = proxy.trapped
            proxy.cut(keep_ghost=plan.ghost, arm=trap)
            done = proxy.links_cut > cut_before
        if plan.cut_other:
            before = self.other_proxy.links_cut
            self.other_proxy.cut(keep_ghost=False)
            self.tally.cuts_other += self.other_proxy.links_cut > before
        self.window_says(plan.window_during)
        self.other_says(plan.other_during)
        if plan.down:
            self.until(
                lambda: proxy.turned_away >= turned + plan.down,
                f"{plan.down} reconnect attempts turned away",
            )
            proxy.accepting = True
        if plan.ghost:
            # The reconnect reaches the room, which refuses it (the ghost still
            # has the name) and closes it: then the ghost goes.
            self.until(
                lambda: proxy.links > links and proxy.live == 0, "a reconnect refused by the room"
            )
            proxy.release()
        return done

    def _settled(self) -> bool:
        client = self.app.client
        events = self.app.presenter.events()
        if (
            client is None
            or client.pending
            or self.other.pending
            or (events is not None and not events.empty())
        ):
            return False
        if self.window_sent and line_text(WINDOW, self.window_sent) not in self._other_texts:
            return False
        text = self.app.transcript.get_text()
        if self.other_sent and line_text(OTHER, self.other_sent) not in text:
            return False
        return not any(marker in text for marker in _UNSETTLED[:2])

    def _count(self, tally: Tally) -> None:
        self._drain_other()
        text = self.app.transcript.get_text()
        from_other: list[int] = []
        own: list[int] = []
        unsettled = 0
        for row in text.splitlines():
            found = _LINE.match(row)
            if found is None:
                continue
            sender, who, number, tail = found.groups()
            if who == OTHER and sender == OTHER:
                from_other.append(int(number))
            elif who == WINDOW and sender == WINDOW:
                own.append(int(number))
                unsettled += any(marker in tail for marker in _UNSETTLED)
        tally.to_window = Direction.check(self.other_sent, from_other)
        tally.own = Direction.check(self.window_sent, own)
        tally.own.unsettled = unsettled
        tally.to_other = Direction.check(self.window_sent, [n for _, n in self.other_got])
        ids = Counter(self.other_got)
        tally.redelivered = sum(c - 1 for key, c in ids.items() if c > 1 and key[0] is not None)
        tally.reconnects = sum(row.startswith("Reconnected", 8) for row in text.splitlines())
        tally.links = self.proxy.links
        tally.early_places = Counter(where_cut(passed) for passed in self.proxy.trap_passed)
        tally.turned_away = self.proxy.turned_away
        tally.other_reconnects = max(0, self.other_connects - 1)
        tally.transcript_lines = self.app.transcript.line_count()


def run(
    app: ChatApp,
    room_address: tuple[str, int],
    *,
    cuts: int,
    seed: int,
    rate: float = 0.0,
    wait: float = WAIT,
) -> Tally:
    """Join ``app`` to the room through a cutting proxy, talk with bob, cut ``cuts`` times.

    Returns the figures; bob and both proxies are gone afterwards, the window
    is still in the room (through a proxy that no longer exists).
    """
    proxy, other_proxy = CountingProxy(room_address), CountingProxy(room_address)
    with proxy, other_proxy:
        other = ChatClient(*other_proxy.address, OTHER)
        try:
            conversation = Conversation(
                app, proxy, other, other_proxy, seed=seed, rate=rate, wait=wait
            )
            return conversation.run(cuts)
        finally:
            other.close()
            app.leave()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--cuts", type=int, default=100, help="cuts of the window's connection")
    parser.add_argument(
        "--rate", type=float, default=4.0, help="chatter, lines per second from each sender"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the cut plans")
    args = parser.parse_args()

    from gui_load import ensure_display  # benchmarks/ is sys.path[0] when run as a script

    from desktopchat.server import RoomServer

    xvfb = ensure_display()
    try:
        with tempfile.TemporaryDirectory() as home, RoomServer("127.0.0.1", 0) as room:
            os.environ["DESKTOPCHAT_HOME"] = home
            root = tk.Tk()
            root.geometry("900x600+0+0")
            app = ChatApp(root, save=lambda _settings: None)
            root.update()
            try:
                tally = run(app, room.address, cuts=args.cuts, seed=args.seed, rate=args.rate)
            finally:
                app.quit()
                app.presenter.wait_stopped(3.0)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait()
    print(
        f"# benchmarks/reconnect_cuts.py --cuts {args.cuts} --rate {args.rate:g}"
        f" --seed {args.seed} ({time.strftime('%Y-%m-%d %H:%M')})"
    )
    print(tally.report())
    return 0 if tally.ok else 1


if __name__ == "__main__":
    sys.exit(main())
