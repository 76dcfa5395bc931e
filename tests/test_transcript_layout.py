"""The real Transcript (Tk under Xvfb): long lines, "show more", the entry cap, markers.

Issue 8, finding 8 (second half): a 65,000-character line without spaces
cost the window half a second per line to lay out; now no row in the Text is
longer than render.FOLD characters, before and after "show more".
"""

from __future__ import annotations

import pytest
from guitools import transcript

from desktopchat.gui import render as rd
from desktopchat.gui import theme
from desktopchat.gui import transcript as transcript_module
from desktopchat.gui.app import ChatApp
from desktopchat.gui.lines import Kind, Line, SendState
from desktopchat.gui.render import FOLD, GUTTER, PREVIEW_LINES
from desktopchat.gui.transcript import SAVE_INDENT, Transcript

pytestmark = pytest.mark.gui

#: "[hh:mm] " and a sender's name fit in this many characters.
HEAD = 40


def say(t: Transcript, text: str, sender: str = "eve", **options: object) -> None:
    t.show(Line(Kind.MESSAGE, text, 0.0, sender, **options))  # type: ignore[arg-type]


def text_rows(t: Transcript) -> list[str]:
    """Every row of the Text, as the widget holds it."""
    last = int(t.text.index("end-1c").split(".")[0])
    return [t.text.get(f"{n}.0", f"{n}.end") for n in range(1, last)]


def link_row(t: Transcript, n: int = 0) -> int:
    """The Text line of the n-th "show more" link."""
    ranges = t.text.tag_ranges("more")
    return int(str(ranges[2 * n]).split(".")[0])


def test_no_row_in_the_text_is_longer_than_the_fold_before_or_after_show_more(
    app: ChatApp,
) -> None:
    t = app.transcript
    for _ in range(4):
        say(t, "界" * 65_000)
    say(t, "after", "bob")
    t.flush()
    app.root.update()
    assert max(len(row) for row in text_rows(t)) <= FOLD + HEAD
    assert "bob: after" in transcript(app)
    assert t.show_more(link_row(t, 1))  # the second one, in place
    app.root.update()
    rows = text_rows(t)
    assert max(len(row) for row in rows) <= FOLD + HEAD
    assert len(rows) == 3 * 2 + 65_000 // FOLD + 1 + 1
    # Saved, the folded line is one line again.
    saved = transcript(app).split("\n")
    assert sum(1 for line in saved if line.endswith(": " + "界" * 65_000)) == 1


def test_show_more_goes_on_in_steps_and_the_link_says_what_is_left(app: ChatApp) -> None:
    t = app.transcript
    say(t, "\n".join(f"row {n}" for n in range(2000)))
    t.flush()
    assert text_rows(t)[-1] == f"{GUTTER}⋯ show more (1,980 more lines)"
    assert t.show_more(link_row(t))
    assert text_rows(t)[-1] == f"{GUTTER}⋯ show more (1,480 more lines)"
    while t.text.tag_ranges("more"):
        assert t.show_more(link_row(t))
    assert text_rows(t)[-1] == f"{GUTTER}row 1999"
    assert t.line_count() == 2000 and t.entry_count() == 1
    assert not t.show_more(1)  # nothing left to show


def test_show_more_keeps_the_rows_of_the_entries_around_it(app: ChatApp) -> None:
    t = app.transcript
    say(t, "first", "alice")
    say(t, "\n".join(f"row {n}" for n in range(30)))
    say(t, "last", "carol")
    t.flush()
    t.show_more(link_row(t))
    lines = transcript(app).split("\n")
    assert lines[0].endswith("alice: first") and lines[-2].endswith("carol: last")
    assert lines[1:-2] == [lines[1], *(f"{SAVE_INDENT}{GUTTER}row {n}" for n in range(1, 30))]
    t.max_entries = 2  # the cap still deletes exactly the oldest entry's rows
    say(t, "newest", "bob")
    t.flush()
    lines = transcript(app).split("\n")
    assert lines[0].endswith("carol: last") and lines[1].endswith("bob: newest")
    assert t.line_count() == 2


def test_the_cap_deletes_whole_entries_however_many_rows_they_take(app: ChatApp) -> None:
    t = app.transcript
    t.max_entries = 3
    for n in range(5):
        say(t, f"entry {n}\n" + "\n".join(f"row {k}" for k in range(n * 10)))
    t.flush()
    text = transcript(app)
    assert [row for row in text.split("\n") if row.startswith("[")] == [
        f"{rd.stamp(0.0)}eve: entry {n}" for n in (2, 3, 4)
    ]
    assert t.entry_count() == 3
    assert t.line_count() == sum(min(n * 10 + 1, PREVIEW_LINES) + 1 for n in (2, 3, 4))


def test_a_flood_bigger_than_the_cap_inserts_only_what_is_kept(app: ChatApp) -> None:
    t = app.transcript
    t.max_entries = 50
    for n in range(500):
        say(t, f"flood {n}")
    assert t.pending == 500
    t.flush()
    rows = text_rows(t)
    assert len(rows) == 50 and rows[0].endswith("flood 450") and rows[-1].endswith("flood 499")


def test_only_the_newest_hidden_text_is_kept_for_show_more(
    app: ChatApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transcript_module, "KEPT_CHARS", 25_000)
    t = app.transcript
    for n in range(3):
        say(t, f"{n}" * 10_000)
    t.flush()
    assert t.show_more(link_row(t, 0))  # the oldest: its hidden text was let go
    assert text_rows(t)[1] == f"{GUTTER}{transcript_module.NOT_KEPT}"
    assert t.show_more(link_row(t, 0))  # the middle one is still whole
    assert "1" * 10_000 in transcript(app)


def test_mark_rewrites_the_newest_line_of_a_cid_only(app: ChatApp) -> None:
    # A new connection numbers its requests from 1 again: an old failed line
    # with cid 1 stays as it is when the new line 1 is confirmed.
    t = app.transcript
    say(t, "old", "ann", own=True, cid=1, state=SendState.PENDING)
    t.mark(1, SendState.FAILED, "left the room")
    say(t, "between", "bob")
    say(t, "new", "ann", own=True, cid=1, state=SendState.PENDING)
    t.flush()
    t.mark(1, SendState.SENT)
    rows = transcript(app).split("\n")
    assert rows[0].endswith("ann: old  (not sent: left the room)")
    assert rows[1].endswith("bob: between") and rows[2].endswith("ann: new")


def test_a_marker_keeps_its_place_when_the_message_is_shown_in_full(app: ChatApp) -> None:
    t = app.transcript
    say(t, "\n".join(f"row {n}" for n in range(30)), "ann", own=True, cid=4, state=SendState.QUEUED)
    t.flush()
    t.mark(4, SendState.FAILED, "no\nway")
    assert f"{GUTTER}row 19  (not sent: no\\nway)" in text_rows(t)
    t.show_more(link_row(t))
    assert text_rows(t)[-1] == f"{GUTTER}row 29  (not sent: no\\nway)"
    t.mark(4, SendState.SENT)
    assert text_rows(t)[-1] == f"{GUTTER}row 29"


def test_escapes_are_drawn_in_their_own_style(app: ChatApp) -> None:
    t = app.transcript
    say(t, "open \u202eexe.pdf")
    t.flush()
    at = t.text.search("\\u202e", "1.0")
    assert "escape" in t.text.tag_names(at)
    assert t.text.tag_cget("escape", "background") == theme.palette(t).escape_band
    assert "\u202e" not in transcript(app)


def test_saved_a_folded_further_line_is_one_line_behind_its_mark(app: ChatApp) -> None:
    t = app.transcript
    say(t, "head\n" + "y" * 5000 + "\ntail")
    t.flush()
    t.show_more(link_row(t))
    assert len(text_rows(t)) == 1 + 3 + 1  # head, the long line in three rows, tail
    assert transcript(app).split("\n")[1:] == [
        f"{SAVE_INDENT}{GUTTER}" + "y" * 5000,
        f"{SAVE_INDENT}{GUTTER}tail",
        "",
    ]
