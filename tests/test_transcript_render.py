"""What one transcript entry becomes (gui.render, no Tk): rows, marks, folds, budgets, escapes."""

from __future__ import annotations

import pytest

from desktopchat.gui import render as rd
from desktopchat.gui.lines import Kind, Line, SendState
from desktopchat.gui.render import FOLD, GUTTER, PREVIEW_CHARS, PREVIEW_LINES, Rendered, render

WHEN = 0.0
STAMP = rd.stamp(WHEN)


def rows(drawn: Rendered) -> list[str]:
    """The rows as the Text holds them."""
    text = "".join(item for item in drawn.args if isinstance(item, str))
    assert text.endswith("\n")
    out = text[:-1].split("\n")
    assert len(out) == drawn.rows
    return out


def tags_of(drawn: Rendered, piece: str) -> tuple[str, ...]:
    """The tags of the first text argument equal to ``piece``."""
    args = drawn.args
    for item, tags in zip(args[::2], args[1::2], strict=True):
        if item == piece:
            assert isinstance(tags, tuple)
            return tags
    raise AssertionError(f"{piece!r} not drawn")


def message(text: str, sender: str = "eve", **options: object) -> Line:
    return Line(Kind.MESSAGE, text, WHEN, sender, **options)  # type: ignore[arg-type]


def test_a_one_line_message_is_one_row_with_the_sender_from_the_line() -> None:
    drawn = render(message("alice: hi"))
    assert rows(drawn) == [f"{STAMP}eve: alice: hi"] and not drawn.hidden
    assert "name" in tags_of(drawn, "eve")
    assert "name" not in tags_of(drawn, "alice: hi")


def test_further_lines_start_with_the_gutter_in_the_senders_colour() -> None:
    drawn = render(message("one\n[10:20] alice: two\n"))
    assert rows(drawn) == [f"{STAMP}eve: one", f"{GUTTER}[10:20] alice: two", GUTTER]
    gutter = tags_of(drawn, GUTTER)
    assert {"gutter", rd.colour_tag("eve"), rd.CONT, "line"} <= set(gutter)
    assert rd.CONT in tags_of(drawn, "[10:20] alice: two")


@pytest.mark.parametrize(
    ("line", "first"),
    [
        (Line(Kind.ACTION, "waves\nmore", WHEN, "eve"), f"{STAMP}* eve waves"),
        (Line(Kind.PRIVATE, "psst\nmore", WHEN, "eve", "ann"), f"{STAMP}eve (private): psst"),
        (
            Line(Kind.PRIVATE, "psst\nmore", WHEN, "ann", "bob", own=True),
            f"{STAMP}→ bob (private): psst",
        ),
        (Line(Kind.EVENT, "notice\nmore", WHEN), f"{STAMP}• notice"),
        (Line(Kind.ERROR, "refused\nmore", WHEN), f"{STAMP}refused"),
        (Line(Kind.MARKER, "— divider —\nmore", WHEN), "— divider —"),
    ],
)
def test_every_kind_marks_its_further_lines(line: Line, first: str) -> None:
    assert rows(render(line)) == [first, f"{GUTTER}more"]


def test_crlf_is_one_line_break_and_a_lone_cr_is_an_escape() -> None:
    assert rows(render(message("a\r\nb\rc"))) == [f"{STAMP}eve: a", f"{GUTTER}b\\rc"]


def test_controls_and_bidi_characters_are_escapes_in_their_own_style() -> None:
    drawn = render(message("x\u202ey\x07z\u2028\x85\u2066\u200f\u061c\tend"))
    assert rows(drawn) == [f"{STAMP}eve: x\\u202ey\\x07z\\u2028\\x85\\u2066\\u200f\\u061c\tend"]
    assert "escape" in tags_of(drawn, "\\u202e") and "escape" not in tags_of(drawn, "x")
    # Emoji sequences (joiners, variation selectors, skin tones) are left as they are.
    assert rows(render(message("👨‍👩‍👧 👋🏽 ❤️"))) == [f"{STAMP}eve: 👨‍👩‍👧 👋🏽 ❤️"]


def test_a_name_never_holds_a_line_break_or_a_control() -> None:
    drawn = render(message("hi", sender="eve\n[10:20] alice\t\u202e"))
    assert rows(drawn) == [f"{STAMP}eve\\n[10:20] alice\\t\\u202e: hi"]
    assert {"escape", "name"} <= set(tags_of(drawn, "\\n"))


def test_at_most_preview_lines_rows_then_a_link() -> None:
    drawn = render(message("\n" * 5000 + "[10:20] alice: forged"))
    shown = rows(drawn)
    assert drawn.hidden and len(shown) == PREVIEW_LINES + 1
    assert shown[1:PREVIEW_LINES] == [GUTTER] * (PREVIEW_LINES - 1)
    assert shown[-1] == f"{GUTTER}⋯ show more (4,981 more lines)"
    assert "more" in tags_of(drawn, "⋯ show more (4,981 more lines)")


def test_a_long_line_is_cut_at_preview_chars_and_folded_when_shown() -> None:
    text = "x" * 65_000
    drawn = render(message(text))
    assert rows(drawn) == [
        f"{STAMP}eve: " + "x" * PREVIEW_CHARS + "…",
        f"{GUTTER}⋯ show more ({65_000 - PREVIEW_CHARS:,} more characters)",
    ]
    whole = render(message(text), rd.Budget(1000, 100_000))
    folded = rows(whole)
    assert not whole.hidden and len(folded) == 65_000 // FOLD + 1
    assert all(len(row) <= FOLD for row in folded[1:])
    assert "".join(folded).endswith(text)
    pairs = zip(whole.args[::2], whole.args[1::2], strict=True)
    folds = [tags for item, tags in pairs if item == "x" * FOLD]
    assert rd.FOLD_FIRST not in folds[0] and all(rd.FOLD_FIRST in tags for tags in folds[1:])


def test_a_fold_prefers_a_space_near_its_end() -> None:
    text = ("word " * 1000).strip()
    folded = rows(render(message(text), rd.Budget(100, 100_000)))
    assert all(row.endswith("word ") for row in folded[:-1])
    assert " ".join(r.strip() for r in folded).endswith(text[-100:])


def test_further_and_folded_lines_count_against_one_budget() -> None:
    text = "\n".join(["y" * 3000, *(f"row {n}" for n in range(50))])
    drawn = render(message(text), rd.Budget(3, 100_000))
    shown = rows(drawn)
    assert shown[0] == f"{STAMP}eve: " + "y" * FOLD and shown[1] == "y" * 1000
    assert shown[2:] == [f"{GUTTER}row 0", f"{GUTTER}⋯ show more (49 more lines)"]


def test_an_escape_is_never_split_by_a_cut() -> None:
    text = "a" * (PREVIEW_CHARS - 3) + "\u202e" * 5
    shown = rows(render(message(text)))
    assert shown[0].endswith("a…") and shown[-1].endswith("(5 more characters)")


def test_the_state_marker_ends_the_last_shown_row() -> None:
    own = message("one\ntwo", sender="ann", own=True, cid=7, state=SendState.PENDING)
    drawn = render(own)
    assert rows(drawn) == [f"{STAMP}ann: one", f"{GUTTER}two  (sending…)"]
    assert {"queued", "m7", rd.CONT, "own"} <= set(tags_of(drawn, "  (sending…)"))
    failed = render(own, state=SendState.FAILED, reason="no\nway")
    assert rows(failed)[-1] == f"{GUTTER}two  (not sent: no\\nway)"


def test_more_gives_more_rows_and_characters() -> None:
    budget = rd.PREVIEW.more()
    assert budget == rd.Budget(PREVIEW_LINES + rd.MORE_LINES, PREVIEW_CHARS + rd.MORE_CHARS)
    drawn = render(message("\n" * 5000), budget)
    assert len(rows(drawn)) == budget.lines + 1 and drawn.hidden


def test_an_empty_message_is_one_row() -> None:
    assert rows(render(message(""))) == [f"{STAMP}eve: "]
    assert rows(render(message("\n"))) == [f"{STAMP}eve: ", GUTTER]
