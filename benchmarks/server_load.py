"""Load benchmark for the room server (run by hand, not in CI; Linux: reads /proc).

    python benchmarks/server_load.py                  # every scenario
    python benchmarks/server_load.py fanout ack       # some of: fanout alltalk light ack idle joins
    python benchmarks/server_load.py fanout --clients 50 --messages 10000 --repeat 2
    python benchmarks/server_load.py fanout --servers v2 --tls   # our server over TLS
    python benchmarks/server_load.py fanout --data    # our server saving its history (SQLite)
    python benchmarks/server_load.py --help           # all options

Every server runs in its own child process (ours: ``RoomServer`` on
127.0.0.1, port 0, logging at WARNING, default settings; the tutorial's:
benchmarks/tutorial_server.py, the tutorial's code with only host and port
taken from argv). This process drives all clients with one selector, so the
server's CPU time and RSS are its own. Each scenario gets a fresh server.
Nothing is sent anywhere but 127.0.0.1. With ``--tls`` our server has an identity
(made in a temporary folder) and every client of ours speaks TLS 1.3 to it
(handshakes at connect: timed only by ``joins``, where connecting is part of what
is measured); the tutorial's server is left out then.

Figures per row:

* deliveries/s   pairs received by clients / wall time from first send to last receipt
* p50, p99, max  latency of those deliveries (send stamp inside the message ->
                 receipt); for ``ack``, the round trip of a request to its ``ok``
* CPU us/deliv.  server process CPU time (user+sys) over the same span / deliveries.
                 Read from /proc/PID/task/*/schedstat (nanoseconds, summed over
                 threads), else /proc/PID/stat (10 ms ticks).
* KB/idle        (server RSS with N idle clients - RSS before any client) / N

Scenarios:

* fanout   N clients (default 50), one sender, M messages (default 10,000), side
           by side on the tutorial's server and on ours three ways: protocol-1
           clients; protocol-2 receivers (each takes up the ``*hello`` offer)
           with a protocol-1 sender, so only the receivers' protocol differs;
           protocol 2 for the sender too, as our own client is, so ours also
           writes an ``ok`` per message (not counted as a delivery). Each room
           event is encoded for both protocols whoever is in the room. The
           sender writes batches of 100 and keeps at most ``--window`` messages
           in flight (counted at the last client): the tutorial's server reads
           a frame with two blocking recv() calls and would desynchronise on a
           frame split across reads, which a full socket buffer could cause;
           the same window applies to all four. Tutorial/ours is the ratio of
           CPU per delivery within the same run.
* alltalk  20 protocol-2 clients x 200 messages, all sending at once (window per sender).
* light    5 protocol-2 clients x 50 messages, one at a time, each waiting for the
           previous one to arrive at the 4 others: delivery latency at light load.
* ack      5 protocol-2 clients x 200 ``say`` pairs each, concurrently, each client
           sending its next message a small random pause (``--pause-ms``, 0.5x-1.5x)
           after the ``ok`` for the previous one: the acknowledged send round trip.
* idle     10,000 idle clients (joined in batches of 500), RSS per client, then
           one broadcast to all of them. Protocol 1 by default: each batch waits
           the 0.3 s upgrade wait, but no client is late for it; with
           ``--idle-protocol 2`` the driver, busy reading the join storm, answers
           some ``*hello``s after 0.3 s and those join as protocol 1 (counted).
* joins    500 protocol-2 clients join an empty room at once: connect to last welcome.

Targets: fan-out <= 0.7 us server CPU per delivery (ours; the tutorial's server
was measured at ~2.7 us); acknowledged round trip p99 <= 2 ms; light-load p99
<= 2 ms; <= 3 KB RSS per idle client; 500 joins <= 0.1 s. The client side is
plain Python, so it, not the server, usually limits deliveries/s, and in the
flat-out scenarios latency is queueing behind the window. On a shared 2-core
machine other people's work shows up in the wall-clock figures, and CPU per
delivery moves by about +-20% from run to run (how many messages each server
pass handles depends on timing): ``--repeat 3`` prints the median.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import os
import random
import re
import resource
import selectors
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from desktopchat import protocol
from desktopchat.protocol import events

SERVER_CODE = """
import logging, os, signal
from pathlib import Path
from desktopchat.server import RoomServer
from desktopchat.net.tls import load_or_create_identity
logging.basicConfig(level=logging.WARNING)
# All clients come from 127.0.0.1 and the senders flood on purpose: no
# per-address cap, no rate limits. BENCH_IDENTITY: a folder for a TLS identity.
folder = os.environ.get("BENCH_IDENTITY")
identity = load_or_create_identity(Path(folder)) if folder else None
# BENCH_DATA: a fresh folder for saved history (--data).
data = os.environ.get("BENCH_DATA")
if data:
    from desktopchat.server.sqlitestore import open_store
    store = open_store(Path(data))
else:
    store = None
srv = RoomServer(
    "127.0.0.1", 0, max_per_address=None, rate_limits=None, identity=identity, store=store
)
print(srv.address[1], flush=True)
signal.signal(signal.SIGTERM, lambda signum, frame: srv.request_stop(signum))
srv.serve_forever()
"""

TUTORIAL_SERVER = Path(__file__).with_name("tutorial_server.py")

#: --data: our server saves its history (SQLite) in a fresh folder each time.
DATA = False
#: --tls: our server has an identity and our clients speak TLS (set by main()).
TLS: ssl.SSLContext | None = None
IDENTITY_DIR = ""
#: What a non-blocking (TLS) socket raises when it cannot move bytes now.
_AGAIN = (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError)

CLK_TCK = os.sysconf("SC_CLK_TCK")
HELLO_PAIR = protocol.encode_pair(events.HELLO, "desktopchat 2")
WELCOME_FRAME = protocol.encode_frame(events.WELCOME)  # protocol 1: the *welcome sender frame
WELCOME_V2 = b"welcome "  # protocol 2: the meta frame "welcome EPOCH LAST NAME"

#: Messages a sender writes at a time.
BATCH = 100

TARGET_FANOUT_US = 0.7
TARGET_ACK_P99_MS = 2.0
TARGET_LIGHT_P99_MS = 2.0
TARGET_IDLE_KB = 3.0
TARGET_JOINS_S = 0.1


def _schedstat_works() -> bool:
    try:
        with open(f"/proc/{os.getpid()}/schedstat") as f:
            return int(f.read().split()[0]) > 0
    except (OSError, ValueError, IndexError):
        return False


CPU_FROM_SCHEDSTAT = _schedstat_works()


class ServerProcess:
    """A server in a child process, with its CPU time and RSS from /proc."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._out: Path | None = None
        if kind == "ours":
            env = dict(os.environ, BENCH_IDENTITY=IDENTITY_DIR) if TLS else dict(os.environ)
            if DATA:
                env["BENCH_DATA"] = tempfile.mkdtemp(prefix="bench-data-")
            self.proc = subprocess.Popen(
                [sys.executable, "-c", SERVER_CODE], stdout=subprocess.PIPE, text=True, env=env
            )
            assert self.proc.stdout is not None
            port = int(self.proc.stdout.readline())
        elif kind == "tutorial":
            # It prints a line per message: into a file, so it never blocks on a pipe.
            fd, path = tempfile.mkstemp(prefix="tutorial-server-", suffix=".out")
            self._out = Path(path)
            try:
                self.proc = subprocess.Popen(
                    [sys.executable, str(TUTORIAL_SERVER), "127.0.0.1", "0"], stdout=fd
                )
            finally:
                os.close(fd)
            port = self._tutorial_port(self._out)
        else:
            raise ValueError(kind)
        self.address = ("127.0.0.1", port)

    def _tutorial_port(self, path: Path) -> int:
        end = time.monotonic() + 10.0
        while time.monotonic() < end:
            line = path.read_text().partition("\n")
            if line[1]:
                match = re.search(r":(\d+)\.\.\.$", line[0])
                if match is None:
                    raise RuntimeError(f"unexpected first line from the tutorial: {line[0]!r}")
                return int(match.group(1))
            if self.proc.poll() is not None:
                raise RuntimeError("the tutorial's server exited at start")
            time.sleep(0.01)
        raise TimeoutError("the tutorial's server did not print its port")

    def cpu(self) -> float:
        """User + system CPU seconds used so far by all its threads."""
        pid = self.proc.pid
        if CPU_FROM_SCHEDSTAT:
            total = 0
            for task in os.listdir(f"/proc/{pid}/task"):
                try:
                    with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                        total += int(f.read().split()[0])
                except FileNotFoundError:
                    pass  # the thread ended
            return total / 1e9
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def rss(self) -> int:
        """Resident set size in bytes."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def close(self) -> None:
        # Stop the server before the clients go: 10,000 clients leaving one by
        # one would cost 50 million leave deliveries first.
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self._out is not None:
            self._out.unlink(missing_ok=True)


@dataclass(eq=False)
class Client:
    sock: socket.socket
    name: str
    version: int  # 0: the tutorial's server (no handshake), 1 or 2: ours
    raw: bool  # raw clients only look for byte markers (cheap enough for 10,000)
    decoder: protocol.PairDecoder = field(default_factory=lambda: protocol.PairDecoder())
    out: bytearray = field(default_factory=bytearray)
    joined: bool = False
    joined_as: int = 0  # the protocol the room let us in with (1 if the upgrade came late)
    upgraded: bool = False
    head: bytes = b""
    tail: bytes = b""
    writing: bool = False
    next_cid: int = 1


class Driver:
    """All clients on one selector in this process, plus timers."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.address = address
        self.sel = selectors.DefaultSelector()
        self.clients: list[Client] = []
        self.on_pair: Callable[[Client, str, str], None] = lambda c, a, b: None
        self.marker = b"\x00never"
        self.on_marker: Callable[[Client], None] = lambda c: None
        self.on_writable: Callable[[Client], None] = lambda c: None
        self.mute_joined = False
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()

    def connect(self, names: list[str], version: int, raw: bool = False) -> list[Client]:
        new = []
        socks = []
        for _ in names:  # every connection (and TLS handshake) first, then the names
            sock = socket.create_connection(self.address)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if TLS is not None and version != 0:
                sock = TLS.wrap_socket(sock)  # the handshake, blocking
            socks.append(sock)
        for name, sock in zip(names, socks, strict=True):
            sock.setblocking(False)
            client = Client(sock, name, version, raw, joined=version == 0, joined_as=version)
            self.sel.register(sock, selectors.EVENT_READ, client)
            self.send(client, protocol.encode_frame(name))
            new.append(client)
        self.clients.extend(new)
        return new

    def send(self, client: Client, data: bytes) -> None:
        if not client.out:
            try:
                sent = client.sock.send(data)
            except _AGAIN:
                sent = 0
            data = data[sent:]
        client.out += data
        if client.out:
            self.want_write(client)

    def want_write(self, client: Client) -> None:
        """Ask for on_writable calls even with an empty buffer (a sender refilling)."""
        if not client.writing:
            client.writing = True
            self.sel.modify(client.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, client)

    def call_later(self, delay: float, fn: Callable[[], None]) -> None:
        heapq.heappush(self._timers, (time.perf_counter() + delay, next(self._seq), fn))

    def run(self, done: Callable[[], bool], timeout: float = 120.0) -> None:
        end = time.perf_counter() + timeout
        timers = self._timers
        while not done():
            now = time.perf_counter()
            if now > end:
                raise TimeoutError("scenario did not finish")
            wait = min(1.0, max(0.0, timers[0][0] - now)) if timers else 1.0
            for key, mask in self.sel.select(wait):
                client: Client = key.data
                if mask & selectors.EVENT_WRITE:
                    self._writable(client)
                if mask & selectors.EVENT_READ:
                    self._readable(client)
            now = time.perf_counter()
            while timers and timers[0][0] <= now:
                heapq.heappop(timers)[2]()

    def _writable(self, client: Client) -> None:
        if client.out:
            try:
                sent = client.sock.send(client.out)
            except _AGAIN:
                sent = 0
            del client.out[:sent]
        if not client.out:
            self.on_writable(client)  # may refill client.out
        if not client.out and client.writing:
            client.writing = False
            self.sel.modify(client.sock, selectors.EVENT_READ, client)

    def _upgrade(self, client: Client) -> None:
        client.upgraded = True
        self.send(client, protocol.encode_frame(f"/protocol 2 bench{id(client):x}"))

    def _readable(self, client: Client) -> None:
        sock = client.sock
        try:
            data = sock.recv(1 << 20)
        except _AGAIN:
            return
        if isinstance(sock, ssl.SSLSocket):  # one record per recv(): take what is decrypted
            while data and sock.pending():
                data += sock.recv(sock.pending())
        if not data:
            raise ConnectionError(f"{client.name}: server closed the connection")
        if client.raw:
            if not client.joined:
                client.head += data
                if client.version == 2 and not client.upgraded and HELLO_PAIR in client.head:
                    self._upgrade(client)
                if WELCOME_FRAME in client.head:
                    client.joined_as = 1
                elif client.upgraded and WELCOME_V2 in client.head:
                    client.joined_as = 2
                else:
                    return
                client.joined = True
                client.head = b""
                if self.mute_joined:
                    # Stop reading: what follows (join events) waits in the
                    # kernel, so the driver's own work does not skew the timing.
                    self.sel.unregister(client.sock)
                    return
            window = client.tail + data
            if self.marker in window:
                self.on_marker(client)
                client.tail = b""
            else:
                client.tail = window[-len(self.marker) :]
            return
        client.decoder.receive_data(data)
        for first, second in client.decoder:
            if not client.joined:
                if first == events.HELLO and client.version == 2:
                    self._upgrade(client)
                elif first == events.WELCOME:
                    client.joined, client.joined_as = True, 1
                elif client.upgraded and first.startswith("welcome "):
                    client.joined, client.joined_as = True, 2
                continue
            self.on_pair(client, first, second)

    def close(self) -> None:
        for c in self.clients:
            c.sock.close()
        self.sel.close()


@dataclass
class Result:
    scenario: str
    server: str
    deliveries: int
    seconds: float
    latencies: list[float]
    cpu: float | None
    rss_per_client: float | None = None
    note: str = ""
    key: str = ""  # what the summary looks for: fanout-tutorial, fanout-v1, ack...

    @property
    def cpu_us(self) -> float | None:
        if self.cpu is None or not self.deliveries:
            return None
        return self.cpu / self.deliveries * 1e6

    def pct_ms(self, p: float) -> float | None:
        lat = sorted(self.latencies)
        if not lat:
            return None
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1e3

    def cells(self) -> list[str]:
        def ms(p: float) -> str:
            value = self.pct_ms(p)
            return "-" if value is None else f"{value:.2f}"

        rate = self.deliveries / self.seconds if self.seconds else 0.0
        cpu_us = self.cpu_us
        rss = self.rss_per_client
        return [
            self.scenario,
            self.server,
            f"{self.deliveries:,}",
            f"{rate:,.0f}",
            ms(0.5),
            ms(0.99),
            ms(1.0),
            "-" if cpu_us is None else f"{cpu_us:.3f}",
            "-" if rss is None else f"{rss / 1024:.2f}",
            self.note,
        ]


COLUMNS = [
    "scenario",
    "server",
    "deliveries",
    "deliveries/s",
    "p50 ms",
    "p99 ms",
    "max ms",
    "CPU us/deliv.",
    "KB/idle",
    "notes",
]
LEFT = {0, 1, 9}  # left-aligned columns


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [COLUMNS, *rows]) for i in range(len(COLUMNS))]

    def line(cells: list[str]) -> str:
        parts = [
            c.ljust(w) if i in LEFT else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(parts) + " |"

    rule = "|".join(
        ("-" * (w + 2)) if i in LEFT else ("-" * (w + 1) + ":") for i, w in enumerate(widths)
    )
    return "\n".join([line(COLUMNS), f"|{rule}|", *(line(r) for r in rows)])


# --- scenario helpers -------------------------------------------------------------------


def settle(driver: Driver, seconds: float = 0.3) -> None:
    """Let join/leave traffic drain."""
    end = time.perf_counter() + seconds
    driver.run(lambda: time.perf_counter() > end)


def join_all(
    driver: Driver, names: list[str], version: int, raw: bool = False, strict: bool = True
) -> list[Client]:
    """Connect and wait until every client is in (for the tutorial: sync by a message).

    A protocol-2 client whose upgrade reached the room after its wait for one
    (``UPGRADE_WAIT``, 0.3 s) is let in as protocol 1: an error if ``strict``.
    """
    clients = driver.connect(names, version, raw=raw)
    if version == 0:
        sync_tutorial(driver, clients)
    else:
        driver.run(lambda: all(c.joined for c in clients))
    late = sum(c.joined_as != version for c in clients)
    if strict and late:
        raise RuntimeError(f"{late} clients were let in as protocol 1: the upgrade came too late")
    return clients


def sync_tutorial(driver: Driver, clients: list[Client]) -> None:
    """The tutorial's server says nothing at joining: the first client repeats a
    message until every other client has received one, so all are registered."""
    speaker, others = clients[0], set(clients[1:])
    seen: set[Client] = set()

    def on_pair(client: Client, sender: str, text: str) -> None:
        if text.startswith("sync "):
            seen.add(client)

    driver.on_pair = on_pair
    for k in itertools.count():
        driver.send(speaker, protocol.encode_frame(f"sync {k}"))
        end = time.perf_counter() + 0.05
        driver.run(lambda: seen >= others or time.perf_counter() > end)  # noqa: B023
        if seen >= others:
            return
        if k > 200:
            raise TimeoutError("clients did not all join the tutorial's server")


def request(version: int, cid: int, text: str) -> bytes:
    """What a client writes to say ``text``: a frame (protocol 0/1) or a pair (2)."""
    if version == 2:
        return protocol.encode_frame(f"say {cid}") + protocol.encode_frame(text)
    return protocol.encode_frame(text)


def stamped(client: Client, seq: int) -> bytes:
    cid = client.next_cid
    client.next_cid += 1
    return request(client.version, cid, f"t {seq} {time.perf_counter_ns()}")


def chat_sender(version: int, first: str, second: str) -> str | None:
    """The sender of a chat pair (None for anything else)."""
    if version == 2:
        return first.rsplit(" ", 1)[1] if first.startswith("say ") else None
    return None if first.startswith(("*", "@")) else first


SERVER_LABEL = {0: "tutorial", 1: "ours, protocol 1", 2: "ours, protocol 2"}


@dataclass(eq=False)
class Sender:
    client: Client
    watcher: Client  # the receiver whose count of this sender's messages sets the window
    sent: int = 0
    seen: int = 0


def talk(
    scenario: str,
    key: str,
    version: int,
    sender_version: int,
    n_clients: int,
    senders: int,
    per_sender: int,
    window: int,
) -> Result:
    """``senders`` of ``n_clients`` each send ``per_sender`` messages as fast as the
    window allows (``window`` messages in flight per sender; 0: no limit).

    The senders speak ``sender_version``, the other clients ``version``
    (0: the tutorial's server).
    """
    server = ServerProcess("tutorial" if version == 0 else "ours")
    driver = Driver(server.address)
    try:
        names = [f"u{i}" for i in range(n_clients)]
        clients = join_all(driver, names[:senders], sender_version)
        clients += join_all(driver, names[senders:], version)
        settle(driver)
        state: dict[str, Sender] = {}
        for c in clients[:senders]:
            watcher = clients[-1] if c is not clients[-1] else clients[0]
            state[c.name] = Sender(c, watcher)
        expected = per_sender * senders * (n_clients - 1)
        latencies: list[float] = []
        batch = min(BATCH, window) if window else BATCH

        def top_up(st: Sender, queue: bool = False) -> None:
            limit = per_sender if not window else min(per_sender, st.seen + window)
            n = min(batch, limit - st.sent)
            if n <= 0 or n < min(batch, per_sender - st.sent):
                return  # wait for room for a whole batch (or the last one)
            data = b"".join(stamped(st.client, st.sent + i) for i in range(n))
            st.sent += n
            if queue:
                st.client.out += data  # from on_writable: flushed at the next writable event
            else:
                driver.send(st.client, data)

        def on_pair(client: Client, first: str, second: str) -> None:
            if not second.startswith("t "):
                return
            st = state.get(chat_sender(client.version, first, second) or "")
            if st is None:
                return
            latencies.append((time.perf_counter_ns() - int(second.rsplit(" ", 1)[1])) / 1e9)
            if client is st.watcher:
                st.seen += 1
                if window and not st.client.out:
                    top_up(st)

        def on_writable(client: Client) -> None:
            st = state.get(client.name)
            if st is not None:
                top_up(st, queue=True)

        driver.on_pair = on_pair
        driver.on_writable = on_writable
        cpu0, t0 = server.cpu(), time.perf_counter()
        for st in state.values():
            top_up(st)
            driver.want_write(st.client)
        driver.run(lambda: len(latencies) >= expected)
        seconds, cpu = time.perf_counter() - t0, server.cpu() - cpu0
        limit = f"window {window}" if window else "flat out"
        note = f"{limit}: latency = queueing"
        if sender_version == 2:
            note += "; + 1 ok per message"
        if version == 0:
            label = "tutorial"
        elif version == sender_version:
            label = f"ours, protocol {version}"
        else:
            label = f"ours, protocol {version}, sender {sender_version}"
        return Result(
            scenario,
            label,
            len(latencies),
            seconds,
            latencies,
            cpu,
            note=note,
            key=key,
        )
    finally:
        server.close()
        driver.close()


#: --servers name, receivers' protocol, sender's protocol (0: the tutorial's server)
FANOUT_VARIANTS = (("tutorial", 0, 0), ("v1", 1, 1), ("v2", 2, 1), ("v2ack", 2, 2))


def fanout(args: argparse.Namespace) -> list[Result]:
    n, m = args.clients, args.messages
    name = f"fan-out ({n}, 1 x {m:,})"
    return [
        talk(name, f"fanout-{label}", version, sender, n, 1, m, args.window)
        for label, version, sender in FANOUT_VARIANTS
        if label in args.servers
    ]


def alltalk(args: argparse.Namespace) -> list[Result]:
    return [talk("all-talk (20 x 200)", "alltalk", 2, 2, 20, 20, 200, args.window)]


def light(args: argparse.Namespace) -> list[Result]:
    """5 clients x 50 messages, one message in flight at a time."""
    server = ServerProcess("ours")
    driver = Driver(server.address)
    try:
        clients = join_all(driver, [f"u{i}" for i in range(5)], 2)
        settle(driver)
        latencies: list[float] = []

        def on_pair(client: Client, first: str, second: str) -> None:
            if first.startswith("say ") and second.startswith("t "):
                latencies.append((time.perf_counter_ns() - int(second.rsplit(" ", 1)[1])) / 1e9)

        driver.on_pair = on_pair
        cpu0, t0 = server.cpu(), time.perf_counter()
        seq = 0
        for _ in range(50):
            for c in clients:
                goal = len(latencies) + len(clients) - 1
                driver.send(c, stamped(c, seq))
                seq += 1
                driver.run(lambda: len(latencies) >= goal)  # noqa: B023
        seconds, cpu = time.perf_counter() - t0, server.cpu() - cpu0
        return [
            Result(
                "light (5 x 50)",
                SERVER_LABEL[2],
                len(latencies),
                seconds,
                latencies,
                cpu,
                note="one at a time, to the 4 others",
                key="light",
            )
        ]
    finally:
        server.close()
        driver.close()


def ack(args: argparse.Namespace) -> list[Result]:
    """Protocol-2 clients send ``say`` pairs; each times the round trip to its ``ok``."""
    n, per_client, pause = args.ack_clients, args.ack_messages, args.pause_ms / 1e3
    server = ServerProcess("ours")
    driver = Driver(server.address)
    rng = random.Random(2)
    try:
        clients = join_all(driver, [f"a{i}" for i in range(n)], 2)
        settle(driver)
        sent_at: dict[tuple[str, int], float] = {}
        rtts: list[float] = []
        deliveries: list[float] = []
        # One unmeasured warm-up message per client first.
        left = dict.fromkeys((c.name for c in clients), per_client + 1)

        def send_one(client: Client) -> None:
            cid = client.next_cid
            client.next_cid += 1
            data = request(2, cid, f"t {cid} {time.perf_counter_ns()}")
            sent_at[client.name, cid] = time.perf_counter()
            driver.send(client, data)

        def on_pair(client: Client, first: str, second: str) -> None:
            now = time.perf_counter()
            if first.startswith("ok "):
                started = sent_at.pop((client.name, int(first.split(" ", 2)[1])))
                left[client.name] -= 1
                if left[client.name] < per_client:
                    rtts.append(now - started)
                if left[client.name]:
                    delay = rng.uniform(0.5, 1.5) * pause
                    driver.call_later(delay, lambda: send_one(client))
            elif first.startswith("say ") and second.startswith("t "):
                stamp = int(second.rsplit(" ", 1)[1])
                deliveries.append((time.perf_counter_ns() - stamp) / 1e9)

        driver.on_pair = on_pair
        cpu0, t0 = server.cpu(), time.perf_counter()
        for c in clients:
            driver.call_later(rng.uniform(0, pause), lambda c=c: send_one(c))
        driver.run(lambda: not any(left.values()))
        seconds, cpu = time.perf_counter() - t0, server.cpu() - cpu0
        lat = sorted(deliveries)
        p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1e3 if lat else float("nan")
        return [
            Result(
                f"ack round trip ({n} x {per_client})",
                SERVER_LABEL[2],
                len(rtts),
                seconds,
                rtts,
                cpu,
                note=f"say -> ok; pauses {args.pause_ms:g} ms +-50%; "
                f"delivery to the {n - 1} others p99 {p99:.2f} ms; CPU per ok",
                key="ack",
            )
        ]
    finally:
        server.close()
        driver.close()


def idle(args: argparse.Namespace) -> list[Result]:
    """n idle clients (joined in batches of 500), then one broadcast to all of them."""
    n, version = args.idle_clients, args.idle_protocol
    server = ServerProcess("ours")
    driver = Driver(server.address)
    try:
        time.sleep(0.2)
        rss0 = server.rss()
        t_join = time.perf_counter()
        for start in range(0, n, 500):
            names = [f"idle{i}" for i in range(start, min(n, start + 500))]
            join_all(driver, names, version, raw=True, strict=False)
        join_seconds = time.perf_counter() - t_join
        settle(driver, 1.0)
        rss1 = server.rss()
        sender = join_all(driver, ["speaker"], version, raw=True, strict=False)[0]
        settle(driver, 1.0)
        marker = b"MARKER-broadcast-to-everyone"
        got: list[float] = []
        t_send = 0.0

        def on_marker(client: Client) -> None:
            got.append(time.perf_counter() - t_send)

        driver.marker = marker
        driver.on_marker = on_marker
        cpu0 = server.cpu()
        t_send = time.perf_counter()
        driver.send(sender, request(sender.joined_as, 1, marker.decode()))
        driver.run(lambda: len(got) >= n)
        seconds, cpu = time.perf_counter() - t_send, server.cpu() - cpu0
        demoted = sum(c.joined_as != version for c in driver.clients)
        late = f", {demoted:,} of them as protocol 1 (late upgrade)" if demoted else ""
        return [
            Result(
                f"idle {n:,} + 1 broadcast",
                SERVER_LABEL[version],
                len(got),
                seconds,
                got,
                cpu,
                rss_per_client=(rss1 - rss0) / n,
                note=f"server RSS {rss0 / 2**20:.1f} -> {rss1 / 2**20:.1f} MiB; "
                f"{n:,} joined (batches of 500) in {join_seconds:.1f} s{late}",
                key="idle",
            )
        ]
    finally:
        server.close()
        driver.close()


def joins(args: argparse.Namespace) -> list[Result]:
    """n protocol-2 clients join an empty room at once: connect to the last welcome."""
    n = args.joins
    server = ServerProcess("ours")
    driver = Driver(server.address)
    try:
        driver.mute_joined = True
        cpu0, t0 = server.cpu(), time.perf_counter()
        join_all(driver, [f"j{i}" for i in range(n)], 2, raw=True)
        seconds, cpu = time.perf_counter() - t0, server.cpu() - cpu0
        return [
            Result(
                f"{n} joins",
                SERVER_LABEL[2],
                n,
                seconds,
                [],
                cpu,
                note=f"all joined in {seconds * 1e3:.0f} ms (hello, upgrade, welcome)",
                key="joins",
            )
        ]
    finally:
        server.close()
        driver.close()


SCENARIOS: dict[str, Callable[[argparse.Namespace], list[Result]]] = {
    "fanout": fanout,
    "alltalk": alltalk,
    "light": light,
    "ack": ack,
    "idle": idle,
    "joins": joins,
}


# --- summary -----------------------------------------------------------------------------


def judged(values: list[float], target: float, unit: str, digits: int) -> str:
    """ "a, b unit (median m; target <= t: met)" with one verdict per run."""
    figures = ", ".join(f"{v:.{digits}f}" for v in values)
    met = sum(v <= target for v in values)
    if len(values) == 1:
        verdict = "met" if met else "MISSED"
        return f"{figures} {unit} (target <= {target:g}: {verdict})"
    return (
        f"{figures} {unit} (median {statistics.median(values):.{digits}f}; "
        f"target <= {target:g}: met in {met} of {len(values)} runs)"
    )


def summary(results: list[Result]) -> list[str]:
    """One line per target, over every run of its scenario."""
    by_key: dict[str, list[Result]] = {}
    for r in results:
        by_key.setdefault(r.key, []).append(r)

    def values(key: str, get: Callable[[Result], float | None]) -> list[float]:
        found = (get(r) for r in by_key.get(key, []))
        return [v for v in found if v is not None]

    lines = []
    tutorial = values("fanout-tutorial", lambda r: r.cpu_us)
    if tutorial:
        figures = ", ".join(f"{t:.3f}" for t in tutorial)
        lines.append(f"fan-out CPU per delivery, the tutorial's server: {figures} us")
    for key, label in (
        ("fanout-v1", "protocol-1 clients"),
        ("fanout-v2", "protocol-2 receivers (protocol-1 sender)"),
        ("fanout-v2ack", "protocol-2 clients (the sender gets an ok per message)"),
    ):
        ours = values(key, lambda r: r.cpu_us)
        if ours:
            line = f"fan-out CPU per delivery, ours with {label}: "
            line += judged(ours, TARGET_FANOUT_US, "us", 3)
            if len(tutorial) == len(ours):
                pairs = zip(tutorial, ours, strict=True)
                line += "; tutorial/ours " + ", ".join(f"{t / o:.1f}x" for t, o in pairs)
            lines.append(line)
    for key, what, target in (
        ("ack", "acknowledged send round trip p99", TARGET_ACK_P99_MS),
        ("light", "light-load delivery p99", TARGET_LIGHT_P99_MS),
    ):
        p99 = values(key, lambda r: r.pct_ms(0.99))
        if p99:
            worst = ", ".join(f"{v:.2f}" for v in values(key, lambda r: r.pct_ms(1.0)))
            lines.append(f"{what}: {judged(p99, target, 'ms', 2)}; max {worst} ms")
    kb = values("idle", lambda r: None if r.rss_per_client is None else r.rss_per_client / 1024)
    if kb:
        lines.append(f"RSS per idle client: {judged(kb, TARGET_IDLE_KB, 'KB', 2)}")
    ms = values("joins", lambda r: r.seconds * 1e3)
    if ms:
        label = by_key["joins"][0].scenario
        lines.append(f"{label}, all in: {judged(ms, TARGET_JOINS_S * 1e3, 'ms', 0)}")
    return lines


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Room server load benchmark (the module docstring says what each measures)."
    )
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help=f"some of: {' '.join(SCENARIOS)} (default: all, in this order)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="run the scenarios this many times (default: 1)"
    )
    parser.add_argument(
        "--tls",
        action="store_true",
        help="our server with a certificate, our clients over TLS 1.3 (no tutorial server)",
    )
    parser.add_argument(
        "--data",
        action="store_true",
        help="our server saves its history in SQLite (--serve --data), in a fresh folder",
    )
    fan = parser.add_argument_group("fanout")
    fan.add_argument(
        "--clients", type=int, default=50, help="clients in the room, one sends (default: 50)"
    )
    fan.add_argument(
        "--messages", type=int, default=10_000, help="messages it sends (default: 10000)"
    )
    fan.add_argument(
        "--window",
        type=int,
        default=500,
        help="messages in flight per sender, also in alltalk (default: 500; 0: no limit, "
        "which risks desynchronising the tutorial's server)",
    )
    fan.add_argument(
        "--servers",
        default="tutorial,v1,v2,v2ack",
        help="comma-separated: tutorial (its server), v1 (ours, protocol-1 clients), v2 "
        "(ours, protocol-2 receivers, protocol-1 sender), v2ack (ours, protocol 2 for the "
        "sender too, which gets an ok per message) (default: all four)",
    )
    rtt = parser.add_argument_group("ack")
    rtt.add_argument("--ack-clients", type=int, default=5, help="clients (default: 5)")
    rtt.add_argument(
        "--ack-messages", type=int, default=200, help="measured messages per client (default: 200)"
    )
    rtt.add_argument(
        "--pause-ms",
        type=float,
        default=2.0,
        help="mean pause after each ok before the next message, +-50%% (default: 2)",
    )
    rest = parser.add_argument_group("idle, joins")
    rest.add_argument(
        "--idle-clients", type=int, default=10_000, help="idle clients (default: 10000)"
    )
    rest.add_argument(
        "--idle-protocol",
        type=int,
        choices=(1, 2),
        default=1,
        help="their protocol (default: 1; with 2, those the join storm delays past the "
        "0.3 s upgrade wait join as protocol 1)",
    )
    rest.add_argument("--joins", type=int, default=500, help="clients joining (default: 500)")
    args = parser.parse_args(argv)
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {unknown[0]!r}: choose from {', '.join(SCENARIOS)}")
    args.servers = {s.strip() for s in args.servers.split(",") if s.strip()}
    if args.servers - {v[0] for v in FANOUT_VARIANTS}:
        parser.error("--servers takes tutorial, v1, v2 and v2ack")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    names = args.scenarios or list(SCENARIOS)
    global TLS, IDENTITY_DIR, DATA
    DATA = args.data
    if args.tls:
        TLS = ssl.create_default_context()
        TLS.check_hostname = False
        TLS.verify_mode = ssl.CERT_NONE
        TLS.minimum_version = ssl.TLSVersion.TLSv1_3
        IDENTITY_DIR = tempfile.mkdtemp(prefix="bench-identity-")
        args.servers.discard("tutorial")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # Each process (this one, the server) needs a descriptor per client.
    want = max(args.idle_clients if "idle" in names else 0, args.joins) + 100
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(want, soft)), hard))
    source = "/proc/PID/task/*/schedstat (ns)" if CPU_FROM_SCHEDSTAT else "/proc/PID/stat (ticks)"
    print(
        f"# {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start, "
        f"Python {sys.version.split()[0]}, server CPU from {source}",
        flush=True,
    )
    results: list[Result] = []
    for run in range(args.repeat):
        for name in names:
            for r in SCENARIOS[name](args):
                if args.repeat > 1:
                    r.note = f"run {run + 1}; {r.note}"
                results.append(r)
                print("  " + " | ".join(r.cells()[:9]), flush=True)
    print(f"# load average {os.getloadavg()[0]:.2f} at the end\n")
    print(table([r.cells() for r in results]))
    lines = summary(results)
    if lines:
        print("\nTargets:")
        for line in lines:
            print(f"- {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
