"""Finding 4 of issue 8 in the real window: a flood cannot make it fall behind without end.

The window (real Tk under Xvfb) is in a room without rate limits; a raw
member floods it while the Tk thread is busy elsewhere (the test does not
turn the event loop). The client thread keeps reading, the window's queue
stays bounded, and once the loop turns the window shows one "N messages
skipped" line and the newest messages, and is still in the room.
"""

from __future__ import annotations

import queue
import threading

import pytest
from guitools import transcript
from peer import Peer
from waiting import wait_until

from desktopchat import protocol
from desktopchat.gui.app import ChatApp
from desktopchat.gui.lines import Kind, Line
from desktopchat.gui.presenter import Presenter
from desktopchat.protocol import events as ev
from desktopchat.server import RoomServer

pytestmark = pytest.mark.gui

CAP = 1000  # chat events the window's queue may hold in this test
FLOOD = 20_000


def queued(q: queue.Queue[ev.Event]) -> list[ev.Event]:
    """What waits in the window's queue right now (read under its lock)."""
    with q.mutex:
        return list(q.queue)


def test_a_flood_while_the_window_is_busy_is_skipped_in_one_line_and_the_window_stays(
    app: ChatApp, unlimited_room: RoomServer
) -> None:
    room = unlimited_room
    app.join(*room.address, "ann")
    wait_until(lambda: app.presenter.online, what="in the room", root=app.root)
    client = app.presenter.client
    assert client is not None
    events = client.events
    events.max_chat = CAP  # type: ignore[attr-defined]
    with Peer.joined(room.address, "bob") as bob:
        wait_until(lambda: "bob" in app.userlist.names(), what="bob joined", root=app.root)
        payload = b"".join(protocol.encode_frame(f"flood {i}") for i in range(FLOOD))
        payload += protocol.encode_frame("/nick bob2")  # state, after the flood
        threading.Thread(target=bob.sock.sendall, args=(payload,), daemon=True).start()
        # The Tk loop does not turn: everything the client thread reads stays queued.
        wait_until(
            lambda: any(isinstance(e, ev.NickChange) for e in queued(events)),
            timeout=30,
            what="the flood and the rename read by the client thread",
        )
        waiting = queued(events)
        chat = [e for e in waiting if isinstance(e, ev.Message)]
        assert len(chat) <= CAP, f"{len(chat)} messages wait for the window"
        skipped = [e.count for e in waiting if isinstance(e, ev.Skipped)]
        assert len(skipped) == 1 and skipped[0] + len(chat) == FLOOD
        assert [e.text for e in chat] == [f"flood {i}" for i in range(skipped[0], FLOOD)]

        wait_until(lambda: "bob2" in app.userlist.names(), what="the rename", root=app.root)
        lines = transcript(app).splitlines()
        notes = [i for i, line in enumerate(lines) if "skipped" in line]
        assert len(notes) == 1, notes
        assert (
            f"{skipped[0]:,} messages skipped: the window fell behind the room" in (lines[notes[0]])
        )
        shown = [line.rsplit(" ", 1)[1] for line in lines if "bob: flood " in line]
        assert shown == [str(i) for i in range(skipped[0], FLOOD)]
        assert all(i > notes[0] for i, line in enumerate(lines) if "bob: flood " in line)
        assert app.presenter.online and "Disconnected" not in transcript(app)
        bob.send("after the flood")
        wait_until(lambda: "bob2: after the flood" in transcript(app), root=app.root)


class _Lines:
    """Just enough of a View to see what the presenter shows."""

    def __init__(self) -> None:
        self.lines: list[Line] = []

    def show(self, line: Line) -> None:
        self.lines.append(line)

    def __getattr__(self, name: str) -> object:
        return lambda *args, **kwargs: None


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (1, "1 message skipped: the window fell behind the room"),
        (12_345, "12,345 messages skipped: the window fell behind the room"),
    ],
)
def test_the_presenter_says_how_many_were_skipped_once(count: int, text: str) -> None:
    view = _Lines()
    presenter = Presenter(view)  # type: ignore[arg-type]
    presenter.handle(ev.Skipped(count))
    assert [(line.kind, line.text) for line in view.lines] == [(Kind.EVENT, text)]
