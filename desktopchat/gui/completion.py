"""Tab completion in the message box: member names and ``:shortcodes:``. No Tk.

Role: given the text before the cursor, say what to replace and with what
(an :class:`Edit`); the message box (``inputbox.py``) applies it.

Decisions (as IRC clients do it):

* Tab completes the word before the cursor against the member names,
  case-insensitively; the first match is used, and each further Tab replaces
  it with the next match (after the last, the first again). Cycling is
  forward only: Shift+Tab moves the focus, as everywhere else.
* A name completed at the very start of the message gets ": " after it
  ("alice: "), elsewhere a space; an ``@`` typed before the name is kept.
* A word starting with ``:`` completes to an emoji by its shortcode
  (``:smi`` → 😄, Tab again → 😃); a finished ``:smile:`` is replaced as the
  closing colon is typed (:func:`shortcode_edit`). ``10:30:`` is no shortcode:
  the opening colon must start a word.
* Nothing matches: nothing changes (Tab never inserts a tab character).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from desktopchat.gui.shortcodes import SHORTCODES, matching

__all__ = ["Completer", "Edit", "shortcode_edit", "tk_length"]

_SHORTCODE_END = re.compile(r"(?:^|(?<=\s)):([a-z0-9_+\-]+):$", re.IGNORECASE)
_SHORTCODE_WORD = re.compile(r"[a-z0-9_+\-]*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the text before the cursor from offset ``start`` on with ``text``."""

    start: int
    text: str


@dataclass(slots=True)
class _Cycle:
    start: int
    candidates: list[str]
    index: int
    inserted: str


def tk_length(text: str) -> int:
    """``len(text)`` as Tk 8.6 counts it: a character outside the BMP (most emoji) is 2."""
    return len(text.encode("utf-16-le")) // 2


def shortcode_edit(before: str) -> Edit | None:
    """The emoji for a just-finished ``:name:`` at the end of ``before``, if it is one."""
    match = _SHORTCODE_END.search(before)
    if match is None:
        return None
    emoji = SHORTCODES.get(match.group(1).lower())
    return Edit(match.start(), emoji) if emoji else None


class Completer:
    """The Tab state of one message box (which match the last Tab inserted)."""

    def __init__(self) -> None:
        self._cycle: _Cycle | None = None

    def reset(self) -> None:
        """Forget the cycle (any key but Tab does this)."""
        self._cycle = None

    def tab(self, before: str, names: Sequence[str]) -> Edit | None:
        """What one Tab does to the text ``before`` the cursor, given the room's ``names``."""
        cycle = self._cycle
        if cycle is not None and before[cycle.start :] == cycle.inserted:
            cycle.index = (cycle.index + 1) % len(cycle.candidates)
            cycle.inserted = cycle.candidates[cycle.index]
            return Edit(cycle.start, cycle.inserted)
        self._cycle = None
        start = len(before)
        while start and not before[start - 1].isspace():
            start -= 1
        word = before[start:]
        if not word:
            return None
        candidates = _emoji_candidates(word) if word.startswith(":") else []
        if not candidates:
            candidates = _name_candidates(word, names, at_start=start == 0)
        if not candidates:
            return None
        self._cycle = _Cycle(start, candidates, 0, candidates[0])
        return Edit(start, candidates[0])


def _emoji_candidates(word: str) -> list[str]:
    prefix = word[1:]
    if not prefix or _SHORTCODE_WORD.fullmatch(prefix) is None:
        return []
    seen: list[str] = []
    for name in matching(prefix):
        if SHORTCODES[name] not in seen:
            seen.append(SHORTCODES[name])
    return seen


def _name_candidates(word: str, names: Sequence[str], *, at_start: bool) -> list[str]:
    at = "@" if word.startswith("@") else ""
    prefix = word[len(at) :].casefold()
    if not prefix:
        return []
    found = sorted((n for n in names if n.casefold().startswith(prefix)), key=str.casefold)
    suffix = ": " if at_start and not at else " "
    return [at + name + suffix for name in found]
