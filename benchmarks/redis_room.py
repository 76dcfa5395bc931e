"""One room on three servers through one local Redis (run by hand; Linux: reads /proc).

    python benchmarks/redis_room.py                 # both scenarios
    python benchmarks/redis_room.py --messages 2000 --members 50

Starts redis-server on a free port of 127.0.0.1 (persistence off) and three
``python -m desktopchat --serve --redis ... --room bench`` processes on
127.0.0.1 (no rate limits, no announcement); this process drives every client
with one selector (benchmarks/server_load.py's Driver, protocol 2).

* light    one member on each server; 300 lines, one at a time, each sent
           once the previous one reached the two others (on the two other
           servers): cross-server delivery latency (send stamp -> receipt).
           Target: p99 <= 5 ms.
* fanout   --members on each server (3 x 50), one sender per server, each
           sending --messages lines with at most 100 in flight: deliveries/s
           over all members, and CPU per delivery (three servers + Redis).
           Next to it: one plain ``--serve`` process with 3 x --members
           members and the same three senders.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import server_load as sl

CLK_TCK = os.sysconf("SC_CLK_TCK")
NO_LIMITS = [
    "--rate-limit",
    "0",
    "--byte-limit",
    "0",
    "--nick-limit",
    "0",
    "--max-per-address",
    "0",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    end = time.monotonic() + 20
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"process {proc.args!r} exited at start")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


def cpu(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class Cluster:
    """redis-server and N desktopchat servers (N = 0: one plain --serve process)."""

    def __init__(self, servers: int, home: str) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        self.ports: list[int] = []
        env = dict(os.environ, DESKTOPCHAT_HOME=home)
        extra: list[str] = []
        if servers:
            redis_port = free_port()
            redis = [shutil.which("redis-server") or "redis-server", "--save", ""]
            redis += ["--appendonly", "no", "--port", str(redis_port), "--bind", "127.0.0.1"]
            self._start(redis, redis_port, env)
            extra = ["--redis", f"redis://127.0.0.1:{redis_port}/0", "--room", "bench"]
        for _ in range(max(servers, 1)):
            port = free_port()
            args = [sys.executable, "-m", "desktopchat", "--serve", "--no-announce"]
            args += ["--bind", "127.0.0.1", "--port", str(port), *NO_LIMITS, *extra]
            self._start(args, port, env)
            self.ports.append(port)

    def _start(self, args: list[str], port: int, env: dict[str, str]) -> None:
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(proc)
        wait_port(port, proc)

    def cpu(self) -> float:
        return sum(cpu(p.pid) for p in self.procs)

    def close(self) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
            proc.wait(10)


def join(driver: sl.Driver, port: int, names: list[str]) -> list[sl.Client]:
    driver.address = ("127.0.0.1", port)
    return sl.join_all(driver, names, 2)


def light(home: str) -> list[float]:
    cluster = Cluster(3, home)
    driver = sl.Driver(("127.0.0.1", cluster.ports[0]))
    try:
        clients = [join(driver, port, [f"u{i}"])[0] for i, port in enumerate(cluster.ports)]
        sl.settle(driver, 0.5)
        latencies: list[float] = []

        def on_pair(client: sl.Client, first: str, second: str) -> None:
            if first.startswith("say ") and second.startswith("t "):
                latencies.append((time.perf_counter_ns() - int(second.rsplit(" ", 1)[1])) / 1e9)

        driver.on_pair = on_pair
        for seq in range(300):
            c = clients[seq % 3]
            goal = len(latencies) + 2
            driver.send(c, sl.stamped(c, seq))
            driver.run(lambda: len(latencies) >= goal)  # noqa: B023
        return latencies
    finally:
        driver.close()
        cluster.close()


def fanout(home: str, servers: int, members: int, messages: int) -> tuple[float, float, int]:
    """(deliveries/s, CPU us per delivery, deliveries) with 3 senders."""
    cluster = Cluster(servers, home)
    driver = sl.Driver(("127.0.0.1", cluster.ports[0]))
    try:
        groups = []
        for s in range(3):
            port = cluster.ports[s % len(cluster.ports)]
            groups.append(join(driver, port, [f"m{s}x{i}" for i in range(members)]))
        sl.settle(driver, 1.0)
        senders = [g[0] for g in groups]
        watcher = groups[1][1]  # not a sender: sees every sender's lines
        seen = {c.name: 0 for c in senders}
        total = [0]

        def on_pair(client: sl.Client, first: str, second: str) -> None:
            if first.startswith("say "):
                total[0] += 1
                if client is watcher:
                    seen[first.rsplit(" ", 1)[1]] += 1

        driver.on_pair = on_pair
        sent = {c.name: 0 for c in senders}
        expected = 3 * messages * (3 * members - 1)
        cpu0, t0 = cluster.cpu(), time.perf_counter()
        while total[0] < expected:
            for c in senders:
                ahead = sent[c.name] - seen[c.name]
                while sent[c.name] < messages and ahead < 100:
                    driver.send(c, sl.stamped(c, sent[c.name]))
                    sent[c.name] += 1
                    ahead += 1
            end = time.perf_counter() + 0.002
            driver.run(lambda: time.perf_counter() > end)  # noqa: B023
        seconds, used = time.perf_counter() - t0, cluster.cpu() - cpu0
        return total[0] / seconds, used / total[0] * 1e6, total[0]
    finally:
        driver.close()
        cluster.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50, help="members per server (50)")
    parser.add_argument("--messages", type=int, default=1000, help="lines per sender (1000)")
    args = parser.parse_args(argv)
    if shutil.which("redis-server") is None:
        print("redis-server is needed (apt install redis-server)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as home:
        lat = sorted(light(home))
        p99 = lat[int(len(lat) * 0.99) - 1] * 1e3
        print(f"cross-server delivery, light load ({len(lat)} deliveries):")
        p50, most = statistics.median(lat) * 1e3, lat[-1] * 1e3
        print(f"  p50 {p50:.2f} ms  p99 {p99:.2f} ms  max {most:.2f} ms")
        print(f"  target p99 <= 5 ms: {'met' if p99 <= 5 else 'NOT met'}")
        n = args.members
        print(f"fan-out, 3 senders x {args.messages} lines:")
        for label, servers in ((f"3 servers x {n} members, Redis", 3), (f"1 process, {3 * n}", 0)):
            rate, per, total = fanout(home, servers, n, args.messages)
            print(f"  {label:<32} {rate:>10,.0f} deliveries/s  {per:.2f} us CPU each ({total:,})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
