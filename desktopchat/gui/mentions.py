"""Mentions of our name in a line: whole words, case-insensitive. No Tk.

:func:`mentions` answers "does this text name me?" (the presenter's attention
rules ask it); :func:`tag_mentions` adds the ``mention`` tag to the places in a
rendered entry (:mod:`.render`'s ``Text.insert`` arguments) where the name is,
so the transcript highlights it without knowing how a row is laid out.

A whole word: no letter, digit or underscore right before or after it, so
"ann" is in "hi ann!" and "@Ann," but not in "annual" or "joann". A word
split across two folded rows, or written with an escaped control inside, is
not highlighted (it still counts as a mention for the alert).
"""

from __future__ import annotations

import functools
import re

__all__ = ["MENTION_TAG", "mention_pattern", "mentions", "tag_mentions"]

#: The Text tag of a highlighted mention (transcript.py configures its look).
MENTION_TAG = "mention"

#: Rendered pieces that are not message text: never highlighted.
_NOT_TEXT = frozenset(
    {"time", "name", "ownname", "privmark", "gutter", "queued", "notsent", "more", "cut", "escape"}
)

Tags = tuple[str, ...]


@functools.lru_cache(maxsize=16)
def mention_pattern(name: str) -> re.Pattern[str] | None:
    """The regular expression that finds ``name`` as a whole word (None for "")."""
    name = name.strip()
    if not name:
        return None
    return re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)


def mentions(text: str, name: str | None) -> bool:
    """True when ``text`` names ``name`` as a whole word, in any case."""
    pattern = mention_pattern(name or "")
    return pattern is not None and pattern.search(text) is not None


def tag_mentions(args: list[str | Tags], name: str) -> list[str | Tags]:
    """``args`` (text, tags, text, tags, ...) with every mention of ``name`` tagged."""
    pattern = mention_pattern(name)
    if pattern is None:
        return args
    out: list[str | Tags] = []
    for index in range(0, len(args) - 1, 2):
        text, tags = args[index], args[index + 1]
        assert isinstance(text, str) and isinstance(tags, tuple)
        if _NOT_TEXT.intersection(tags) or pattern.search(text) is None:
            out += [text, tags]
            continue
        start = 0
        for match in pattern.finditer(text):
            if match.start() > start:
                out += [text[start : match.start()], tags]
            out += [match.group(), (*tags, MENTION_TAG)]
            start = match.end()
        if start < len(text):
            out += [text[start:], tags]
    return out
