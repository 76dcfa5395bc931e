"""How fast a room with saved history is back after a restart (run by hand, prints figures).

    python benchmarks/history_restart.py                 # 10,000 saved messages, 5 runs
    python benchmarks/history_restart.py --messages 50000 --runs 3

Fills a fresh ``--data`` folder with N chat messages (through the store, as a
room would have saved them, ``--history N``), then measures, each run the
median of ``--runs``:

* open      ``open_store``: lock, check (``PRAGMA quick_check``), prune and
            read the database into the room's memory
* listen    ``open_store`` + ``RoomServer(...)``: the room accepts connections
* first     the same, until a newcomer (protocol 2, on 127.0.0.1) has the whole
            history it is shown (its replay)
* process   ``python -m desktopchat --serve --data DIR --history N`` started as a
            process until that newcomer has its history: Python, imports, the
            certificate, the store, the socket

Target: ready to serve (``listen``; ``process`` for the whole program) within 1 s
with 10,000 saved messages. The room's memory holds at most 1 MiB of history
(``server.history.HISTORY_MAX_BYTES``), so a newcomer gets the newest that fit.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from desktopchat.protocol import events as ev
from desktopchat.protocol import wire
from desktopchat.protocol.client import ClientConnection
from desktopchat.server import RoomServer
from desktopchat.server.history import Entry
from desktopchat.server.sqlitestore import open_store

TARGET_S = 1.0
NAMES = ("ann", "bob", "carol", "dave", "eve")


def fill(folder: Path, count: int) -> None:
    """Save ``count`` chat messages (ids 1..count, a second apart, ending now)."""
    store = open_store(folder, history=count)
    start = time.time() - count
    for i in range(1, count + 1):
        text = f"message {i}: the quick brown fox jumps over the lazy dog"
        event = ev.Message(text, sender=NAMES[i % len(NAMES)], id=i, time=start + i)
        store.append(
            Entry(i, start + i, wire.encode_v1(event), wire.encode_v2(event), author="x", chat=True)
        )
    store.close()


def newcomer_history(address: tuple[str, int], deadline: float) -> int:
    """Join as a protocol-2 newcomer and read its history; return how many events it had.

    (A protocol-1 newcomer would wait the 0.3 s the room gives a client to
    take up protocol 2 before it is let in: not the store's time.)
    """
    with socket.create_connection(address, timeout=max(0.1, deadline - time.monotonic())) as sock:
        conn = ClientConnection("newcomer", token=secrets.token_hex(16))
        while True:
            event = conn.next_event()
            if out := conn.data_to_send():  # the name, then the upgrade (made reading the offer)
                sock.sendall(out)
            if isinstance(event, ev.Replay):
                return len(event.events)
            if event is None:
                data = sock.recv(1 << 16)
                if not data:
                    raise RuntimeError("the room closed the connection")
                conn.receive_data(data)


def in_process(folder: Path, count: int) -> tuple[float, float, float, int]:
    t0 = time.perf_counter()
    store = open_store(folder, history=count)
    t_open = time.perf_counter() - t0
    server = RoomServer("127.0.0.1", 0, history=count, store=store)
    t_listen = time.perf_counter() - t0
    server.start()
    shown = newcomer_history(server.address, time.monotonic() + 10)
    t_first = time.perf_counter() - t0
    server.stop()
    return t_open, t_listen, t_first, shown


def as_process(folder: Path, count: int, home: Path) -> float:
    env = dict(os.environ, DESKTOPCHAT_HOME=str(home), DESKTOPCHAT_NO_DISCOVERY="1")
    args = ["--serve", "--bind", "127.0.0.1", "--port", "0", "--no-announce"]
    args += ["--data", str(folder), "--history", str(count)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "desktopchat", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            match = re.search(r"room listening on 127\.0\.0\.1:(\d+)", line)
            if match:
                newcomer_history(("127.0.0.1", int(match.group(1))), time.monotonic() + 10)
                return time.perf_counter() - t0
        raise RuntimeError("the room never said where it listens")
    finally:
        proc.terminate()
        proc.wait(10)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000, help="saved (default 10000)")
    parser.add_argument("--runs", type=int, default=5, help="runs, median shown (default 5)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-history-") as tmp:
        folder, home = Path(tmp) / "room", Path(tmp) / "home"
        t0 = time.perf_counter()
        fill(folder, args.messages)
        size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        print(
            f"# {args.messages:,} messages saved in {time.perf_counter() - t0:.2f} s "
            f"({size:.1f} MB on disk); {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
        )
        as_process(folder, args.messages, home)  # makes the certificate once, warms the cache
        rows = [in_process(folder, args.messages) for _ in range(args.runs)]
        process = [as_process(folder, args.messages, home) for _ in range(args.runs)]
    opened, listening, first, shown = (statistics.median(col) for col in zip(*rows, strict=True))
    worst = max(max(r[1] for r in rows), max(process))
    print(f"open      {opened * 1000:7.1f} ms  (lock, check, prune, read)")
    print(f"listen    {listening * 1000:7.1f} ms  (store + RoomServer: accepting)")
    print(f"first     {first * 1000:7.1f} ms  (a newcomer has its {int(shown):,} history events)")
    print(f"process   {statistics.median(process) * 1000:7.1f} ms  (--serve --data, start to that)")
    verdict = "ok" if worst <= TARGET_S else "OVER"
    print(f"target    <= {TARGET_S:g} s to serve: worst run {worst:.2f} s: {verdict}")
    return 0 if worst <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
