"""Load benchmark for the room server (run by hand, not in CI; Linux: reads /proc).

    python benchmarks/server_load.py            # all scenarios
    python benchmarks/server_load.py fanout     # one of: fanout alltalk light idle joins

The server runs in its own process (``RoomServer`` on 127.0.0.1, logging at
WARNING, default settings: history 100, 64 KiB frames); this process drives
the clients with one selector, so the server's CPU time and RSS are its own.
Each scenario gets a fresh server. Reported per scenario:

* deliveries/s    pairs received by clients / wall time from first send to last receipt
* p50, p99        latency of those deliveries (send stamp inside the message -> receipt)
* CPU us/deliv.   server process CPU time (user+sys from /proc) over the same span /
                  deliveries
* RSS/idle client (server RSS with N idle clients - RSS before any client) / N

Scenarios: fan-out (50 clients, one sender, 10,000 messages), all-talk (20
clients x 200 messages), light load (5 clients x 50 messages, one at a time,
each waiting for the previous one to arrive everywhere), 10,000 idle clients +
one broadcast, and 500 joins into an empty room (connect to last ``*welcome``).

Targets (issue 2): fan-out <= 1.5 us server CPU per delivery; light-load p99
<= 2 ms; <= 3 KB RSS per idle client; 500 joins <= 0.1 s. The client side is
plain Python, so it, not the server, usually limits deliveries/s; on a shared
2-core machine other people's work shows up in the wall-clock figures.
"""

from __future__ import annotations

import functools
import os
import resource
import selectors
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from desktopchat import events, protocol

SERVER_CODE = """
import logging, signal, sys
from desktopchat.server import RoomServer
logging.basicConfig(level=logging.WARNING)
srv = RoomServer("127.0.0.1", 0)
print(srv.address[1], flush=True)
signal.signal(signal.SIGTERM, lambda *a: srv.stop())
srv.serve_forever()
"""

CLK_TCK = os.sysconf("SC_CLK_TCK")
WELCOME_FRAME = protocol.encode_frame(events.WELCOME)


class Server:
    """The server in a child process, with its CPU time and RSS from /proc."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVER_CODE], stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        self.address = ("127.0.0.1", int(self.proc.stdout.readline()))

    def cpu(self) -> float:
        """User + system CPU seconds used so far."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
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
        # one would cost 50 million *leave deliveries first.
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@dataclass(eq=False)
class Client:
    sock: socket.socket
    name: str
    raw: bool  # raw clients only look for byte markers (cheap enough for 10,000)
    decoder: protocol.PairDecoder = field(default_factory=lambda: protocol.PairDecoder())
    out: bytearray = field(default_factory=bytearray)
    joined: bool = False
    head: bytes = b""
    tail: bytes = b""
    writing: bool = False


class Driver:
    """All clients on one selector in this process."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.address = address
        self.sel = selectors.DefaultSelector()
        self.clients: list[Client] = []
        self.on_pair: Callable[[Client, str, str], None] = lambda c, s, t: None
        self.marker = b"\x00never"
        self.on_marker: Callable[[Client], None] = lambda c: None
        self.on_writable: Callable[[Client], None] = lambda c: None
        self.mute_joined = False

    def connect(self, names: list[str], raw: bool = False) -> list[Client]:
        new = []
        for name in names:
            sock = socket.create_connection(self.address)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setblocking(False)
            client = Client(sock, name, raw)
            self.sel.register(sock, selectors.EVENT_READ, client)
            self.send(client, protocol.encode_frame(name))
            new.append(client)
        self.clients.extend(new)
        return new

    def send(self, client: Client, data: bytes) -> None:
        if not client.out:
            try:
                sent = client.sock.send(data)
            except BlockingIOError:
                sent = 0
            data = data[sent:]
        client.out += data
        if client.out and not client.writing:
            client.writing = True
            self.sel.modify(client.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, client)

    def want_write(self, client: Client) -> None:
        """Ask for on_writable calls even with an empty buffer (a sender refilling)."""
        if not client.writing:
            client.writing = True
            self.sel.modify(client.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, client)

    def run(self, done: Callable[[], bool], timeout: float = 120.0) -> None:
        end = time.monotonic() + timeout
        while not done():
            if time.monotonic() > end:
                raise TimeoutError("scenario did not finish")
            for key, mask in self.sel.select(1.0):
                client: Client = key.data
                if mask & selectors.EVENT_WRITE:
                    self._writable(client)
                if mask & selectors.EVENT_READ:
                    self._readable(client)

    def _writable(self, client: Client) -> None:
        if client.out:
            try:
                sent = client.sock.send(client.out)
            except BlockingIOError:
                sent = 0
            del client.out[:sent]
        if not client.out:
            self.on_writable(client)
        if not client.out and client.writing and client is not getattr(self, "refill", None):
            client.writing = False
            self.sel.modify(client.sock, selectors.EVENT_READ, client)

    def _readable(self, client: Client) -> None:
        data = client.sock.recv(1 << 20)
        if not data:
            raise ConnectionError(f"{client.name}: server closed the connection")
        if client.raw:
            if not client.joined:
                client.head += data
                if len(client.head) >= len(WELCOME_FRAME):
                    assert client.head.startswith(WELCOME_FRAME), client.head[:40]
                    client.joined = True
                    client.head = b""
                    if self.mute_joined:
                        # Stop reading: what follows (*join events) waits in the
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
        for sender, text in client.decoder:
            if sender == events.WELCOME:
                client.joined = True
            self.on_pair(client, sender, text)

    def close(self) -> None:
        for c in self.clients:
            c.sock.close()
        self.sel.close()


@dataclass
class Result:
    name: str
    deliveries: int
    seconds: float
    latencies: list[float]
    cpu: float
    rss_per_client: float | None = None
    note: str = ""

    def row(self) -> str:
        lat = sorted(self.latencies)

        def pct(p: float) -> str:
            if not lat:
                return "-"
            return f"{lat[min(len(lat) - 1, int(p * len(lat)))] * 1e3:.2f}"

        rate = self.deliveries / self.seconds if self.seconds else 0.0
        cpu_us = self.cpu / self.deliveries * 1e6 if self.deliveries else 0.0
        rss = f"{self.rss_per_client / 1024:.2f}" if self.rss_per_client is not None else "-"
        return (
            f"| {self.name:<26} | {self.deliveries:>9,} | {rate:>12,.0f} | {pct(0.5):>7} "
            f"| {pct(0.99):>7} | {cpu_us:>8.2f} | {rss:>8} | {self.note}"
        )


HEADER = (
    "| scenario                   | deliveries | deliveries/s | p50 ms  | p99 ms  "
    "| CPU us/d | KB/idle  | notes\n"
    "|----------------------------|-----------:|-------------:|--------:|--------:"
    "|---------:|---------:|------"
)


def join_all(driver: Driver, names: list[str], raw: bool = False) -> list[Client]:
    clients = driver.connect(names, raw=raw)
    driver.run(lambda: all(c.joined for c in clients))
    return clients


def settle(driver: Driver, seconds: float = 0.3) -> None:
    """Let join/leave traffic drain."""
    end = time.monotonic() + seconds
    driver.run(lambda: time.monotonic() > end)


def arrived(latencies: list[float], goal: int) -> bool:
    return len(latencies) >= goal


def stamp(seq: int) -> bytes:
    return protocol.encode_frame(f"{seq} {time.perf_counter_ns()}")


def talk(name: str, n_clients: int, per_sender: int, senders: int) -> Result:
    """``senders`` of ``n_clients`` each send ``per_sender`` messages as fast as possible."""
    server = Server()
    driver = Driver(server.address)
    try:
        clients = join_all(driver, [f"u{i}" for i in range(n_clients)])
        settle(driver)
        talkers = clients[:senders]
        expected = per_sender * senders * (n_clients - 1)
        latencies: list[float] = []
        sent = dict.fromkeys((c.name for c in talkers), 0)

        def on_pair(client: Client, sender: str, text: str) -> None:
            if sender in sent:
                latencies.append((time.perf_counter_ns() - int(text.split()[1])) / 1e9)

        def refill(client: Client) -> None:
            n = sent.get(client.name)
            if n is None or n >= per_sender:
                return
            batch = min(100, per_sender - n)
            client.out += b"".join(stamp(n + i) for i in range(batch))
            sent[client.name] = n + batch

        driver.on_pair = on_pair
        driver.on_writable = refill
        cpu0, t0 = server.cpu(), time.perf_counter()
        for c in talkers:
            refill(c)
            driver.want_write(c)
        driver.run(lambda: len(latencies) >= expected)
        seconds, cpu = time.perf_counter() - t0, server.cpu() - cpu0
        return Result(
            name, len(latencies), seconds, latencies, cpu, note="sent flat out: latency = queueing"
        )
    finally:
        server.close()
        driver.close()


def light() -> Result:
    """5 clients x 50 messages, one message in flight at a time."""
    server = Server()
    driver = Driver(server.address)
    try:
        clients = join_all(driver, [f"u{i}" for i in range(5)])
        settle(driver)
        latencies: list[float] = []

        def on_pair(client: Client, sender: str, text: str) -> None:
            if not sender.startswith("*"):
                latencies.append((time.perf_counter_ns() - int(text.split()[1])) / 1e9)

        driver.on_pair = on_pair
        cpu0, t0 = server.cpu(), time.perf_counter()
        seq = 0
        for _ in range(50):
            for c in clients:
                goal = len(latencies) + 4
                driver.send(c, stamp(seq))
                seq += 1
                driver.run(functools.partial(arrived, latencies, goal))
        seconds, cpu = time.perf_counter() - t0, server.cpu() - cpu0
        return Result(
            "light (5 x 50)",
            len(latencies),
            seconds,
            latencies,
            cpu,
            note="one at a time; CPU: 10 ms ticks",
        )
    finally:
        server.close()
        driver.close()


def idle(n: int = 10_000) -> Result:
    """n idle clients (joined in batches of 500), then one broadcast to all of them."""
    server = Server()
    driver = Driver(server.address)
    try:
        time.sleep(0.2)
        rss0 = server.rss()
        t_join = time.perf_counter()
        for start in range(0, n, 500):
            join_all(driver, [f"idle{i}" for i in range(start, min(n, start + 500))], raw=True)
        join_seconds = time.perf_counter() - t_join
        settle(driver, 1.0)
        rss1 = server.rss()
        sender = join_all(driver, ["speaker"], raw=True)[0]
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
        driver.send(sender, protocol.encode_frame(marker))
        driver.run(lambda: len(got) >= n)
        seconds, cpu = time.perf_counter() - t_send, server.cpu() - cpu0
        return Result(
            f"idle {n:,} + 1 broadcast",
            len(got),
            seconds,
            got,
            cpu,
            rss_per_client=(rss1 - rss0) / n,
            note=(
                f"server RSS {rss0 / 2**20:.1f} -> {rss1 / 2**20:.1f} MiB; "
                f"{n:,} joined (batches of 500) in {join_seconds:.1f} s; one send per delivery"
            ),
        )
    finally:
        server.close()
        driver.close()


def joins(n: int = 500) -> Result:
    """n clients join an empty room at once: connect to the last *welcome."""
    server = Server()
    driver = Driver(server.address)
    try:
        driver.mute_joined = True
        cpu0, t0 = server.cpu(), time.perf_counter()
        join_all(driver, [f"j{i}" for i in range(n)], raw=True)
        seconds, cpu = time.perf_counter() - t0, server.cpu() - cpu0
        return Result(
            f"{n} joins", n, seconds, [], cpu, note=f"all joined in {seconds * 1e3:.0f} ms"
        )
    finally:
        server.close()
        driver.close()


SCENARIOS: dict[str, Callable[[], Result]] = {
    "fanout": lambda: talk("fan-out (50, 1 x 10,000)", 50, 10_000, 1),
    "alltalk": lambda: talk("all-talk (20 x 200)", 20, 200, 20),
    "light": light,
    "idle": idle,
    "joins": joins,
}


def main(argv: list[str]) -> int:
    names = argv or list(SCENARIOS)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 10_100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 20_000), hard))
    print(
        f"# {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start, "
        f"Python {sys.version.split()[0]}"
    )
    print(HEADER)
    for name in names:
        print(SCENARIOS[name]().row(), flush=True)
    print(f"# load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
