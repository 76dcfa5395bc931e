"""The history options of ``--serve``: ``--history``, ``--history-days``, ``--data``.

:func:`add_options` puts them in the parser's server group;
:func:`open_history` opens the saved history they ask for (None without
``--data``), or raises :class:`ValueError` with the one line to print. The
server modules are imported inside it: the window's start-up never loads them.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktopchat.server.store import HistoryStore

__all__ = ["add_options", "open_history"]

#: Longest --history-days: beyond ten years "days" is not the limit anyone means.
MAX_DAYS = 3650.0


def parse_days(value: str) -> float:
    """argparse type for ``--history-days``: more than 0, at most :data:`MAX_DAYS`."""
    try:
        days = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of days, got {value!r}") from None
    if not 0 < days <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"expected 0 < D <= {MAX_DAYS:g} days, got {value!r}")
    return days


def add_options(group: argparse._ArgumentGroup) -> None:
    """Add ``--history N``, ``--history-days D`` and ``--data DIR`` to ``group``."""
    group.add_argument(
        "--history",
        type=int,
        default=100,
        metavar="N",
        help="messages replayed to newcomers, and kept with --data (default 100, 0 = off)",
    )
    group.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help="keep the room's history in DIR (SQLite): it survives a restart",
    )
    group.add_argument(
        "--history-days",
        type=parse_days,
        metavar="D",
        help="with --data: forget messages older than D days (default: no age limit)",
    )


def open_history(args: argparse.Namespace) -> HistoryStore | None:
    """The store ``--data`` asks for (None without it); ValueError: one line for the user."""
    if args.data is None:
        if args.history_days is not None:
            raise ValueError("--history-days is for saved history: give --data DIR too")
        return None
    from desktopchat.server.sqlitestore import open_store
    from desktopchat.server.store import StoreError

    try:
        return open_store(args.data, history=args.history, days=args.history_days)
    except StoreError as exc:
        raise ValueError(str(exc)) from None
