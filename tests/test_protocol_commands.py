"""The one command grammar: parse_command (typed text -> request) and its inverse command_text."""

from __future__ import annotations

from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktopchat.protocol import events as ev
from desktopchat.protocol.commands import (
    HELP_TEXT,
    BadCommand,
    Command,
    command_text,
    parse_command,
)

# --- every command ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", ev.Message("hello")),
        ("", ev.Message("")),
        ("  spaced  ", ev.Message("  spaced  ")),
        ("a /me b", ev.Message("a /me b")),
        ("/me waves", ev.Action("waves")),
        ("/me  waves  twice ", ev.Action(" waves  twice ")),
        ("/msg bob hi there", ev.Private("hi there", to="bob")),
        ("/nick bert", ev.NickChange("bert")),
        ("/who", ev.Who()),
        ("/who is here", ev.Who()),
        ("/help", ev.Help()),
        ("/help me", ev.Help()),
        ("//x", ev.Message("/x")),
        ("//me waves", ev.Message("/me waves")),
        ("///", ev.Message("//")),
        ("//", ev.Message("/")),
    ],
)
def test_parse_command(text: str, expected: Command) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/ME waves", ev.Action("waves")),
        ("/Me waves", ev.Action("waves")),
        ("/MSG bob hi", ev.Private("hi", to="bob")),
        ("/Nick bert", ev.NickChange("bert")),
        ("/WHO", ev.Who()),
        ("/HeLp", ev.Help()),
    ],
)
def test_the_command_word_is_case_insensitive(text: str, expected: Command) -> None:
    assert parse_command(text) == expected


def test_the_cid_is_carried_by_every_kind() -> None:
    for text in ("hi", "//x", "/me a", "/msg bob a", "/nick b", "/who", "/help"):
        assert parse_command(text, cid=42).cid == 42
        assert parse_command(text).cid is None


def test_msg_name_ends_at_the_first_whitespace() -> None:
    assert parse_command("/msg bob  hi  there ") == ev.Private("hi  there ", to="bob")
    assert parse_command("/msg bob\thi") == ev.Private("hi", to="bob")
    assert parse_command("/msg bob\nline one\nline two") == ev.Private(
        "line one\nline two", to="bob"
    )
    assert parse_command("/msg  bob hi") == ev.Private("hi", to="bob")
    # The name is not checked or normalised here: the room looks it up.
    assert parse_command("/msg BOB hi") == ev.Private("hi", to="BOB")


# --- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("/me", "Usage: /me TEXT"),
        ("/me ", "Usage: /me TEXT"),
        ("/me    ", "Usage: /me TEXT"),
        ("/ME  \t", "Usage: /me TEXT"),
        ("/msg", "Usage: /msg NAME TEXT"),
        ("/msg bob", "Usage: /msg NAME TEXT"),
        ("/msg bob   ", "Usage: /msg NAME TEXT"),
        ("/msg ", "Usage: /msg NAME TEXT"),
        ("/nick", "Usage: /nick NEW"),
        ("/nick   ", "Usage: /nick NEW"),
        ("/frob", "Unknown command /frob: type /help for the list."),
        ("/frob with args", "Unknown command /frob: type /help for the list."),
        ("/FROB", "Unknown command /FROB: type /help for the list."),
        ("/", "Unknown command /: type /help for the list."),
        ("/ me", "Unknown command /: type /help for the list."),
        ("/me\twaves", "Unknown command /me\twaves: type /help for the list."),
        ("/protocol 2 tok", "Unknown command /protocol: type /help for the list."),
    ],
)
def test_bad_commands_raise_with_the_exact_sentence(text: str, reason: str) -> None:
    with pytest.raises(BadCommand) as info:
        parse_command(text)
    assert str(info.value) == reason


def test_bad_command_is_a_value_error() -> None:
    assert issubclass(BadCommand, ValueError)


def test_help_text_names_every_command() -> None:
    for word in ("/who", "/msg NAME TEXT", "/me TEXT", "/nick NEW", "/help", "//"):
        assert word in HELP_TEXT


# --- command_text, the inverse --------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "text"),
    [
        (ev.Message("hello"), "hello"),
        (ev.Message(""), ""),
        (ev.Message("/x"), "//x"),
        (ev.Message("//x"), "///x"),
        (ev.Action("waves"), "/me waves"),
        (ev.Private("hi there", to="bob"), "/msg bob hi there"),
        (ev.NickChange("bert"), "/nick bert"),
        (ev.Who(), "/who"),
        (ev.Help(), "/help"),
    ],
)
def test_command_text(command: Command, text: str) -> None:
    assert command_text(command) == text
    assert parse_command(text) == command


@pytest.mark.parametrize(
    "text",
    ["hello", "", "//x", "/me waves", "/msg bob hi there", "/nick bert", "/who", "/help"],
)
def test_canonical_text_round_trips(text: str) -> None:
    assert command_text(parse_command(text)) == text


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("/ME waves", "/me waves"),
        ("/msg  bob   hi", "/msg bob hi"),
        ("/who is here", "/who"),
        ("/HELP", "/help"),
    ],
)
def test_other_spellings_come_back_canonical(typed: str, canonical: str) -> None:
    assert command_text(parse_command(typed)) == canonical


def test_command_text_refuses_a_room_event() -> None:
    with pytest.raises(TypeError):
        command_text(cast(Any, ev.Joined("ann")))


_WORDS = st.sampled_from(["", "me", "ME", "msg", "Msg", "nick", "who", "help", "/", "x"])
_TEXT = st.text(alphabet=st.sampled_from("ab /\t\n\u00e9 "), max_size=12)


@given(st.one_of(_TEXT, st.builds(lambda w, t: "/" + w + t, _WORDS, _TEXT)))
def test_parse_of_command_text_gives_the_same_command(text: str) -> None:
    try:
        command = parse_command(text, cid=3)
    except BadCommand:
        return
    again = parse_command(command_text(command), cid=3)
    assert again == command
