"""The files options of ``--serve``: ``--max-file-size`` and ``--file-senders``.

:func:`add_options` puts them in the parser's server group; their values go to
``RoomServer(max_file_size=..., file_senders=...)`` as they are. The parsing
(:func:`parse_size`, :func:`parse_senders`) is shared with the window's Host
room… dialog, so both read "500M" and "ann, bob" alike. No server module is
imported here: the window's start-up never loads one.
"""

from __future__ import annotations

import argparse

from desktopchat.protocol.names import InvalidName, validate_name

__all__ = ["DEFAULT_MAX_FILE_SIZE", "add_options", "parse_senders", "parse_size"]

#: server.limits.DEFAULT_MAX_FILE_SIZE (2 GiB), not imported: the window starts without it.
DEFAULT_MAX_FILE_SIZE = 2 * 1024**3

#: Largest size accepted (1 TiB): a typo's extra digits are refused, not taken.
MAX_SIZE = 1024**4

_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def parse_size(text: str) -> int:
    """A size in bytes from ``"1048576"``, ``"500M"``, ``"2G"``, ``"64k"``, ``"1.5G"``; 0 = off.

    Units are powers of 1024 (K, M, G, T, optionally followed by ``B`` or ``iB``).
    Raises ValueError with a sentence for the user.
    """
    raw = text.strip().upper().replace(" ", "")
    raw = raw.removesuffix("IB") if raw.endswith("IB") else raw.removesuffix("B")
    unit = raw[-1] if raw and raw[-1] in _UNITS else ""
    number = raw[: len(raw) - len(unit)]
    try:
        value = float(number) if "." in number else int(number)
    except ValueError:
        raise ValueError(
            f"not a size: {text!r} (give bytes, or a number with K, M or G: 500M, 2G)"
        ) from None
    size = int(value * _UNITS[unit])
    if size < 0 or size > MAX_SIZE:
        raise ValueError(f"a size of 0 to 1T, not {text!r}")
    return size


def parse_senders(text: str) -> frozenset[str] | None:
    """The names of a comma-separated list (None for ``""`` or ``"*"``: everyone).

    Raises ValueError naming the first name that breaks the name rules.
    """
    if text.strip() in ("", "*"):
        return None
    names = set()
    for part in text.split(","):
        if not part.strip():
            continue
        try:
            names.add(validate_name(part))
        except InvalidName as exc:
            raise ValueError(f"{part.strip()!r} is not a name: {exc}") from None
    return frozenset(names) if names else None


def _size_type(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _senders_type(text: str) -> frozenset[str] | None:
    try:
        return parse_senders(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_options(group: argparse._ArgumentGroup) -> None:
    """Add ``--max-file-size SIZE`` and ``--file-senders NAMES`` to ``group``."""
    group.add_argument(
        "--max-file-size",
        type=_size_type,
        default=DEFAULT_MAX_FILE_SIZE,
        metavar="SIZE",
        help="largest file members may send, in bytes or with K, M, G (default 2G, 0 = no files)",
    )
    group.add_argument(
        "--file-senders",
        type=_senders_type,
        default=None,
        metavar="NAMES",
        help="only these members may send files, comma separated (default: everyone)",
    )
