"""Emoji shortcodes (``:smile:`` → 😄) and the emoji the picker offers. No Tk.

Role: the one table both the message box's ``:shortcode:`` completion
(``completion.py``) and the emoji picker (``emoji.py``) read, so a name means
the same emoji everywhere. Names follow the common Slack/GitHub spellings;
a few have a second spelling (``+1`` and ``thumbsup``).

:data:`PICKER` is the picker's grid: 40 everyday emoji, in rows of 8.
"""

from __future__ import annotations

__all__ = ["PICKER", "SHORTCODES", "matching", "name_of"]

#: Shortcode name → emoji. Insertion order is the order completion offers them.
SHORTCODES: dict[str, str] = {
    "smile": "😄",
    "smiley": "😃",
    "grin": "😁",
    "joy": "😂",
    "rofl": "🤣",
    "slightly_smiling_face": "🙂",
    "wink": "😉",
    "blush": "😊",
    "innocent": "😇",
    "heart_eyes": "😍",
    "kissing_heart": "😘",
    "yum": "😋",
    "stuck_out_tongue": "😛",
    "thinking": "🤔",
    "neutral_face": "😐",
    "expressionless": "😑",
    "unamused": "😒",
    "roll_eyes": "🙄",
    "grimacing": "😬",
    "relieved": "😌",
    "pensive": "😔",
    "sleepy": "😪",
    "sleeping": "😴",
    "sunglasses": "😎",
    "nerd": "🤓",
    "confused": "😕",
    "worried": "😟",
    "open_mouth": "😮",
    "astonished": "😲",
    "flushed": "😳",
    "cry": "😢",
    "sob": "😭",
    "scream": "😱",
    "angry": "😠",
    "rage": "😡",
    "smirk": "😏",
    "sweat_smile": "😅",
    "laughing": "😆",
    "upside_down": "🙃",
    "hugs": "🤗",
    "shushing": "🤫",
    "facepalm": "🤦",
    "shrug": "🤷",
    "thumbsup": "👍",
    "+1": "👍",
    "thumbsdown": "👎",
    "-1": "👎",
    "ok_hand": "👌",
    "clap": "👏",
    "wave": "👋",
    "pray": "🙏",
    "muscle": "💪",
    "raised_hands": "🙌",
    "point_up": "☝️",
    "v": "✌️",
    "eyes": "👀",
    "heart": "❤️",
    "broken_heart": "💔",
    "sparkling_heart": "💖",
    "fire": "🔥",
    "star": "⭐",
    "sparkles": "✨",
    "tada": "🎉",
    "party": "🥳",
    "100": "💯",
    "check": "✅",
    "white_check_mark": "✅",
    "x": "❌",
    "warning": "⚠️",
    "question": "❓",
    "exclamation": "❗",
    "bulb": "💡",
    "rocket": "🚀",
    "coffee": "☕",
    "beer": "🍺",
    "pizza": "🍕",
    "cake": "🍰",
    "sun": "☀️",
    "cloud": "☁️",
    "umbrella": "☂️",
    "zap": "⚡",
    "snowflake": "❄️",
    "poop": "💩",
    "skull": "💀",
    "ghost": "👻",
    "robot": "🤖",
    "cat": "🐱",
    "dog": "🐶",
    "see_no_evil": "🙈",
    "bug": "🐛",
    "computer": "💻",
    "lock": "🔒",
    "key": "🔑",
    "bell": "🔔",
    "memo": "📝",
    "calendar": "📅",
    "hourglass": "⌛",
    "zzz": "💤",
}

#: The picker's grid, in reading order.
PICKER: tuple[str, ...] = tuple(
    SHORTCODES[name]
    for name in (
        "smile",
        "joy",
        "slightly_smiling_face",
        "wink",
        "blush",
        "heart_eyes",
        "thinking",
        "sunglasses",
        "sweat_smile",
        "upside_down",
        "roll_eyes",
        "grimacing",
        "cry",
        "sob",
        "scream",
        "rage",
        "thumbsup",
        "thumbsdown",
        "ok_hand",
        "clap",
        "wave",
        "pray",
        "muscle",
        "raised_hands",
        "eyes",
        "heart",
        "broken_heart",
        "fire",
        "star",
        "sparkles",
        "tada",
        "100",
        "check",
        "x",
        "warning",
        "bulb",
        "rocket",
        "coffee",
        "pizza",
        "zzz",
    )
)

_NAMES: dict[str, str] = {}
for _name, _emoji in SHORTCODES.items():
    _NAMES.setdefault(_emoji, _name)


def name_of(emoji: str) -> str:
    """The first shortcode of ``emoji`` ("" if it has none)."""
    return _NAMES.get(emoji, "")


def matching(prefix: str) -> list[str]:
    """Shortcode names starting with ``prefix`` (case-insensitive), in table order."""
    prefix = prefix.lower()
    return [name for name in SHORTCODES if name.startswith(prefix)]
