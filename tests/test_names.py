"""The name rules and the skeleton (docs/PROTOCOL.md, "Name rules"), without a room.

Issue 8, finding 2: names that pass for another. The room's side (refusing a
look-alike of a present member, /nick included) is in test_names_room.py.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktopchat.gui.render import name_slot
from desktopchat.protocol import InvalidName, name_key, name_skeleton, validate_name
from desktopchat.protocol.skeleton import DEFAULT_IGNORABLE, script_of

# The look-alikes of "alice" that finding 2 reproduced, written with escapes
# (they are invisible or look like plain letters in an editor).
ZWNJ = "al\u200cice"  # zero-width non-joiner inside
CYRILLIC = "\u0430lice"  # Cyrillic small a
FULLWIDTH = "\uff21lice"  # fullwidth capital A
DOTLESS = "al\u0131ce"  # dotless i
HANGUL_FILLER = "alice\u3164"  # U+3164 draws nothing
GRAPHEME_JOINER = "al\u034fice"  # U+034F draws nothing

#: Names the rules refuse on their own: (name, words of the sentence).
REFUSED_BY_THE_RULES = [
    (ZWNJ, "invisible characters (found U+200C ZERO WIDTH NON-JOINER)"),
    (CYRILLIC, "must not mix Latin and Cyrillic letters"),
    (HANGUL_FILLER, "invisible characters (found U+3164 HANGUL FILLER)"),
    (GRAPHEME_JOINER, "invisible characters (found U+034F COMBINING GRAPHEME JOINER)"),
]

#: Valid names that look like "alice": the room refuses them while alice is in.
LOOK_LIKE_ALICE = [FULLWIDTH, DOTLESS, "AIice", "Alice"]

GOOD_NAMES = [
    "Zo\u00eb",  # Zoë
    "\u0141ukasz",  # Łukasz
    "\u674e\u96f7",  # 李雷
    "\u041c\u0430\u0440\u0438\u044f",  # Мария
    "\u039d\u03af\u03ba\u03bf\u03c2",  # Νίκος
    "\u0645\u062d\u0645\u062f",  # محمد
    "\u0905\u092e\u093f\u0924",  # अमित (vowel sign: a combining mark)
    "\u7530\u4e2d\u3055\u3093",  # 田中さん (Han + Hiragana)
    "\uae40\ubbfc\uc218",  # 김민수
    "Li\u674e",  # Latin with Han
    "\U0001f469\u200d\U0001f4bb",  # 👩‍💻 woman technologist (ZWJ sequence)
    "\U0001f469\U0001f3fd\u200d\U0001f4bb",  # the same with a skin tone
    "\U0001f3f3\ufe0f\u200d\U0001f308",  # 🏳️‍🌈 (presentation selector, then ZWJ)
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # 👨‍👩‍👧 family
    "\u2764\ufe0f",  # ❤️
    "1\ufe0f\u20e3",  # keycap 1
    "Zo\u00eb\U0001f469\u200d\U0001f4bb",  # settings' example
    "O'Brien",
    "ann_lee",
    "J\u00fcrgen-2",
]


@pytest.mark.parametrize(("name", "words"), REFUSED_BY_THE_RULES)
def test_finding_2_invisible_and_mixed_look_alikes_are_refused(name: str, words: str) -> None:
    with pytest.raises(InvalidName) as refused:
        validate_name(name)
    assert words in str(refused.value)


@pytest.mark.parametrize("name", [*LOOK_LIKE_ALICE, ZWNJ, CYRILLIC, HANGUL_FILLER, GRAPHEME_JOINER])
def test_finding_2_every_look_alike_has_alices_skeleton(name: str) -> None:
    assert name_skeleton(name) == name_skeleton("alice") == "alice"


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_real_names_in_many_scripts_and_emoji_are_accepted(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("\u200d\U0001f469", "joiner (U+200D) only between two emoji"),
        ("\U0001f469\u200d", "joiner (U+200D) only between two emoji"),
        ("a\u200db", "joiner (U+200D) only between two emoji"),
        ("\U0001f469\u200c\U0001f4bb", "invisible characters (found U+200C ZERO WIDTH"),
        ("a\ufe0f", "invisible characters (found U+FE0F VARIATION SELECTOR-16)"),
        ("1\ufe0f", "VARIATION SELECTOR-16"),  # a keycap needs its U+20E3
        ("\u2764\ufe00", "VARIATION SELECTOR-1)"),
        ("\u674e\U000e0100", "VARIATION SELECTOR-17"),
        ("\u115fann", "U+115F HANGUL CHOSEONG FILLER"),
        ("ann\u1160", "U+1160 HANGUL JUNGSEONG FILLER"),
        ("\uffa0", "U+FFA0 HALFWIDTH HANGUL FILLER"),
        ("\u2800", "U+2800 BRAILLE PATTERN BLANK"),
        ("ann\u00ad", "invisible characters (found U+00AD SOFT HYPHEN)"),
        ("ann\u200b", "invisible characters (found U+200B ZERO WIDTH SPACE)"),
        ("\u202eecila", "invisible characters (found U+202E RIGHT-TO-LEFT OVERRIDE)"),
        ("\U0001f3f4\U000e0067\U000e0062\U000e007f", "U+E0067 TAG LATIN SMALL LETTER G"),
        ("ann\x07", "control characters (found '\\x07')"),
        ("ann\u0600", "control characters (found '\\u0600')"),  # Arabic number sign
        ("\u0301ann", "must not start with a combining mark"),
        ("x" + "\u0301" * 5, "too many marks on one letter"),
        ("\u0430\u03b1", "must not mix Cyrillic and Greek letters"),
        ("bob\u0663", "must not mix Latin and Arabic letters"),
        ("\ud55c\u3072", "must not mix Hangul and Hiragana letters"),
        ("\u13aalice", "must not mix Latin and Cherokee letters"),  # Cherokee A
    ],
)
def test_invisible_joiners_marks_and_script_mixes_are_refused(name: str, words: str) -> None:
    with pytest.raises(InvalidName) as refused:
        validate_name(name)
    assert words in str(refused.value)


def test_accents_within_the_limit_are_fine() -> None:
    assert validate_name("e" + "\u0301\u0302\u0303\u0304") == "\u00e9\u0302\u0303\u0304"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("rn", "m"),
        ("bill", "BiII"),  # capital I for l
        ("poe", "\u0440\u043e\u0435"),  # all Cyrillic: one script, still alice-style
        ("bob", "b\u03bfb"),  # Greek omicron
        ("Stra\u00dfe", "strasse"),  # case folding
        ("\U0001f469\u200d\U0001f4bb", "\U0001f469\U0001f4bb"),  # the joiner draws nothing
        ("\u2764\ufe0f", "\u2764"),
        ("\U0001d41a\U0001d41b", "ab"),  # mathematical bold letters
        ("bob", "b0b"),  # documented over-reach: 0 looks like O, and case is folded
        ("ALICE", "ALLCE"),  # documented over-reach: I looks like l, and case is folded
    ],
)
def test_skeleton_folds_what_looks_the_same(a: str, b: str) -> None:
    assert name_skeleton(a) == name_skeleton(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("Zo\u00eb", "Zoe"), ("bob", "rob"), ("ann", "anne"), ("\u674e", "\u6728"), ("1", "2")],
)
def test_skeleton_keeps_apart_what_looks_different(a: str, b: str) -> None:
    assert name_skeleton(a) != name_skeleton(b)


def test_name_key_still_means_the_same_name_in_another_case() -> None:
    assert name_key("Ian") == name_key("ian")
    # The skeleton is not case-blind for I (it may be an l): the room checks both.
    assert name_skeleton("Ian") != name_skeleton("ian")


def test_look_alikes_share_a_colour_so_colour_never_tells_them_apart_from_the_name() -> None:
    colours = {name_slot(n) for n in ["alice", *LOOK_LIKE_ALICE, ZWNJ, CYRILLIC]}
    assert len(colours) == 1


def test_scripts_of_letters() -> None:
    assert [script_of(c) for c in "a\u0430\u03b1\u674e_1\u0301"] == [
        "Latin",
        "Cyrillic",
        "Greek",
        "Han",
        None,
        None,
        None,
    ]


def test_default_ignorables_are_unicodes_list() -> None:
    some = "\u00ad\u034f\u061c\u115f\u1160\u17b4\u180e\u200b\u200d\u2060\u3164\ufe0f\ufeff"
    for ch in some + "\uffa0":
        assert ch in DEFAULT_IGNORABLE, hex(ord(ch))
    assert "\U000e0001" in DEFAULT_IGNORABLE and "\U000e01ef" in DEFAULT_IGNORABLE
    assert not DEFAULT_IGNORABLE & set("alice_\u674e\u00e9\u2800")


@given(st.text(max_size=40))
def test_validation_is_idempotent_and_the_skeleton_takes_any_text(raw: str) -> None:
    name_skeleton(raw)  # any text, valid name or not (the window colours what rooms send)
    try:
        name = validate_name(raw)
    except InvalidName:
        return
    assert validate_name(name) == name
