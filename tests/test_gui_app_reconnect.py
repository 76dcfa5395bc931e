"""The chat window across network blips: what was missed shows once, own lines settle.

The window joins a real RoomServer through :class:`~cutproxy.CutProxy`, which
cuts the connection like a network blip; bob is a raw-socket participant
connected directly. On a reconnect the window resumes from the last room id
it saw (ids, never content: docs/ARCHITECTURE.md), so every line shows once,
what was said meanwhile shows under one "missed while disconnected" marker,
and a line typed while away shows "(queued)" until the room takes it. The
rules themselves are tested without a display in test_presenter.py; here, that
the real window draws them.
"""

from __future__ import annotations

import pytest
from cutproxy import CutProxy
from guitools import press_return, transcript, type_text
from peer import Peer
from waiting import wait_until

from desktopchat.gui.app import ChatApp
from desktopchat.gui.lines import SendState
from desktopchat.protocol import events
from desktopchat.server import RoomServer

pytestmark = pytest.mark.gui

MISSED = "— missed while disconnected —"


def say(bob: Peer, *texts: str) -> None:
    """bob says ``texts``; returns once the room has them (in its history)."""
    for text in texts:
        bob.send(text)
    bob.send("/who")
    bob.read_until(events.USERS)


def send_with_enter(chat: ChatApp, text: str) -> None:
    type_text(chat.input, text)
    press_return(chat.input)


def line_with(chat: ChatApp, needle: str) -> str:
    """The one transcript line holding ``needle``, without its [HH:MM] stamp."""
    found = [line for line in transcript(chat).splitlines() if needle in line]
    assert len(found) == 1, (needle, transcript(chat))
    return found[0].split("] ", 1)[1]


def go_offline(chat: ChatApp, proxy: CutProxy, bob: Peer) -> None:
    """Cut ann's connection and keep the network down (bob sees her leave)."""
    proxy.accepting = False
    proxy.cut(keep_ghost=False)
    assert bob.read_until(events.LEAVE) == "ann"
    wait_until(lambda: not chat.online, what="offline", root=chat.root)


def come_back(chat: ChatApp, proxy: CutProxy) -> None:
    """Let the network up again and wait for the window's "Reconnected." line."""
    before = transcript(chat).count("Reconnected.")
    proxy.accepting = True
    wait_until(
        lambda: transcript(chat).count("Reconnected.") > before,
        timeout=15,
        what="reconnected",
        root=chat.root,
    )


def test_reconnect_shows_only_the_lines_missed_during_the_outage(
    app: ChatApp, room: RoomServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with CutProxy(room.address) as proxy, Peer.joined(room.address, "bob") as bob:
        bob.read_until(events.USERS)
        say(bob, "said before ann came")
        app.join(*proxy.address, "ann")
        wait_until(lambda: "said before ann came" in transcript(app), what="history", root=app.root)
        text = transcript(app)  # the first visit shows recent history under its own marker
        assert text.index("— earlier messages —") < text.index("bob: said before ann came")
        bob.send("hello ann")
        wait_until(lambda: "bob: hello ann" in transcript(app), what="live line", root=app.root)
        send_with_enter(app, "hi bob")
        assert bob.read_until("ann") == "hi bob"
        wait_until(lambda: "ann: hi bob\n" in transcript(app), what="hi bob acked", root=app.root)

        # 1. bob talks while ann is away: shown once, under one marker, after "Reconnected."
        go_offline(app, proxy, bob)
        say(bob, "while you were away")
        come_back(app, proxy)
        wait_until(
            lambda: "while you were away" in transcript(app), what="missed line", root=app.root
        )
        text = transcript(app)
        for line in ("said before ann came", "bob: hello ann", "ann: hi bob"):
            assert text.count(line) == 1, (line, text)
        assert text.count("while you were away") == 1
        assert text.count(MISSED) == 1
        assert text.count("Disconnected:") == 1  # one line per outage, however many attempts
        assert text.index("Reconnected.") < text.index(MISSED) < text.index("while you were away")

        # 2. ann types while away: "(queued)" until the room is back, then "(sending…)",
        # then no marker once the room took it (after the replay of what bob said).
        go_offline(app, proxy, bob)
        states: list[str] = []
        mark = app.transcript.mark

        def recording_mark(cid: int, state: SendState, reason: str = "") -> None:
            mark(cid, state, reason)
            states.append(line_with(app, "typed while away"))

        monkeypatch.setattr(app.transcript, "mark", recording_mark)
        send_with_enter(app, "typed while away")
        assert app.input.get_text() == ""
        assert line_with(app, "typed while away") == "ann: typed while away  (queued)"
        say(bob, "second absence")
        come_back(app, proxy)
        assert bob.read_until("ann", timeout=15) == "typed while away"
        wait_until(
            lambda: "ann: typed while away\n" in transcript(app), what="settled", root=app.root
        )
        wait_until(lambda: "second absence" in transcript(app), what="missed line", root=app.root)
        assert states == ["ann: typed while away  (sending…)", "ann: typed while away"]
        text = transcript(app)
        assert text.count(MISSED) == 2
        second = text.rindex(MISSED)
        assert text.index("typed while away") < second < text.index("bob: second absence")

        # 3. Nothing said meanwhile: no marker, and nothing shown again.
        go_offline(app, proxy, bob)
        come_back(app, proxy)
        say(bob, "live again")
        wait_until(lambda: "bob: live again" in transcript(app), what="live again", root=app.root)
        text = transcript(app)
        for line in (
            "said before ann came",
            "bob: hello ann",
            "ann: hi bob",
            "while you were away",
            "second absence",
            "typed while away",
        ):
            assert text.count(line) == 1, (line, text)
        assert text.count(MISSED) == 2
        assert (text.count("Disconnected:"), text.count("Reconnected.")) == (3, 3)
        assert "(queued)" not in text and "(sending…)" not in text


def test_a_line_queued_while_offline_is_marked_not_sent_when_leaving(
    app: ChatApp, room: RoomServer
) -> None:
    with CutProxy(room.address) as proxy, Peer.joined(room.address, "bob") as bob:
        app.join(*proxy.address, "ann")
        wait_until(lambda: app.online, what="ann in the room", root=app.root)
        go_offline(app, proxy, bob)
        send_with_enter(app, "never sent")
        assert line_with(app, "never sent") == "ann: never sent  (queued)"
        app.leave_room()
        assert line_with(app, "never sent") == "ann: never sent  (not sent: you left the room)"
        assert "You left the room." in transcript(app)
        assert app.client is None
