"""Join storm benchmark (run by hand, not in CI; Linux: reads /proc).

    python benchmarks/join_storm.py                    # 10,000 clients, default room
    python benchmarks/join_storm.py --clients 5000
    python benchmarks/join_storm.py --quiet-above 0    # announce every join (the old way)
    python benchmarks/join_storm.py --window 2000      # connections in handshake at once

The server runs in a child process (``python -m desktopchat --serve`` on
127.0.0.1, a free port, no per-address cap (every client comes from
127.0.0.1), logging at WARNING). This process drives every client on one
selector with raw non-blocking sockets: each connects, sends its name, waits for
the ``*hello`` offer and takes up protocol 2 as our client does (with the
``crowd`` word when the room offers it), then only scans its bytes for two
markers: the ``welcome`` meta frame (joined) and the broadcast text. At most
``--window`` clients are between connect and welcome at a time (a restart's
jittered reconnects spread them the same way; more at once only overflow the
listen backlog and wait for SYN retransmits).

When every client is in, client 0 says one message with a marker in it and
the benchmark waits until every other client has read it.

Figures:

* join       wall time from the first connect to the last welcome
* broadcast  wall time from the message's send to its arrival at the last client
* server CPU user+system CPU seconds of the server process over the join (and
             over join + broadcast), from /proc/PID/task/*/schedstat
* missed     clients that never got the broadcast (within ``--timeout``)

Targets (issue 12): 10,000 clients join in <= 10 s, every one receives the
broadcast, server CPU for the whole join <= 5 s.
"""

from __future__ import annotations

import argparse
import os
import secrets
import selectors
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

from desktopchat import protocol

TARGET_JOIN_S = 10.0
TARGET_CPU_S = 5.0
MARKER = b"storm-broadcast-" + secrets.token_hex(4).encode()
WELCOME_META = b"welcome "
#: Protocol 1: the ``*welcome`` sender frame (a client whose upgrade came after
#: the room's 0.3 s wait, because this process was busy, is let in as protocol 1).
WELCOME_V1 = protocol.encode_frame("*welcome")


@dataclass(eq=False)
class Client:
    """One raw connection: bytes in, two markers looked for."""

    sock: socket.socket
    name: str
    buf: bytearray = field(default_factory=bytearray)
    upgraded: bool = False
    joined: bool = False
    got: bool = False
    tail: bytes = b""


def server_cpu(pid: int) -> float:
    """User + system CPU seconds of all the process's threads."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        except FileNotFoundError:
            pass
    return total / 1e9


def start_server(quiet_above: int | None, tree: str | None) -> tuple[subprocess.Popen[str], int]:
    """The room in a child process; its port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    cmd = [sys.executable, "-m", "desktopchat", "--serve", "--bind", "127.0.0.1"]
    cmd += ["--port", str(port), "--max-per-address", "0"]
    if quiet_above is not None:
        cmd += ["--quiet-above", str(quiet_above)]
    # Its own home (certificate, log file); its console lines go to server.err there.
    home = tempfile.mkdtemp(prefix="join-storm-")
    env = dict(os.environ, DESKTOPCHAT_NO_DISCOVERY="1", DESKTOPCHAT_HOME=home)
    if tree is not None:  # another checkout's server (the figures from before a change)
        env["PYTHONPATH"] = tree
    with open(os.path.join(home, "server.err"), "w") as err:
        proc = subprocess.Popen(
            cmd, env=env, cwd=tree, stdout=subprocess.DEVNULL, stderr=err, text=True
        )
    print(f"server log: {home}/server.err")
    end = time.monotonic() + 15
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            time.sleep(0.2)  # let it forget the probe connection
            return proc, port
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("the server exited at start") from None
            time.sleep(0.05)
    raise TimeoutError("the server did not start listening")


class Storm:
    """Every client on one selector."""

    def __init__(self, port: int, count: int, window: int) -> None:
        self.port = port
        self.count = count
        self.window = window
        self.sel = selectors.DefaultSelector()
        self.clients: list[Client] = []
        self.joining = 0
        self.joined = 0
        self.received = 0
        self.legacy = 0  # upgraded without the crowd word (the room did not offer it)
        self.v1 = 0  # let in as protocol 1 (their upgrade came too late)

    def _connect(self, i: int) -> None:
        sock = socket.socket()
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.connect_ex(("127.0.0.1", self.port))
        client = Client(sock, f"u{i}")
        self.clients.append(client)
        self.sel.register(sock, selectors.EVENT_WRITE, client)
        self.joining += 1

    def _writable(self, client: Client) -> None:
        err = client.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            raise OSError(err, f"connect failed for {client.name}")
        client.sock.send(protocol.encode_frame(client.name))
        self.sel.modify(client.sock, selectors.EVENT_READ, client)

    def _readable(self, client: Client) -> None:
        try:
            data = client.sock.recv(1 << 16)
        except (BlockingIOError, InterruptedError):
            return
        if not data:
            raise RuntimeError(f"{client.name}: the server closed the connection")
        if not client.upgraded:
            client.buf += data
            decoder = protocol.PairDecoder()
            decoder.receive_data(bytes(client.buf))
            pair = decoder.next_pair()
            if pair is None:
                return
            sender, text = pair
            if sender != "*hello":
                raise RuntimeError(f"{client.name}: expected *hello, got {pair!r}")
            crowd = "crowd" in text.split(" ")
            self.legacy += not crowd
            words = f"/protocol 2 {secrets.token_hex(8)}" + (" crowd" if crowd else "")
            client.sock.send(protocol.encode_frame(words))
            client.upgraded = True
            data = bytes(client.buf)
            client.buf.clear()
        seen = client.tail + data
        if not client.joined and (WELCOME_META in seen or WELCOME_V1 in seen):
            client.joined = True
            self.v1 += WELCOME_V1 in seen
            self.joined += 1
            self.joining -= 1
        if client.joined and not client.got and MARKER in seen:
            client.got = True
            self.received += 1
        client.tail = seen[-len(MARKER) :]

    def run_until(self, done: object, timeout: float) -> bool:
        end = time.monotonic() + timeout
        check = done if callable(done) else None
        assert check is not None
        while not check():
            if time.monotonic() > end:
                return False
            while len(self.clients) < self.count and self.joining < self.window:
                self._connect(len(self.clients))
            for key, mask in self.sel.select(0.05):
                client: Client = key.data
                if mask & selectors.EVENT_WRITE:
                    self._writable(client)
                else:
                    self._readable(client)
        return True

    def close(self) -> None:
        for client in self.clients:
            client.sock.close()
        self.sel.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--window", type=int, default=1000, help="handshakes at once")
    parser.add_argument("--quiet-above", type=int, default=None, help="the server's option")
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument(
        "--server-tree",
        metavar="DIR",
        help="run the server of another checkout (e.g. `git archive` of an older commit)",
    )
    args = parser.parse_args()
    proc, port = start_server(args.quiet_above, args.server_tree)
    storm = Storm(port, args.clients, args.window)
    try:
        cpu0 = server_cpu(proc.pid)
        t0 = time.monotonic()
        ok = storm.run_until(lambda: storm.joined == args.clients, args.timeout)
        t_join = time.monotonic() - t0
        cpu_join = server_cpu(proc.pid) - cpu0
        if not ok:
            print(f"only {storm.joined} of {args.clients} joined within {args.timeout:g} s")
            return 1
        sender = storm.clients[0]
        sender.got = True
        storm.received = 1
        t1 = time.monotonic()
        meta, body = b"say 1", b"hello everyone " + MARKER
        sender.sock.sendall(b"%-10d%s%-10d%s" % (len(meta), meta, len(body), body))
        storm.run_until(lambda: storm.received == args.clients, args.timeout)
        t_cast = time.monotonic() - t1
        cpu_all = server_cpu(proc.pid) - cpu0
        missed = args.clients - storm.received
        print(
            f"clients          {args.clients:,} (window {args.window}, quiet above "
            f"{'default' if args.quiet_above is None else args.quiet_above})"
        )
        print(f"protocol 2 without crowd (the room was small): {storm.legacy:,}")
        print(f"let in as protocol 1 (upgrade after 0.3 s): {storm.v1:,}")
        verdict = "ok" if t_join <= TARGET_JOIN_S else "OVER"
        print(f"join             {t_join:.2f} s   (target <= {TARGET_JOIN_S:g} s: {verdict})")
        verdict = "ok" if cpu_join <= TARGET_CPU_S else "OVER"
        print(f"server CPU join  {cpu_join:.2f} s   (target <= {TARGET_CPU_S:g} s: {verdict})")
        print(f"broadcast        {t_cast:.2f} s to the last client")
        print(f"server CPU total {cpu_all:.2f} s (join + broadcast)")
        print(f"missed           {missed:,} of {args.clients:,}")
        return 0 if missed == 0 else 1
    finally:
        storm.close()
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    sys.exit(main())
