"""Tab completion of names and emoji shortcodes (gui.completion, gui.shortcodes; no Tk)."""

from __future__ import annotations

from desktopchat.gui import shortcodes
from desktopchat.gui.completion import Completer, Edit, shortcode_edit, tk_length

NAMES = ["ann", "Alice", "alan", "bob"]


def apply(before: str, edit: Edit | None) -> str:
    assert edit is not None
    return before[: edit.start] + edit.text


def test_a_name_at_the_start_gets_a_colon_and_repeated_tab_cycles() -> None:
    c = Completer()
    text = apply("al", c.tab("al", NAMES))
    assert text == "alan: "
    text = apply(text, c.tab(text, NAMES))
    assert text == "Alice: "
    text = apply(text, c.tab(text, NAMES))
    assert text == "alan: "  # after the last, the first again


def test_a_name_later_in_the_line_gets_a_space_and_case_is_ignored() -> None:
    c = Completer()
    assert apply("hi BO", c.tab("hi BO", NAMES)) == "hi bob "
    assert apply("/msg an", Completer().tab("/msg an", NAMES)) == "/msg ann "
    assert apply("@ali", Completer().tab("@ali", NAMES)) == "@Alice "


def test_nothing_to_complete_changes_nothing() -> None:
    c = Completer()
    assert c.tab("", NAMES) is None
    assert c.tab("hello ", NAMES) is None
    assert c.tab("zed", NAMES) is None


def test_typing_after_a_completion_starts_a_new_one() -> None:
    c = Completer()
    text = apply("a", c.tab("a", NAMES))
    assert text == "alan: "
    text += "b"
    assert apply(text, c.tab(text, NAMES)) == "alan: bob "
    c.reset()
    assert apply("an", c.tab("an", NAMES)) == "ann: "


def test_shortcodes_complete_with_tab_and_cycle() -> None:
    c = Completer()
    text = apply("hey :smi", c.tab("hey :smi", NAMES))
    assert text == "hey 😄"
    text = apply(text, c.tab(text, NAMES))
    assert text == "hey 😃"
    assert Completer().tab("hey :nosuchcode", NAMES) is None


def test_a_finished_shortcode_is_replaced() -> None:
    assert apply("nice :thumbsup:", shortcode_edit("nice :thumbsup:")) == "nice 👍"
    assert apply(":+1:", shortcode_edit(":+1:")) == "👍"
    assert shortcode_edit("at 10:30:") is None
    assert shortcode_edit("a:smile:") is None  # not at a word start
    assert shortcode_edit(":nosuchcode:") is None
    assert shortcode_edit("plain") is None


def test_the_table_and_the_picker() -> None:
    assert len(shortcodes.PICKER) == 40
    assert len(set(shortcodes.PICKER)) == 40
    assert set(shortcodes.PICKER) <= set(shortcodes.SHORTCODES.values())
    assert shortcodes.name_of("👍") == "thumbsup"
    assert shortcodes.matching("THUMBS") == ["thumbsup", "thumbsdown"]
    for name in shortcodes.SHORTCODES:
        assert shortcode_edit(f":{name}:") is not None, name


def test_tk_length_counts_emoji_as_two() -> None:
    assert tk_length("ab") == 2
    assert tk_length("😄") == 2
    assert tk_length("é") == 1
