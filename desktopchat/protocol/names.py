"""User name rules, shared by the room and the window (docs/PROTOCOL.md, "Name rules")."""

from __future__ import annotations

import unicodedata

__all__ = ["MAX_NAME_LENGTH", "InvalidName", "name_key", "validate_name"]

#: Longest user name, in characters after NFC normalisation and trimming.
MAX_NAME_LENGTH = 32

# Leading characters reserved by the protocol: "*" marks room events, "@" private
# messages, "/" commands.
_RESERVED_NAME_STARTS = ("*", "@", "/")

# Unicode categories refused in names: control, format, surrogate, private use,
# unassigned. Zero-width joiners are format characters but are part of emoji
# sequences such as "👩‍💻", so they stay allowed.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_JOINERS = frozenset({"\u200c", "\u200d"})


class InvalidName(ValueError):
    """A user name breaks the name rules; ``str(exc)`` is a sentence for the user."""


def validate_name(raw: str) -> str:
    """Return the canonical form of a user name, or raise :class:`InvalidName`.

    Rules: NFC-normalised and trimmed, 1-32 characters, no
    whitespace or control characters, not starting with ``*``, ``@`` or ``/``.
    Uniqueness is the room's business; compare names with :func:`name_key`.
    """
    name = unicodedata.normalize("NFC", raw).strip()
    if not name:
        raise InvalidName("Name is empty: type a name of 1 to 32 characters.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidName(
            f"Name is too long ({len(name)} characters): use at most {MAX_NAME_LENGTH}."
        )
    for ch in name:
        if ch.isspace():
            raise InvalidName("Name must not contain spaces: use one word, e.g. ann_lee.")
        if unicodedata.category(ch) in _FORBIDDEN_CATEGORIES and ch not in _JOINERS:
            raise InvalidName(f"Name must not contain control characters (found {ch!r}).")
    if name.startswith(_RESERVED_NAME_STARTS):
        raise InvalidName("Name must not start with *, @ or /: those mark events and commands.")
    return name


def name_key(name: str) -> str:
    """Return the key under which names are compared for uniqueness (case-insensitive)."""
    return unicodedata.normalize("NFC", name).casefold()
