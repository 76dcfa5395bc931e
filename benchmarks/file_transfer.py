"""File transfer benchmark: throughput, server memory, chat latency meanwhile (run by hand; Linux).

    python benchmarks/file_transfer.py                 # both scenarios
    python benchmarks/file_transfer.py one --size 1G   # one transfer
    python benchmarks/file_transfer.py ten             # ten at once

Issue 11's targets, on loopback through a real room in another process
(``python -m desktopchat --serve``, rate limits off so the chatter may say a
line every 20 ms):

* one 1 GB transfer: throughput >= 200 MB/s (from the ``fetch_file`` call to
  the receiver's ``TransferDone``, which comes after its SHA-256 check); the
  server's RSS growth during it <= 32 MiB (VmRSS sampled every 20 ms against
  the RSS before); the chat latency p99 <= 50 ms for a member that says a
  line every 20 ms meanwhile, measured at the receiver of the file (its
  lines share the connection with the file's chunks);
* ten simultaneous 100 MB transfers (two senders, five receivers fetching
  two files each: one member may feed 8 streams and run 4 fetches): all
  complete, each verified (the client's SHA-256 check, and the bytes on disk
  compared with the source here).

Each sender is a ChatClient in a child process of its own (``--sender``), so
it has its own interpreter; the receivers and the chatter (a raw
protocol-1 socket) run here.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from desktopchat import protocol
from desktopchat.client import ChatClient
from desktopchat.protocol import events as ev
from desktopchat.protocol import transferevents as te

MB = 1000 * 1000
MIB = 1024 * 1024
TARGET_MBPS = 200
TARGET_RSS_MIB = 32
TARGET_P99_MS = 50
CHAT_INTERVAL = 0.02


def parse_size(text: str) -> int:
    units = {"K": 1000, "M": MB, "G": 1000 * MB}
    if text[-1:].upper() in units:
        return int(float(text[:-1]) * units[text[-1].upper()])
    return int(text)


# --- the room and the senders (child processes) -------------------------------------------


def start_server(home: Path) -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    cmd = [sys.executable, "-m", "desktopchat", "--serve", "--bind", "127.0.0.1"]
    cmd += ["--port", str(port), "--no-announce", "--rate-limit", "0", "--byte-limit", "0"]
    env = dict(os.environ, DESKTOPCHAT_NO_DISCOVERY="1", DESKTOPCHAT_HOME=str(home))
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.monotonic() + 15
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            time.sleep(0.2)
            return proc, port
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("the server exited at start") from None
            time.sleep(0.05)
    raise TimeoutError("the server did not start listening")


def cpu(pid: int | None = None) -> float:
    """User + system CPU seconds of a process (None: this one)."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


class Sender:
    """A ChatClient offering files, in a child process; ``files`` are their ids."""

    def __init__(self, port: int, name: str, paths: list[Path]) -> None:
        cmd = [sys.executable, __file__, "--sender", str(port), name, *map(str, paths)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        offered = dict(self.proc.stdout.readline().split(" ", 1)[::-1] for _ in paths)
        #: The file id of each path, in the order of ``paths`` (hashing ends in any order).
        self.files = [int(offered[str(p) + "\n"]) for p in paths]

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(10)


def sender_main(port: int, name: str, paths: list[str]) -> None:
    client = ChatClient("127.0.0.1", port, name)
    client.start()
    cids = {client.offer_file(Path(p)): p for p in paths}

    def close_at_eof() -> None:
        sys.stdin.read()
        client.close()

    threading.Thread(target=close_at_eof, daemon=True).start()
    while True:
        event = client.events.get()
        match event:
            case te.OfferMade(cid=cid, file=file) if cid in cids:
                print(file, cids[cid], flush=True)
            case ev.Rejected() | ev.Failed() | te.TransferFailed():
                print(f"{name}: {event}", file=sys.stderr, flush=True)
            case ev.Stopped():
                return


# --- the receivers and the chatter (this process) ------------------------------------------


class Receiver:
    """A ChatClient that fetches; a thread reads its events (chat lines are timed)."""

    def __init__(self, port: int, name: str) -> None:
        self.client = ChatClient("127.0.0.1", port, name)
        self.done: queue.Queue[ev.Event] = queue.Queue()
        self.latencies: list[float] = []
        self.client.start()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            event = self.client.events.get()
            now = time.monotonic()
            match event:
                case ev.Message(text=text) if text.startswith("t="):
                    self.latencies.append(now - float(text[2:]))
                case te.TransferDone() | te.TransferFailed() | te.FilesAllowed():
                    self.done.put(event)
                case ev.Stopped():
                    return

    def ready(self) -> None:
        allowed = self.done.get(timeout=10)
        assert isinstance(allowed, te.FilesAllowed) and allowed.max_size, allowed

    def offered(self, file: int) -> None:
        """Wait until the offer ``file`` is known here (the room's event came in)."""
        end = time.monotonic() + 10
        while file not in self.client.transfers.offers:
            if time.monotonic() > end:
                raise TimeoutError(f"offer {file} never arrived")
            time.sleep(0.01)


class Chatter:
    """A protocol-1 member saying ``t=<monotonic time>`` every 20 ms on its own thread."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(protocol.encode_frame("carol"))
        self._stop = threading.Event()
        self.sent = 0
        threading.Thread(target=self._drain, daemon=True).start()
        self._thread = threading.Thread(target=self._talk, daemon=True)

    def _drain(self) -> None:
        try:
            while self.sock.recv(65536):
                pass
        except OSError:
            pass

    def start(self) -> None:
        time.sleep(0.5)  # in as protocol 1 (the room waits 0.3 s for an upgrade)
        self._thread.start()

    def _talk(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            self.sock.sendall(protocol.encode_frame(f"t={time.monotonic():.6f}"))
            self.sent += 1
            next_at += CHAT_INTERVAL
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


def make_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    block = os.urandom(4 * MIB)
    with open(path, "wb") as f:
        left = size
        while left:
            part = block[: min(left, len(block))]
            f.write(part)
            digest.update(part)
            left -= len(part)
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else float("nan")


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def one(work: Path, size: int) -> bool:
    src = work / "one.bin"
    print(f"one transfer of {size / MB:,.0f} MB: making the file...", flush=True)
    want = make_file(src, size)
    server, port = start_server(work / "home-one")
    ann = Sender(port, "ann", [src])
    bob = Receiver(port, "bob")
    chatter = Chatter(port)
    try:
        bob.ready()
        (file,) = ann.files
        bob.offered(file)
        chatter.start()
        time.sleep(0.5)  # chat alone first: the room's RSS with chat going
        base = rss(server.pid)
        peak = base
        dest = work / "one.received"
        cpu0 = (cpu(server.pid), cpu(ann.proc.pid), cpu())
        start = time.monotonic()
        bob.client.fetch_file(file, dest)
        while True:
            try:
                done = bob.done.get(timeout=0.02)
                break
            except queue.Empty:
                peak = max(peak, rss(server.pid))
        seconds = time.monotonic() - start
        cpu1 = (cpu(server.pid), cpu(ann.proc.pid), cpu())
        chatter.stop()
    finally:
        ann.close()
        bob.client.close()
        server.terminate()
        server.wait(10)
    if not isinstance(done, te.TransferDone):
        print(f"  FAILED: {done}")
        return False
    same = file_digest(dest) == want
    dest.unlink()
    src.unlink()
    mbps = size / seconds / MB
    growth = (peak - base) / MIB
    lat = [x * 1000 for x in bob.latencies]
    p50, p99, worst = percentile(lat, 0.5), percentile(lat, 0.99), max(lat, default=float("nan"))
    ok = mbps >= TARGET_MBPS and growth <= TARGET_RSS_MIB and p99 <= TARGET_P99_MS and same
    print(f"  verified      {'yes' if same else 'NO'}")
    print(
        f"  throughput    {mbps:,.0f} MB/s ({seconds:.2f} s)  target >= {TARGET_MBPS}: "
        f"{verdict(mbps >= TARGET_MBPS)}"
    )
    print(
        f"  server RSS    {base / MIB:.1f} MiB before, +{growth:.1f} MiB at most  "
        f"target <= {TARGET_RSS_MIB}: {verdict(growth <= TARGET_RSS_MIB)}"
    )
    print(
        f"  chat latency  {len(lat)} lines of {chatter.sent}: p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"max {worst:.1f} ms  target p99 <= {TARGET_P99_MS}: {verdict(p99 <= TARGET_P99_MS)}"
    )
    used = [b - a for a, b in zip(cpu0, cpu1, strict=True)]
    print(
        f"  CPU seconds   server {used[0]:.2f}, sender {used[1]:.2f}, "
        f"receiver + chatter {used[2]:.2f} (of {seconds:.2f} s, 2 cores)"
    )
    return ok


def ten(work: Path, size: int) -> bool:
    print(f"ten transfers of {size / MB:,.0f} MB at once: making the files...", flush=True)
    sources = [work / f"ten-{i}.bin" for i in range(10)]
    wants = [make_file(src, size) for src in sources]
    server, port = start_server(work / "home-ten")
    senders = [Sender(port, "ann", sources[:5]), Sender(port, "dan", sources[5:])]
    receivers = [Receiver(port, f"r{i}") for i in range(5)]
    ok = True
    try:
        for r in receivers:
            r.ready()
        files = senders[0].files + senders[1].files
        jobs = []  # (receiver, file, source index)
        for i, r in enumerate(receivers):
            jobs += [(r, files[i], i), (r, files[5 + i], 5 + i)]
        start = time.monotonic()
        for r, file, i in jobs:
            r.offered(file)
            r.client.fetch_file(file, work / f"ten-{i}.received")
        results = []
        for r in receivers:
            results += [r.done.get(timeout=600) for _ in range(2)]
        seconds = time.monotonic() - start
    finally:
        for s in senders:
            s.close()
        for r in receivers:
            r.client.close()
        server.terminate()
        server.wait(10)
    good = sum(isinstance(e, te.TransferDone) for e in results)
    for e in results:
        if not isinstance(e, te.TransferDone):
            print(f"  FAILED: {e}")
            ok = False
    same = 0
    for i, want in enumerate(wants):
        dest = work / f"ten-{i}.received"
        if dest.exists() and file_digest(dest) == want:
            same += 1
        dest.unlink(missing_ok=True)
        sources[i].unlink()
    ok = ok and same == 10
    print(f"  complete      {good} of 10 (SHA-256 checked by the receivers)")
    print(f"  bytes equal   {same} of 10 (compared here)  {verdict(ok)}")
    print(f"  together      {10 * size / seconds / MB:,.0f} MB/s ({seconds:.1f} s)")
    return ok


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--sender":
        sender_main(int(sys.argv[2]), sys.argv[3], sys.argv[4:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenario", nargs="?", choices=["one", "ten", "both"], default="both")
    parser.add_argument("--size", type=parse_size, default=1000 * MB, help="of the one transfer")
    parser.add_argument("--ten-size", type=parse_size, default=100 * MB, help="of each of ten")
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory(prefix="file-transfer-") as tmp:
        work = Path(tmp)
        if args.scenario in ("one", "both"):
            ok = one(work, args.size) and ok
        if args.scenario in ("ten", "both"):
            ok = ten(work, args.ten_size) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
