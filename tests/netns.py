"""Run a Python script inside a private network namespace (for discovery tests).

Multicast (mDNS) must never leave this machine's real interfaces during a
test, so every test that runs zeroconf does it in a child process started with
``unshare -rn`` (a new user and network namespace, no privileges needed): it
has only its own loopback, brought up with multicast on, and whatever it sends
stays there. zeroconf works on that loopback; no dummy interface is needed.

A Tk window works inside the namespace too: the X display is reached through
its socket file in /tmp/.X11-unix (abstract sockets belong to the network
namespace, the file does not), so DISPLAY is passed through unchanged.

:func:`run_in_namespace` skips the test where namespaces are unavailable
(no ``unshare``/``ip``, or user namespaces disabled), unless
``DESKTOPCHAT_REQUIRE_NETNS`` is set: then it fails, as CI wants.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

#: What the namespace needs before the script runs: loopback up, multicast on.
SETUP = "ip link set lo up && ip link set lo multicast on"


def _unavailable(reason: str) -> None:
    if os.environ.get("DESKTOPCHAT_REQUIRE_NETNS"):
        pytest.fail(f"no private network namespace: {reason}", pytrace=False)
    pytest.skip(f"no private network namespace here: {reason}")


def run_in_namespace(script: str, *args: str, timeout: float = 60) -> dict[str, Any]:
    """Run ``tests/<script>`` in a fresh network namespace; return the JSON it printed last.

    The script's stderr is shown if it fails or prints no JSON.
    """
    if not shutil.which("unshare") or not shutil.which("ip"):
        _unavailable("unshare or ip is missing (packages util-linux, iproute2)")
    env = dict(os.environ)
    env.pop("DESKTOPCHAT_NO_DISCOVERY", None)  # inside the namespace, multicast stays in
    env["PYTHONPATH"] = os.pathsep.join(
        [str(TESTS), str(ROOT), *filter(None, [env.get("PYTHONPATH")])]
    )
    command = [
        "unshare",
        "-rn",
        "sh",
        "-c",
        f'{SETUP} && exec "$@"',
        "sh",
        sys.executable,
        str(TESTS / script),
        *args,
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT
    )
    if result.returncode != 0 and not result.stdout and "unshare" in result.stderr:
        _unavailable(result.stderr.strip())
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        pytest.fail(
            f"{script} exited {result.returncode}\nstdout:\n{result.stdout}\n"
            f"stderr:\n{result.stderr}",
            pytrace=False,
        )
    report: dict[str, Any] = json.loads(lines[-1])
    report["stderr"] = result.stderr
    return report
