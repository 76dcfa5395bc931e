"""The chat window across network blips: history replayed on reconnect is not shown twice.

The window joins a real RoomServer through :class:`~cutproxy.CutProxy`, which
cuts the connection like a network blip (the room replays its history to the
reconnecting client); bob is a raw-socket participant connected directly.
"""

from __future__ import annotations

import pytest
from cutproxy import CutProxy
from desktopchat.gui.seen import SeenLines, line_of
from guitools import press_return, transcript, type_text
from peer import Peer
from waiting import wait_until

from desktopchat.gui.app import ChatApp
from desktopchat.protocol import events
from desktopchat.protocol.events import Action, ChatMessage
from desktopchat.server import RoomServer

pytestmark = pytest.mark.gui


def say(bob: Peer, *texts: str) -> None:
    """bob says ``texts``; returns once the room has them (in its history)."""
    for text in texts:
        bob.send(text)
    bob.send("/who")
    bob.read_until(events.USERS)


def welcomes(chat: ChatApp) -> int:
    return transcript(chat).count("Welcome to the room, ann!")


def blip(chat: ChatApp, proxy: CutProxy, bob: Peer, *said_meanwhile: str) -> None:
    """Cut ann's connection; bob says ``said_meanwhile`` while she is away; let her back."""
    before = welcomes(chat)
    proxy.accepting = False
    proxy.cut(keep_ghost=False)
    assert bob.read_until(events.LEAVE) == "ann"
    wait_until(lambda: "Disconnected" in transcript(chat), what="disconnected", root=chat.root)
    say(bob, *said_meanwhile)
    proxy.accepting = True
    wait_until(lambda: welcomes(chat) > before, timeout=15, what="welcomed again", root=chat.root)


def test_reconnect_shows_only_the_history_lines_missed_during_the_outage(
    app: ChatApp, room: RoomServer
) -> None:
    with CutProxy(room.address) as proxy, Peer.joined(room.address, "bob") as bob:
        bob.read_until(events.USERS)
        say(bob, "said before ann came")
        app.join(*proxy.address, "ann")
        wait_until(lambda: "said before ann came" in transcript(app), what="history", root=app.root)
        assert "— earlier messages —" in transcript(app)  # the first visit shows history
        bob.send("hello ann")
        wait_until(lambda: "bob: hello ann" in transcript(app), what="live line", root=app.root)
        type_text(app.input, "hi bob")
        press_return(app.input)
        assert bob.read_until("ann") == "hi bob"

        blip(app, proxy, bob, "while you were away")
        wait_until(
            lambda: "while you were away" in transcript(app), what="missed line", root=app.root
        )
        text = transcript(app)
        for line in ("said before ann came", "bob: hello ann", "ann: hi bob"):
            assert text.count(line) == 1, (line, text)
        assert text.count("while you were away") == 1
        assert "— missed while disconnected —" in text

        # Typed while away: it reaches the room after the replay, and the next
        # reconnect's replay (which now ends with it) shows neither it nor
        # what bob said before it again.
        proxy.accepting = False
        proxy.cut(keep_ghost=False)
        assert bob.read_until(events.LEAVE) == "ann"
        wait_until(lambda: not app.online, what="offline", root=app.root)
        type_text(app.input, "typed while away")
        press_return(app.input)
        say(bob, "second absence")
        proxy.accepting = True
        assert bob.read_until("ann", timeout=15) == "typed while away"
        wait_until(lambda: "second absence" in transcript(app), what="missed line", root=app.root)

        blip(app, proxy, bob)
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


# --- the matching rules, without a window ----------------------------------------------


def test_seen_lines_match_the_newest_shown_line_from_the_end_of_the_replay() -> None:
    seen = SeenLines()
    replay = (ChatMessage("bob", "ok"), Action("Ann", "waves"), ChatMessage("bob", "ok"))
    assert seen.new_from(replay) == 0  # first visit: everything is new
    seen.shown(line_of("say", "bob", "ok"))
    assert seen.new_from(replay) == 3  # the latest occurrence counts
    seen.shown(line_of("me", "ann", "waves"))  # names compare case-insensitively
    assert seen.new_from(replay) == 2
    seen.shown(line_of("say", "bob", "never replayed"))  # e.g. lost in the drop
    assert seen.new_from(replay) == 2  # falls back to the next newest shown line
    assert SeenLines().new_from(()) == 0


def test_seen_lines_put_unsent_lines_after_the_replay_that_precedes_them() -> None:
    seen = SeenLines()
    seen.shown(line_of("say", "bob", "a"))
    seen.typed_unsent(line_of("say", "ann", "queued"))
    first = (ChatMessage("bob", "a"), ChatMessage("bob", "missed"))
    start = seen.new_from(first)
    assert start == 1
    seen.replayed(first, start)
    # The room now holds: a, missed, queued (sent after the replay).
    second = (*first, ChatMessage("ann", "queued"))
    assert seen.new_from(second) == 3
