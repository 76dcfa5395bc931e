"""Memory benchmark for the room server: members that never read (run by hand; Linux).

    python benchmarks/server_memory.py               # both scenarios
    python benchmarks/server_memory.py big --idle 1000 --messages 400
    python benchmarks/server_memory.py tiny          # 30-byte messages, flat out

Issue 8, finding 3: 1,000 members that never read plus one member chatting
64 KB messages took the server to 2.4-3.6 GiB, since every broadcast was
copied into every member's buffer. Now a broadcast is stored once and queued
by reference, each member's queue is capped (4 MiB) and so is the output the
whole server holds (128 MiB), so the target is a server under 256 MiB RSS.

The server runs in a child process (``RoomServer`` on 127.0.0.1, default
settings but no rate limits, so one member can chat flat out). This process
drives the clients: the non-readers (connected from 127.0.0.2, .3, ... so the
per-address cap of 32 holds), each of which sends its name and never reads a
byte; one reader that reads everything; one chatter, who keeps a few messages
in flight (counted at the reader). Scenarios:

* big   messages of 65,000 bytes: the memory is in the buffers themselves;
* tiny  messages of 30 bytes, 2,000 in flight: the memory is in the references
        (millions of queue slots), which the server budget counts too.

Figures: the server's peak RSS (VmHWM) and the RSS when the last non-reader
was dropped, how many were dropped and why (from the server's log), and
whether the reader got every message, in order.
"""

from __future__ import annotations

import argparse
import os
import re
import selectors
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from desktopchat import protocol
from desktopchat.protocol import events

SERVER_CODE = """
import logging, signal
from desktopchat.server import RoomServer
logging.basicConfig(level=logging.WARNING, format="%(message)s")
srv = RoomServer("127.0.0.1", 0, rate_limits=None)
print(srv.address[1], flush=True)
signal.signal(signal.SIGTERM, lambda signum, frame: srv.request_stop(signum))
srv.serve_forever()
"""

TARGET_MIB = 256
PER_ADDRESS = 32  # the server's default cap
MIB = 1024 * 1024


class Server:
    """Our server in a child process; its log goes to a file."""

    def __init__(self) -> None:
        fd, path = tempfile.mkstemp(prefix="server-memory-", suffix=".log")
        self.log = Path(path)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", SERVER_CODE], stdout=subprocess.PIPE, stderr=fd, text=True
            )
        finally:
            os.close(fd)
        assert self.proc.stdout is not None
        self.address = ("127.0.0.1", int(self.proc.stdout.readline()))

    def status(self, field: str) -> int:
        """A VmRSS/VmHWM-style field of /proc/PID/status, in bytes."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError(f"no {field}")

    def drops(self) -> Counter[str]:
        """Why connections were dropped, from the server's log."""
        reasons: Counter[str] = Counter()
        for line in self.log.read_text().splitlines():
            match = re.search(r": dropped: (too slow|furthest behind|idle)", line)
            if match:
                reasons[match.group(1)] += 1
        return reasons

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.unlink(missing_ok=True)


class Reader:
    """The member that reads everything (non-blocking, driven from the main loop)."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.sock = socket.create_connection(address)
        self.sock.sendall(protocol.encode_frame("reader"))
        self.sock.setblocking(False)
        self.decoder = protocol.PairDecoder()
        self.joins = self.leaves = self.texts = 0
        self.welcomed = False
        self.in_order = True

    def read(self) -> None:
        try:
            while data := self.sock.recv(1 << 20):
                self.decoder.receive_data(data)
        except BlockingIOError:
            pass
        for sender, text in self.decoder:
            if sender == events.WELCOME:
                self.welcomed = True
            elif sender == events.JOIN:
                self.joins += 1
            elif sender == events.LEAVE:
                self.leaves += 1
            elif sender == "chatter":
                self.in_order &= text.startswith(f"{self.texts:08d}")
                self.texts += 1


def non_readers(address: tuple[str, int], count: int) -> list[socket.socket]:
    socks = []
    for i in range(count):
        source = f"127.0.0.{2 + i // PER_ADDRESS}"
        sock = socket.create_connection(address, source_address=(source, 0))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(protocol.encode_frame(f"idle{i}"))
        socks.append(sock)
    return socks


def run(name: str, args: argparse.Namespace, size: int, window: int) -> list[str]:
    server = Server()
    socks: list[socket.socket] = []
    try:
        reader = Reader(server.address)
        sel = selectors.DefaultSelector()
        sel.register(reader.sock, selectors.EVENT_READ)
        deadline = time.monotonic() + args.timeout

        def wait(what: str, condition: Callable[[], bool]) -> None:
            while not condition():
                assert time.monotonic() < deadline, f"timed out waiting for {what}"
                sel.select(1.0)
                reader.read()

        wait("the reader's welcome", lambda: reader.welcomed)
        chatter = socket.create_connection(server.address)
        chatter.sendall(protocol.encode_frame("chatter"))
        wait("the chatter", lambda: reader.joins == 1)
        socks = non_readers(server.address, args.idle)
        wait("the non-readers", lambda: reader.joins == args.idle + 1)
        rss_joined = server.status("VmRSS")
        body = "z" * (size - 8)
        sent = 0
        started = time.monotonic()
        while reader.leaves < args.idle and sent < args.messages:
            assert time.monotonic() < deadline, "timed out"
            batch = []
            while sent - reader.texts < window and sent < args.messages:
                batch.append(protocol.encode_frame(f"{sent:08d}{body}"))
                sent += 1
            chatter.sendall(b"".join(batch))
            sel.select(1.0)
            reader.read()
        elapsed = time.monotonic() - started
        rss_end = server.status("VmRSS")
        wait("the last messages", lambda: reader.texts == sent)
        peak = server.status("VmHWM")
        drops = server.drops()
    finally:
        for sock in socks:
            sock.close()
        server.close()
    why = ", ".join(f"{n} {reason}" for reason, n in drops.most_common()) or "none"
    met = "met" if peak < TARGET_MIB * MIB else "NOT met"
    return [
        f"{name}: {args.idle:,} non-readers, one chatter of {size:,}-byte messages",
        f"  messages sent {sent:,} in {elapsed:.1f} s; the reader got {reader.texts:,}"
        f" ({'all, in order' if reader.texts == sent and reader.in_order else 'NOT all'})",
        f"  non-readers dropped: {reader.leaves:,} of {args.idle:,} ({why})",
        f"  server RSS: {rss_joined / MIB:.0f} MiB with everyone in, {rss_end / MIB:.0f} MiB"
        f" at the end of the chat, peak {peak / MIB:.0f} MiB"
        f" (target < {TARGET_MIB} MiB: {met})",
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", help="big, tiny (default: both)")
    parser.add_argument("--idle", type=int, default=1000, help="non-readers (default 1000)")
    parser.add_argument("--messages", type=int, default=0, help="at most (default: per scenario)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per scenario")
    args = parser.parse_args(argv)
    chosen = args.scenarios or ["big", "tiny"]
    if set(chosen) - {"big", "tiny"}:
        parser.error(f"unknown scenario in {chosen}: choose big, tiny")
    lines = [f"# Python {sys.version.split()[0]}, {os.cpu_count()} CPUs"]
    for name in chosen:
        size, window, messages = (65_000, 4, 2_000) if name == "big" else (30, 2_000, 400_000)
        scenario = argparse.Namespace(**{**vars(args), "messages": args.messages or messages})
        lines += run(name, scenario, size, window)
        print("\n".join(lines[-4:]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
