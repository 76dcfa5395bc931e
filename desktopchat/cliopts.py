"""Command-line strictness: no abbreviations, no option twice, no option that does nothing.

:mod:`desktopchat.__main__` builds the parser; this module holds the rules that
make it strict, so the parser stays a table of options:

* :func:`make_strict` makes every single-valued option (``action="store"``, the
  default, including options added later) an error when given twice: argparse
  would silently keep the last one, so ``--port 1234 --port=1300`` would mean
  1300 without a word. ``allow_abbrev=False`` is the parser's own argument.
* :func:`check_conflicts` refuses options that the chosen mode ignores: a
  server option (the "server options" group) without ``--serve``, e.g.
  ``--host 1234 --port 1300`` (the port of ``--host`` is its own argument) or
  ``--join h:1234 --port 1300`` (the port is in the address).
* :func:`no_window_message` words why no window could be opened, as the one
  line the program prints before it exits with code 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

__all__ = [
    "NO_DISPLAY",
    "SERVER_GROUP",
    "check_conflicts",
    "count",
    "given",
    "make_strict",
    "no_window_message",
]

#: Title of the parser's group of options that only ``--serve`` uses.
SERVER_GROUP = "server options (--serve)"

#: What the program says when there is no display to open a window on.
NO_DISPLAY = "cannot open a window: no display (set DISPLAY, or run --serve for a headless room)"

_GIVEN = "_given_options"


class _StoreOnce(argparse._StoreAction):
    """``store``, but the same option twice is a usage error naming it."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        seen: set[str] = getattr(namespace, _GIVEN, set())
        if self.dest in seen:
            raise argparse.ArgumentError(self, "given more than once: give it once")
        seen.add(self.dest)
        setattr(namespace, _GIVEN, seen)
        super().__call__(parser, namespace, values, option_string)


def make_strict(parser: argparse.ArgumentParser) -> None:
    """Make every ``store`` option of ``parser`` (added before or after) once-only."""
    parser.register("action", None, _StoreOnce)
    parser.register("action", "store", _StoreOnce)


def given(args: argparse.Namespace) -> frozenset[str]:
    """The destinations of the single-valued options given on the command line."""
    return frozenset(getattr(args, _GIVEN, ()))


def count(text: str) -> int:
    """An option's whole number, 0 or more (argparse ``type``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def check_conflicts(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Exit with a usage error (code 2) for an option the chosen mode would ignore."""
    if getattr(args, "serve", False):
        return
    seen = given(args)
    for group in parser._action_groups:
        if group.title != SERVER_GROUP:
            continue
        for action in group._group_actions:
            if action.dest not in seen:
                continue
            option = action.option_strings[-1]
            if action.dest == "port" and getattr(args, "host", None) is not None:
                parser.error("--port is for --serve: with --host give the port as --host PORT")
            if action.dest == "port" and getattr(args, "join", None) is not None:
                parser.error("--port is for --serve: --join takes the port in HOST:PORT")
            parser.error(f"{option} is a server option: use it with --serve")


def no_window_message(error: str, display: str | None) -> str:
    """The line to print when Tk could not open a window (``error`` is Tk's text)."""
    if "no display name" in error:
        return NO_DISPLAY
    if display:
        return f"cannot open a window on display {display}: {error}"
    return f"cannot open a window: {error}"
