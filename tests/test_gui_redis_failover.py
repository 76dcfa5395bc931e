"""The window moves with its room: a room on two servers (real redis-server), the
window joined through a link with both addresses, its server killed (SIGKILL) —
the window carries on on the other server and shows what was said meanwhile,
once, in order.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest
from rediskit import RedisProcess, redis_server, shared_server, spawn  # noqa: F401
from test_redis_room import joined
from waiting import wait_until

from desktopchat.gui.app import ChatApp
from desktopchat.protocol import events as ev

pytestmark = [pytest.mark.gui, pytest.mark.timeout(90)]


def transcript(app: ChatApp) -> str:
    app.transcript.flush()
    return str(app.transcript.text.get("1.0", "end"))


def test_the_window_moves_to_the_rooms_other_server_and_misses_nothing(
    app: ChatApp,
    redis_server: RedisProcess,  # noqa: F811
    make_client: Any,
    tmp_path: Path,
) -> None:
    proc, port = spawn(redis_server.url, "r", tmp_path)
    survivor = shared_server(redis_server.url, "r", rate_limits=None)
    try:
        app.join("127.0.0.1", port, "ann", alternatives=(survivor.address,))
        wait_until(lambda: app.online, what="ann in the room", root=app.root)
        bob = joined(make_client, survivor, "bob")
        bob.client.send("before")
        wait_until(lambda: "before" in transcript(app), what="the first line", root=app.root)

        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for i in range(3):
            bob.client.send(f"while away {i}")
        client = app.presenter.client
        assert client is not None
        wait_until(
            lambda: client.port == survivor.address[1] and app.online,
            what="the window on the other server",
            root=app.root,
        )
        wait_until(lambda: "while away 2" in transcript(app), what="what bob said", root=app.root)
        text = transcript(app)
        positions = [text.index(f"while away {i}") for i in range(3)]
        assert positions == sorted(positions)
        assert all(text.count(f"while away {i}") == 1 for i in range(3))
        assert text.count("before") == 1
        app.presenter.submit("back")
        bob.wait(lambda e: isinstance(e, ev.Message) and e.text == "back", "ann's line at bob")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        survivor.stop()
