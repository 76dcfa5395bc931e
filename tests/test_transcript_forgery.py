"""Issue 8, finding 1: one member's message cannot erase the scrollback or forge a line.

A real RoomServer on 127.0.0.1, the real window (ChatApp, Tk under Xvfb) and
raw-socket members (Peer): eve sends what a hostile member would, and the
window's transcript -- on screen and as Save transcript writes it -- must
still show every earlier line, and no row that starts like an entry of
someone else (``[hh:mm] alice:``) or of the room (``[hh:mm] bob joined``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from guitools import transcript
from peer import Peer
from relay import Relay
from waiting import wait_until

from desktopchat.gui.app import ChatApp
from desktopchat.gui.lines import Kind, Line
from desktopchat.server import RoomServer

pytestmark = pytest.mark.gui

#: What starts an entry in the transcript: a time stamp at the left edge.
ENTRY = re.compile(r"\[\d\d:\d\d\] ")
FORGED = "[10:20] alice: bob, new plan - send the room password to eve"


def join(chat: ChatApp, server: RoomServer | Relay, name: str = "ann") -> None:
    host, port = server.address
    chat.join(host, port, name)
    wait_until(lambda: chat.status.startswith("connected"), what="connected", root=chat.root)


def shown(chat: ChatApp, needle: str) -> None:
    wait_until(lambda: needle in transcript(chat), what=repr(needle), root=chat.root)


def entry_rows(text: str) -> list[str]:
    """The rows that start an entry (a time stamp at the very start).

    Split as an editor splits a saved file: at CR, NEL and the Unicode separators too.
    """
    return [row for row in text.splitlines() if ENTRY.match(row)]


def widget_rows(chat: ChatApp) -> list[tuple[str, set[str]]]:
    """Every row of the Text with the tags of its first character."""
    t = chat.transcript.text
    last = int(t.index("end-1c").split(".")[0])
    return [(t.get(f"{n}.0", f"{n}.end"), set(t.tag_names(f"{n}.0"))) for n in range(1, last)]


def test_a_message_of_5000_newlines_neither_erases_the_scrollback_nor_forges_a_line(
    app: ChatApp, room: RoomServer
) -> None:
    join(app, room)
    with Peer.joined(room.address, "alice") as alice, Peer.joined(room.address, "eve") as eve:
        alice.send("morning all")
        shown(app, "alice: morning all")
        eve.send("\n" * 5000 + FORGED)
        eve.send("done")
        shown(app, "eve: done")
    text = transcript(app)
    assert "alice: morning all" in text, "eve's one message pushed alice's line out"
    assert "eve: \n" in text, "eve's own prefix was pushed out"
    starts = [row.split(" ", 1)[1] for row in entry_rows(text)]
    assert not [s for s in starts if s.startswith("alice: bob")], starts
    # The Text itself: a row that does not start an entry is marked as a further line.
    for row, tags in widget_rows(app):
        if not ENTRY.match(row) and "markerline" not in tags:
            assert row.startswith("│ ") and "cont" in tags, (row, tags)


@pytest.mark.parametrize(
    "message",
    [
        f"hi\n{FORGED}\n[10:21] bob joined",
        f"/me waves\n{FORGED}\n[10:21] bob joined",
        "hi\r\n" + FORGED,
        "hi\u2028" + FORGED + "\x85[10:21] bob joined\r[10:22] carol left",
    ],
    ids=["newlines", "me", "crlf", "other-breaks"],
)
def test_a_multi_line_message_cannot_pass_for_another_members_or_the_rooms_line(
    app: ChatApp, room: RoomServer, tmp_path: Path, message: str
) -> None:
    join(app, room)
    with Peer.joined(room.address, "eve") as eve:
        eve.send(message)
        eve.send("done")
        shown(app, "eve: done")
    # Save transcript writes what the window shows: a further line is indented and marked.
    out = tmp_path / "saved.txt"
    shown_before = transcript(app)
    assert app.write_transcript(out)
    saved = out.read_bytes().decode("utf-8")  # no newline translation
    assert saved == shown_before
    starts = [ENTRY.sub("", row, count=1) for row in entry_rows(saved)]
    assert not [s for s in starts if s.startswith(("alice:", "bob joined", "carol left"))], saved
    forged = [row for row in saved.splitlines() if "alice: bob, new plan" in row]
    assert forged, saved
    for row in forged:  # a further line of eve's, or eve's own row with the breaks escaped
        own_row = ENTRY.match(row) and ENTRY.sub("", row, count=1).startswith(("eve: ", "* eve "))
        assert row.startswith("        │ ") or own_row, row


def test_a_name_from_a_plain_relay_cannot_hold_a_line_break(app: ChatApp) -> None:
    # The tutorial's server relays whatever a member calls itself, newlines included.
    with Relay() as relay:
        join(app, relay)
        with Peer(relay.address, f"eve\n{FORGED}") as eve:
            eve.send("hello from eve")
            shown(app, "hello from eve")
    text = transcript(app)
    starts = [ENTRY.sub("", row, count=1) for row in entry_rows(text)]
    assert not [s for s in starts if s.startswith("alice:")], text
    assert f"eve\\n{FORGED}: hello from eve" in text  # one row, the break as an escape
    # The user list escapes it too (shortened to its width; the tooltip has it whole).
    whole, row = app.userlist.shown_rows()[1]
    assert whole == f"eve\\n{FORGED}" and "\n" not in row and row.startswith("eve\\n")


def test_a_name_ending_in_a_colon_cannot_make_its_join_read_as_a_message(
    app: ChatApp, room: RoomServer, tmp_path: Path
) -> None:
    join(app, room)
    with Peer.joined(room.address, "alice"), Peer.joined(room.address, "alice:"):
        shown(app, "alice: joined")
    out = tmp_path / "saved.txt"
    assert app.write_transcript(out)
    starts = [ENTRY.sub("", row, count=1) for row in entry_rows(out.read_text("utf-8"))]
    assert "• alice: joined" in starts and not [s for s in starts if s.startswith("alice:")]


def test_the_sender_is_the_events_never_read_from_the_text(app: ChatApp, room: RoomServer) -> None:
    join(app, room)
    with Peer.joined(room.address, "eve") as eve:
        eve.send("alice: I am alice")
        eve.send("/me alice: waves")
        shown(app, "alice: waves")
    rows = [ENTRY.sub("", row, count=1) for row in entry_rows(transcript(app))]
    assert "eve: alice: I am alice" in rows and "* eve alice: waves" in rows, rows
    t = app.transcript.text
    row = t.search("eve: alice: I am", "1.0")
    assert "name" in t.tag_names(row)  # "eve", drawn as the name
    assert "name" not in t.tag_names(f"{row} + 5c")  # "alice", drawn as text


def test_the_scrollback_cap_counts_messages_not_rows(app: ChatApp, room: RoomServer) -> None:
    app.transcript.max_entries = 10
    join(app, room)
    with Peer.joined(room.address, "alice") as alice, Peer.joined(room.address, "eve") as eve:
        for i in range(3):
            alice.send(f"keep {i}")
        shown(app, "alice: keep 2")
        for i in range(3):
            eve.send(f"long {i}\n" + "\n".join(f"row {n}" for n in range(100)))
        shown(app, "eve: long 2")
    text = transcript(app)
    assert all(f"alice: keep {i}" in text for i in range(3)), text
    assert app.transcript.entry_count() <= 10


def test_show_more_by_a_real_click_expands_the_message_in_place(app: ChatApp) -> None:
    t = app.transcript
    t.show(Line(Kind.MESSAGE, "\n".join(f"row {n}" for n in range(30)), 0.0, "bob"))
    t.show(Line(Kind.MESSAGE, "after", 0.0, "carol"))
    t.flush()
    app.root.update()
    assert "row 19" in transcript(app) and "row 20" not in transcript(app)
    link = t.text.tag_ranges("more")
    t.text.see(link[0])
    app.root.update()
    box = t.text.bbox(link[0])
    assert box is not None
    x, y, _, height = box
    t.text.event_generate("<Motion>", x=x + 3, y=y + height // 2)
    t.text.event_generate("<Button-1>", x=x + 3, y=y + height // 2)
    t.text.event_generate("<ButtonRelease-1>", x=x + 3, y=y + height // 2)
    wait_until(lambda: "row 29" in transcript(app), what="expanded", root=app.root)
    text = transcript(app)
    assert "show more" not in text
    assert text.index("row 29") < text.index("carol: after"), "not expanded in place"
