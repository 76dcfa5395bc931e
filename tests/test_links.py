"""Links in chat text (gui.links, no Tk) and how render.py tags them."""

from __future__ import annotations

import time

import pytest

from desktopchat.gui import links
from desktopchat.gui.lines import Kind, Line
from desktopchat.gui.links import LINK_TAG, MAX_LINK, MAX_LINKS, find_links, split_links, target
from desktopchat.gui.render import Budget, render


def linked(text: str) -> list[str]:
    return [part for part, is_link in split_links(text) if is_link]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("see https://example.org/a?b=c&d=e#f now", ["https://example.org/a?b=c&d=e#f"]),
        ("http://x.org, and www.python.org.", ["http://x.org", "www.python.org"]),
        ("HTTPS://SHOUT.ORG/", ["HTTPS://SHOUT.ORG/"]),
        ("join desktopchat://10.0.0.2:1234?fp=ab", ["desktopchat://10.0.0.2:1234?fp=ab"]),
        (
            "(https://en.wikipedia.org/wiki/Tk_(toolkit))",
            ["https://en.wikipedia.org/wiki/Tk_(toolkit)"],
        ),
        ('"https://quoted.org"!', ["https://quoted.org"]),
        ("<https://angle.org>", ["https://angle.org"]),
        ("two:https://a.org https://b.org?", ["https://a.org", "https://b.org"]),
    ],
)
def test_links_are_found_without_the_punctuation_around_them(text: str, found: list[str]) -> None:
    assert linked(text) == found


@pytest.mark.parametrize(
    "text",
    [
        "no link here",
        "http:// alone",
        "www. alone",
        "xhttp://glued.org",
        "awww.glued.org",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "ftp://old.example.org",
        "user@www.example.org",
    ],
)
def test_other_text_is_no_link(text: str) -> None:
    assert linked(text) == []


def test_split_keeps_every_character_in_order() -> None:
    text = "a https://x.org b www.y.org. c"
    parts = split_links(text)
    assert "".join(part for part, _ in parts) == text
    assert parts == [
        ("a ", False),
        ("https://x.org", True),
        (" b ", False),
        ("www.y.org", True),
        (". c", False),
    ]


def test_what_a_click_opens() -> None:
    assert target("www.python.org") == "http://www.python.org"
    assert target("https://x.org") == "https://x.org"
    assert links.is_join_link("DesktopChat://host:1234")
    assert not links.is_join_link("https://desktopchat.example")


def test_hostile_text_is_capped() -> None:
    huge = "https://x.org/" + "a" * MAX_LINK
    assert linked(huge) == []  # longer than any real address: plain text
    many = " ".join(f"https://h{i}.org" for i in range(5 * MAX_LINKS))
    started = time.perf_counter()
    assert len(find_links(many)) == MAX_LINKS
    assert time.perf_counter() - started < 0.5
    assert find_links(many, 0) == []


def line(text: str) -> Line:
    return Line(Kind.MESSAGE, text, 0.0, "eve")


def link_pieces(text: str) -> list[str]:
    args = render(line(text)).args
    return [
        str(piece) for piece, tags in zip(args[::2], args[1::2], strict=True) if LINK_TAG in tags
    ]


def test_render_tags_links_in_messages_and_events() -> None:
    assert link_pieces("look: https://x.org/a.") == ["https://x.org/a"]
    event = render(Line(Kind.EVENT, "invite: desktopchat://h:1", 0.0)).args
    assert any(LINK_TAG in tags for tags in event[1::2] if isinstance(tags, tuple))
    assert link_pieces("plain words only") == []


def test_render_keeps_the_row_tags_on_a_link() -> None:
    args = render(Line(Kind.MESSAGE, "x https://x.org", 0.0, "me", own=True)).args
    tags = dict(zip(args[::2], args[1::2], strict=True))["https://x.org"]
    assert isinstance(tags, tuple) and {"own", "line", LINK_TAG} <= set(tags)


def test_an_entry_makes_at_most_max_links_links_over_all_its_rows() -> None:
    text = "\n".join(f"https://h{i}.org" for i in range(MAX_LINKS + 50))
    args = render(line(text), Budget(10_000, 1_000_000)).args
    count = sum(1 for tags in args[1::2] if isinstance(tags, tuple) and LINK_TAG in tags)
    assert count == MAX_LINKS
