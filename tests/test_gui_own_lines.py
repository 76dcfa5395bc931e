"""Own lines' states and the room's times, in the real Transcript of a real window:
the state marker drawn and rewritten, the view following a wrapping marker, replayed and
live lines at the room's time, a private message to nobody marked not sent.
"""

from __future__ import annotations

import time

import pytest
from guitools import transcript
from test_gui_app import bob_line, join, private_tab, send_with_enter
from waiting import wait_until

from desktopchat.gui.app import ChatApp
from desktopchat.gui.lines import Kind, Line, SendState
from desktopchat.gui.transcript import Transcript
from desktopchat.protocol import events as ev
from desktopchat.server import RoomServer

pytestmark = pytest.mark.gui


def line_with(chat: ChatApp, needle: str) -> str:
    """The one transcript line that holds ``needle``."""
    found = [line for line in transcript(chat).splitlines() if needle in line]
    assert len(found) == 1, (needle, transcript(chat))
    return found[0]


def stamp(when: float) -> str:
    return time.strftime("[%H:%M]", time.localtime(when))


def test_own_line_state_marker_is_drawn_and_rewritten_by_mark(app: ChatApp) -> None:
    t = app.transcript
    now = time.time()
    at = stamp(now)
    t.show(Line(Kind.MESSAGE, "hello", now, "ann", own=True, cid=1, state=SendState.QUEUED))
    t.show(
        Line(Kind.PRIVATE, "psst", now, "ann", "carol", own=True, cid=2, state=SendState.PENDING)
    )
    t.show(Line(Kind.ACTION, "waves", now, "ann", own=True, cid=3, state=SendState.QUEUED))
    t.show(Line(Kind.MESSAGE, "two\nlines", now, "ann", own=True, cid=4, state=SendState.PENDING))
    bob_line(app, "after them", now)
    t.flush()
    assert line_with(app, "hello") == f"{at} ann: hello  (queued)"
    assert line_with(app, "psst") == f"{at} → carol (private): psst  (sending…)"
    assert line_with(app, "waves") == f"{at} * ann waves  (queued)"
    assert line_with(app, "lines") == "        │ lines  (sending…)"  # a further line, marked

    t.mark(1, SendState.PENDING)  # the room is back: it is being sent
    assert line_with(app, "hello") == f"{at} ann: hello  (sending…)"
    t.mark(1, SendState.SENT)  # acknowledged: no marker at all
    assert line_with(app, "hello") == f"{at} ann: hello"
    t.mark(2, SendState.FAILED, "No such user: carol.")
    assert line_with(app, "psst") == (
        f"{at} → carol (private): psst  (not sent: No such user: carol.)"
    )
    t.mark(3, SendState.FAILED)
    assert line_with(app, "waves") == f"{at} * ann waves  (not sent)"
    t.mark(4, SendState.SENT)
    t.mark(99, SendState.SENT)  # no such line: nothing happens
    assert transcript(app).splitlines() == [
        f"{at} ann: hello",
        f"{at} → carol (private): psst  (not sent: No such user: carol.)",
        f"{at} * ann waves  (not sent)",
        f"{at} ann: two",
        "        │ lines",
        f"{at} bob: after them",
    ]

    # Grey while waiting, red once refused; the line's band runs under the marker.
    text = t.text
    failed = text.search("(not sent: No such user", "1.0")
    assert {"notsent", "m2", "private", "line"} <= set(text.tag_names(failed))
    assert {"notsent", "m3", "own"} <= set(text.tag_names(text.search("(not sent)", "1.0")))
    t.show(Line(Kind.MESSAGE, "later", now, "ann", own=True, cid=5, state=SendState.QUEUED))
    t.flush()
    assert {"queued", "m5", "own"} <= set(text.tag_names(text.search("(queued)", "1.0")))


def test_mark_draws_a_line_still_waiting_for_the_flush_first(app: ChatApp) -> None:
    t = app.transcript
    t.show(Line(Kind.MESSAGE, "quick", time.time(), "ann", own=True, cid=1, state=SendState.QUEUED))
    t.mark(1, SendState.SENT)  # acknowledged before the pump's batch ended
    assert line_with(app, "quick").endswith("] ann: quick")


def display_lines(t: Transcript) -> int:
    counted = t.text.count("1.0", "end", "displaylines")
    assert counted is not None
    return int(counted[0])


def test_a_marker_that_wraps_the_last_line_keeps_the_view_following(app: ChatApp) -> None:
    t = app.transcript
    for i in range(100):
        bob_line(app, f"line {i}")
    now = time.time()
    own = Line(Kind.PRIVATE, "hi", now, "ann", "carol", own=True, cid=1, state=SendState.PENDING)
    t.show(own)
    t.flush()
    app.root.update()
    assert t.at_bottom()
    before = display_lines(t)
    t.mark(1, SendState.FAILED, "a reason long enough to wrap the line " * 6)
    app.root.update()
    assert display_lines(t) > before  # the last line wrapped further
    assert t.at_bottom(), "the reason went below the view"
    bob_line(app, "next")
    t.flush()
    app.root.update()
    assert t.at_bottom(), "the view stopped following new lines"

    # Someone reading older lines is not moved by a marker either.
    t.show(Line(Kind.MESSAGE, "hi", now, "ann", own=True, cid=2, state=SendState.PENDING))
    t.flush()
    t.text.yview_moveto(0.0)
    app.root.update()
    t.mark(2, SendState.FAILED, "a reason long enough to wrap the line " * 6)
    app.root.update()
    assert t.text.yview()[0] == 0.0


def test_replayed_and_live_lines_show_the_rooms_time_not_the_time_they_are_shown(
    app: ChatApp,
) -> None:
    now = time.time()
    said = now - 2 * 3600  # two hours ago: another HH:MM than now
    assert stamp(said) != stamp(now)
    app.handle_event(ev.Connected("127.0.0.1", 4000, "ann", version=2, epoch="e1"))
    earlier = (
        ev.Message("from earlier", sender="bob", id=7, time=said),
        ev.Action("waved", sender="carol", id=8, time=said + 60),
    )
    app.handle_event(ev.Replay(earlier))
    app.handle_event(ev.Message("live", sender="bob", id=9, time=said + 120))
    assert line_with(app, "from earlier") == f"{stamp(said)} bob: from earlier"
    assert line_with(app, "waved") == f"{stamp(said + 60)} * carol waved"
    assert line_with(app, "live") == f"{stamp(said + 120)} bob: live"
    # The marker is a divider of the window's own: centred, with no time at all.
    assert line_with(app, "— earlier messages —") == "— earlier messages —"
    index = app.transcript.text.search("— earlier messages —", "1.0")
    assert "markerline" in app.transcript.text.tag_names(index)

    # A reconnect: what was missed shows under one marker, with its own time,
    # and what was shown already (same run of the room) is not shown again.
    app.handle_event(ev.Disconnected("connection reset"))
    app.handle_event(ev.Connected("127.0.0.1", 4000, "ann", version=2, resumed=True, epoch="e1"))
    missed = ev.Message("missed one", sender="bob", id=10, time=said + 180)
    app.handle_event(ev.Replay((earlier[1], missed), resumed=True))
    text = transcript(app)
    assert line_with(app, "missed one") == f"{stamp(said + 180)} bob: missed one"
    assert text.count("waved") == 1 and text.count("— missed while disconnected —") == 1
    assert text.index("Reconnected.") < text.index("— missed while") < text.index("missed one")


def test_private_message_to_nobody_is_marked_not_sent_with_the_rooms_reason(
    app: ChatApp, room: RoomServer
) -> None:
    join(app, room)
    send_with_enter(app, "/msg carol are you there?")
    assert app.input.get_text() == ""
    tab = private_tab(app, "carol")  # the line shows in carol's tab
    wait_until(lambda: "(not sent:" in tab.get_text(), what="the refusal", root=app.root)
    assert (
        tab.get_text()
        .strip()
        .endswith("] → carol (private): are you there?  (not sent: No such user: carol.)")
    )
    assert tab.get_text().count("No such user") == 1  # on the line, not a second line
