"""What a name looks like: a TR39-style skeleton and the scripts of its letters.

Two names with the same :func:`skeleton` can be mistaken for each other on
screen; docs/PROTOCOL.md ("Name rules") says how the room uses it. The data
(Unicode's confusables.txt and Scripts.txt) is generated into
``unicode_data.py`` by tools/make_confusables.py and unpacked on first use.
"""

from __future__ import annotations

import base64
import bisect
import functools
import json
import unicodedata
import zlib

from desktopchat.protocol import unicode_data

__all__ = ["DEFAULT_IGNORABLE", "script_of", "skeleton"]

#: Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt):
#: characters that draw nothing, or nothing of their own.
_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x061C, 0x061C),  # Arabic letter mark
    (0x115F, 0x1160),  # Hangul choseong / jungseong fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian variation selectors and vowel separator
    (0x200B, 0x200F),  # zero-width space, (non-)joiners, direction marks
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x206F),  # word joiner, invisible operators, bidi isolates
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFEFF, 0xFEFF),  # zero-width no-break space (BOM)
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0xFFF0, 0xFFF8),  # reserved
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical beam and phrase controls
    (0xE0000, 0xE0FFF),  # tags, variation selectors supplement, reserved
)

#: Every default-ignorable character.
DEFAULT_IGNORABLE = frozenset(
    chr(cp) for low, high in _IGNORABLE_RANGES for cp in range(low, high + 1)
)


@functools.cache
def _data() -> tuple[dict[str, str], list[int], list[int], list[str]]:
    """(prototypes, range starts, range ends, range scripts), unpacked once."""
    packed = "".join(unicode_data.PACKED)
    data = json.loads(zlib.decompress(base64.b85decode(packed)).decode("utf-8"))
    ranges = sorted(
        (low, high, script) for script, spans in data["scripts"].items() for low, high in spans
    )
    return (
        data["prototypes"],
        [low for low, _, _ in ranges],
        [high for _, high, _ in ranges],
        [script for _, _, script in ranges],
    )


def skeleton(text: str) -> str:
    """Fold ``text`` to what it looks like; works on any string, valid name or not.

    NFD; each character replaced by its confusables.txt prototype (Cyrillic a
    -> Latin a, capital I -> l, dotless i -> i); then compatibility forms and
    case folded away (NFKD, casefold: fullwidth A -> a), the prototypes applied
    again and default-ignorable characters dropped.
    """
    table = _data()[0]
    ignorable = DEFAULT_IGNORABLE
    first = "".join(table.get(c, c) for c in unicodedata.normalize("NFD", text))
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", first).casefold())
    return unicodedata.normalize(
        "NFD", "".join(table.get(c, c) for c in folded if c not in ignorable)
    )


def script_of(ch: str) -> str | None:
    """The Unicode script of one character (e.g. ``"Latin"``), None for Common/Inherited."""
    _, starts, ends, scripts = _data()
    cp = ord(ch)
    i = bisect.bisect_right(starts, cp) - 1
    if i >= 0 and cp <= ends[i]:
        return scripts[i]
    return None
