"""desktopchat.net.lan: which addresses others use to reach a room hosted here."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import pytest
from waiting import TIMEOUT

from desktopchat.net.lan import is_loopback, join_addresses, join_endpoints, lan_ipv4_addresses


def test_bound_to_one_address_that_one() -> None:
    assert join_endpoints(("192.0.2.7", 4000)) == [("192.0.2.7", 4000)]
    assert join_addresses(("::1", 4000)) == ["[::1]:4000"]


def test_all_interfaces_means_every_lan_address_or_loopback() -> None:
    endpoints = join_endpoints(("0.0.0.0", 4000))
    assert endpoints == [(a, 4000) for a in lan_ipv4_addresses()] or endpoints == [
        ("127.0.0.1", 4000)
    ]
    assert not any(host.startswith("127.") for host in lan_ipv4_addresses())


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("LocalHost", True),
        ("192.168.1.23", False),
        ("chat.lan", False),
        ("fe80::1", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


SCRIPT = textwrap.dedent(
    """
    import json
    from desktopchat.net.lan import join_endpoints
    print(json.dumps(join_endpoints(("0.0.0.0", 4000))))
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux interface list")
@pytest.mark.skipif(not shutil.which("unshare") or not shutil.which("ip"), reason="no unshare")
def test_every_address_of_an_interface_in_a_private_namespace() -> None:
    # Two addresses on one interface: both are listed (SIOCGIFADDR gives only
    # the first), in numeric order; nothing leaves the namespace.
    setup = "ip link set lo up && ip addr add 10.9.9.20/32 dev lo && ip addr add 10.9.9.3/32 dev lo"
    result = subprocess.run(
        ["unshare", "-rn", "sh", "-c", f'{setup} && exec "$0" -c "$1"', sys.executable, SCRIPT],
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 4,
    )
    if result.returncode != 0 and "unshare" in result.stderr and not result.stdout:
        pytest.skip(f"no private network namespace here: {result.stderr.strip()}")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [["10.9.9.3", 4000], ["10.9.9.20", 4000]]
