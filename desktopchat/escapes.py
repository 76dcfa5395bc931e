"""Visible escapes for characters that could forge or hide text: line breaks, controls, bidi.

Shared by the log (:mod:`desktopchat.applog`) and the transcript
(:mod:`desktopchat.gui.render`). Escaped are every C0 and C1 control and DEL,
the line and paragraph separators, the bidi controls (LRE RLE PDF LRO RLO,
LRI RLI FSI PDI, LRM RLM ALM) and lone surrogates. An escape reads ``\\n``,
``\\r``, ``\\t``, ``\\xNN`` or ``\\uNNNN``. Backslashes are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["UNSAFE", "UNSAFE_IN_TEXT", "escape", "escape_all", "split_unsafe"]

_CONTROLS = "\x00-\x08\x0a-\x1f\x7f-\x9f"
_OTHERS = "\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff"

#: Characters a log line or a name shows as an escape.
UNSAFE = re.compile(f"[\t{_CONTROLS}{_OTHERS}]")

#: The same, minus the tab: what a message's line shows as an escape (its
#: newlines are split off first, into lines of their own).
UNSAFE_IN_TEXT = re.compile(f"[{_CONTROLS}{_OTHERS}]")

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape(char: str) -> str:
    """The visible escape of one character: ``\\n``, ``\\x07``, ``\\u202e``."""
    short = _SHORT.get(char)
    if short is not None:
        return short
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_all(text: str) -> str:
    """``text`` with every :data:`UNSAFE` character escaped (the same object if none)."""
    if UNSAFE.search(text) is None:
        return text
    return UNSAFE.sub(lambda m: escape(m.group()), text)


def split_unsafe(text: str, unsafe: re.Pattern[str] = UNSAFE) -> Iterator[tuple[str, bool]]:
    """Cut ``text`` into (piece, is_escape) runs: plain text, and single escaped characters."""
    at = 0
    for match in unsafe.finditer(text):
        start = match.start()
        if start > at:
            yield text[at:start], False
        yield escape(match.group()), True
        at = start + 1
    if at < len(text):
        yield text[at:], False
