"""desktopchat.net.reachability: real sockets, on 127.0.0.1 and in a private network namespace.

A dropped SYN is made without a firewall: a listening socket whose accept
queue is full (backlog 0, one connection never accepted) drops new SYNs on
Linux, so the connect times out exactly as behind a DROP rule.
"""

from __future__ import annotations

import errno
import json
import shutil
import socket
import struct
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator

import pytest
from waiting import TIMEOUT, wait_until

from desktopchat.net.reachability import Problem, Trouble, check_reachability, probe, start_check

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux behaviour")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def accept_queue(listener: socket.socket) -> int:
    # Linux's tcp_info of a listening socket: tcpi_unacked is its accept queue.
    info = listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    return int(struct.unpack_from("I", info, 24)[0])


@pytest.fixture
def full_listener() -> Iterator[socket.socket]:
    """A listener on 127.0.0.1 that drops every new SYN (its accept queue is full)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        with socket.create_connection(listener.getsockname(), timeout=TIMEOUT):
            wait_until(lambda: accept_queue(listener) >= 1, what="the accept queue is full")
            yield listener


def test_probe_tells_open_refused_apart() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        open_address = listener.getsockname()
        shut = ("127.0.0.1", closed_port())
        assert probe([open_address, shut], TIMEOUT) == {
            open_address: None,
            shut: errno.ECONNREFUSED,
        }


@linux_only
def test_probe_dropped_syn_is_a_timeout(full_listener: socket.socket) -> None:
    address = full_listener.getsockname()
    shut = ("127.0.0.1", closed_port())
    # All at once: the refused one is known at once, the dropped one when time is up.
    assert probe([address, shut], 0.3) == {address: errno.ETIMEDOUT, shut: errno.ECONNREFUSED}


def test_loopback_bound_room_cannot_be_reached_by_others() -> None:
    problems = check_reachability(("127.0.0.1", 4321), [("192.168.1.23", 4321)])
    assert [p.trouble for p in problems] == [Trouble.LOOPBACK_ONLY]
    assert str(problems[0]) == (
        "The room listens on 127.0.0.1 only, so nobody on another computer can join: "
        "listen on all addresses (--bind 0.0.0.0) or on this computer's network address."
    )
    assert problems[0].address is None


def test_no_network_address() -> None:
    problems = check_reachability(("0.0.0.0", 4321), [("127.0.0.1", 4321)])
    assert [p.trouble for p in problems] == [Trouble.NO_NETWORK]
    assert "no network address besides 127.0.0.1" in problems[0].message


def test_start_check_reports_on_its_own_thread() -> None:
    got: list[tuple[list[Problem], str]] = []
    done = threading.Event()

    def on_done(problems: list[Problem]) -> None:
        got.append((problems, threading.current_thread().name))
        done.set()

    thread = start_check(("127.0.0.1", 1), None, on_done)
    assert done.wait(TIMEOUT)
    thread.join(TIMEOUT)
    assert got[0][1] == "desktopchat-reachability"
    assert [p.trouble for p in got[0][0]] == [Trouble.LOOPBACK_ONLY]


# In a private network namespace, 10.9.9.9 on lo stands for a LAN address:
# nothing leaves the namespace, and the real interfaces are never touched.
NAMESPACE_SCRIPT = textwrap.dedent(
    """
    import json, socket, struct, time
    from desktopchat.net.reachability import check_reachability

    LAN = "10.9.9.9"
    room = socket.socket()
    room.bind(("0.0.0.0", 0))
    room.listen()
    port = room.getsockname()[1]
    full = socket.socket()
    full.bind((LAN, 0))
    full.listen(0)
    filler = socket.create_connection(full.getsockname())
    deadline = time.monotonic() + 5
    while struct.unpack_from("I", full.getsockopt(6, socket.TCP_INFO, 104), 24)[0] < 1:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    with socket.socket() as s:
        s.bind((LAN, 0))
        shut = s.getsockname()[1]
    cases = {
        "reachable": check_reachability(("0.0.0.0", port), [(LAN, port)]),
        "refused": check_reachability(("0.0.0.0", shut), [(LAN, shut), ("127.0.0.1", shut)]),
        "dropped": check_reachability(("0.0.0.0", full.getsockname()[1]),
                                      [(LAN, full.getsockname()[1])], timeout=0.3),
        "unreachable": check_reachability(("0.0.0.0", port), [("10.9.9.10", port)]),
    }
    result = {k: [[p.trouble.name, p.message] for p in v] for k, v in cases.items()}
    print(json.dumps({"full": full.getsockname()[1], **result}))
    """
)


@linux_only
@pytest.mark.skipif(not shutil.which("unshare") or not shutil.which("ip"), reason="no unshare")
def test_lan_address_checks_in_a_private_namespace() -> None:
    setup = (
        "ip link set lo up && ip addr add 10.9.9.9/32 dev lo && ip route add prohibit 10.9.9.10/32"
    )
    command = ["unshare", "-rn", "sh", "-c", f'{setup} && exec "$0" -c "$1"']
    result = subprocess.run(
        [*command, sys.executable, NAMESPACE_SCRIPT],
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 4,
    )
    if result.returncode != 0 and "unshare" in result.stderr and not result.stdout:
        pytest.skip(f"no private network namespace here: {result.stderr.strip()}")
    assert result.returncode == 0, result.stderr
    cases = json.loads(result.stdout)
    assert cases["reachable"] == []
    [[kind, message]] = cases["refused"]  # 127.0.0.1 is not an address others use
    assert kind == "REFUSED"
    assert message.startswith("Others cannot reach this room on 10.9.9.9:")
    assert "the connection was refused" in message
    [[kind, message]] = cases["dropped"]
    assert kind == "TIMED_OUT"
    port = cases["full"]
    assert message == (
        f"Others cannot reach this room on 10.9.9.9:{port}: the connection timed out "
        f"(a firewall may be blocking port {port}; allow desktopchat through it)."
    )
    [[kind, message]] = cases["unreachable"]
    assert kind == "UNREACHABLE"
    assert "check the network connection" in message
