"""User name rules, shared by the room and the window (docs/PROTOCOL.md, "Name rules")."""

from __future__ import annotations

import unicodedata

from desktopchat.protocol.skeleton import DEFAULT_IGNORABLE, script_of, skeleton

__all__ = ["MAX_NAME_LENGTH", "InvalidName", "name_key", "name_skeleton", "validate_name"]

#: Longest user name, in characters after NFC normalisation and trimming.
MAX_NAME_LENGTH = 32

#: Most combining marks in a row (more stack over the lines around the name).
MAX_MARKS_IN_A_ROW = 4

# Leading characters reserved by the protocol: "*" marks room events, "@" private
# messages, "/" commands.
_RESERVED_NAME_STARTS = ("*", "@", "/")

# Unicode categories refused in names: control, format, surrogate, private use,
# unassigned. Invisible (default-ignorable) characters are refused whatever their
# category, but for the zero-width joiner and presentation selectors of emoji.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_ZWJ = "\u200d"
# Text and emoji presentation selectors: allowed right after an emoji.
_PRESENTATION = frozenset({"\ufe0e", "\ufe0f"})
_SKIN_TONES = frozenset(chr(cp) for cp in range(0x1F3FB, 0x1F400))
_KEYCAP_BASES = frozenset("0123456789#*")
_KEYCAP = "\u20e3"
# Draws nothing, though not default-ignorable.
_BLANK = frozenset({"\u2800"})  # braille pattern blank

# TR39's "highly restrictive" level: one script, or one of these mixes.
_MIXES_ALLOWED = (
    frozenset({"Latin", "Han", "Hiragana", "Katakana"}),
    frozenset({"Latin", "Han", "Bopomofo"}),
    frozenset({"Latin", "Han", "Hangul"}),
)
_CJK = frozenset({"Han", "Hiragana", "Katakana", "Bopomofo", "Hangul"})


class InvalidName(ValueError):
    """A user name breaks the name rules; ``str(exc)`` is a sentence for the user."""


def validate_name(raw: str) -> str:
    """Return the canonical form of a user name, or raise :class:`InvalidName`.

    Rules: NFC-normalised and trimmed, 1-32 characters, no whitespace, control
    or invisible characters (the zero-width joiner and presentation selectors
    only inside emoji sequences), no leading or piled-up combining marks, not
    starting with ``*``, ``@`` or ``/``, letters of one script (or Latin with
    Chinese, Japanese or Korean). Uniqueness is the room's business: it
    compares :func:`name_key` and :func:`name_skeleton`.
    """
    name = unicodedata.normalize("NFC", raw).strip()
    if not name:
        raise InvalidName("Name is empty: type a name of 1 to 32 characters.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidName(
            f"Name is too long ({len(name)} characters): use at most {MAX_NAME_LENGTH}."
        )
    marks = 0
    for i, ch in enumerate(name):
        if ch.isspace():
            raise InvalidName("Name must not contain spaces: use one word, e.g. ann_lee.")
        category = unicodedata.category(ch)
        if ch == _ZWJ:
            if not _joins_emoji(name, i):
                raise InvalidName(
                    "Name may contain a zero-width joiner (U+200D) only between two emoji, "
                    "as in \U0001f469\u200d\U0001f4bb."
                )
        elif ch in DEFAULT_IGNORABLE or ch in _BLANK:
            if not _presents_emoji(name, i):
                raise InvalidName(
                    f"Name must not contain invisible characters (found {_describe(ch)})."
                )
        elif category in _FORBIDDEN_CATEGORIES:
            raise InvalidName(f"Name must not contain control characters (found {ch!r}).")
        marks = marks + 1 if category.startswith("M") else 0
        if marks and i == 0:
            raise InvalidName(f"Name must not start with a combining mark ({_describe(ch)}).")
        if marks > MAX_MARKS_IN_A_ROW:
            raise InvalidName(
                f"Name has too many marks on one letter: at most {MAX_MARKS_IN_A_ROW} in a row."
            )
    if name.startswith(_RESERVED_NAME_STARTS):
        raise InvalidName("Name must not start with *, @ or /: those mark events and commands.")
    _check_scripts(name)
    return name


def name_key(name: str) -> str:
    """Return the key under which names are the same name (case-insensitive: NFC, casefold)."""
    return unicodedata.normalize("NFC", name).casefold()


def name_skeleton(name: str) -> str:
    """Return what ``name`` looks like: equal skeletons mean a reader can take one for the other.

    A TR39-style skeleton (:func:`desktopchat.protocol.skeleton.skeleton`):
    ``alice`` spelt with a Cyrillic a, a fullwidth A, a dotless i or a capital
    I for the l folds to ``alice``. Defined for any string, valid name or not.
    """
    return skeleton(name)


# --- helpers ---------------------------------------------------------------------------


def _describe(ch: str) -> str:
    """``U+200C ZERO WIDTH NON-JOINER``: a way to name a character one cannot see."""
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed character')}"


def _is_emoji(ch: str) -> bool:
    # Emoji are "other symbols"; so are a few non-emoji symbols, which is harmless:
    # a joiner between two symbols changes nothing the skeleton sees.
    return unicodedata.category(ch) == "So"


def _joins_emoji(name: str, i: int) -> bool:
    """Whether the joiner at ``name[i]`` sits between two emoji (skin tones and
    presentation selectors may follow the first)."""
    j = i - 1
    while j >= 0 and (name[j] in _PRESENTATION or name[j] in _SKIN_TONES):
        j -= 1
    return j >= 0 and i + 1 < len(name) and _is_emoji(name[j]) and _is_emoji(name[i + 1])


def _presents_emoji(name: str, i: int) -> bool:
    """Whether ``name[i]`` is a presentation selector right after an emoji, or in a keycap."""
    if name[i] not in _PRESENTATION or i == 0:
        return False
    before = name[i - 1]
    if before in _KEYCAP_BASES:
        return name[i + 1 : i + 2] == _KEYCAP
    return _is_emoji(before)


def _check_scripts(name: str) -> None:
    """Refuse letters from scripts that do not belong together (e.g. Latin and Cyrillic)."""
    if name.isascii():
        return  # Latin letters only
    seen: list[str] = []
    for ch in unicodedata.normalize("NFKC", name):
        script = script_of(ch)
        if script is not None and script not in seen:
            seen.append(script)
    if len(seen) < 2 or any(allowed.issuperset(seen) for allowed in _MIXES_ALLOWED):
        return
    others = [s for s in seen if s != "Latin" and s not in _CJK]
    first, second = ("Latin", others[0]) if "Latin" in seen and others else seen[:2]
    raise InvalidName(
        f"Name must not mix {_script(first)} and {_script(second)} letters "
        "(look-alikes hide that way): use letters of one script."
    )


def _script(name: str) -> str:
    return name.replace("_", " ")
