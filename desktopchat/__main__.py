"""Command line: ``python -m desktopchat`` and the ``desktopchat`` entry point.

This is the one place that wires the parts together:

* no arguments            -> the login dialog, then the chat window
* ``--join HOST:PORT``    -> the login dialog pre-filled (straight in with ``--name``)
* ``--host [PORT]``       -> the chat window, hosting a room at once
* ``--serve``             -> the room server alone, headless, until Ctrl+C/SIGTERM

Passwords never go on the command line (other users can read it in ``ps``):
use ``--password-file FILE`` or the ``DESKTOPCHAT_PASSWORD`` variable.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from desktopchat import __version__

#: Port used when none is given (the tutorial's).
DEFAULT_PORT = 1234

#: Exit code for a usage or start-up error (argparse uses 2 as well).
EXIT_USAGE = 2


def parse_address(value: str) -> tuple[str, int]:
    """Parse ``HOST:PORT`` (``[v6addr]:PORT`` too) for argparse."""
    host, sep, port_text = value.rpartition(":")
    if not sep or not host or not port_text:
        raise argparse.ArgumentTypeError(
            f"expected HOST:PORT, e.g. 192.168.1.23:1234, got {value!r}"
        )
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, parse_port(port_text)


def parse_port(value: str) -> int:
    """Parse a TCP port number (0 means "any free port") for argparse."""
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number, got {value!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 0 and 65535, got {port}")
    return port


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser (a function so tests can inspect it)."""
    parser = argparse.ArgumentParser(
        prog="desktopchat",
        description="A desktop chat room for a small group on one network.",
        epilog="Passwords: use --password-file FILE or the DESKTOPCHAT_PASSWORD variable.",
    )
    parser.add_argument("--version", action="version", version=f"desktopchat {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log more (-vv for debug)"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--join",
        metavar="HOST:PORT",
        type=parse_address,
        help="open the login dialog pre-filled with this room (straight in with --name)",
    )
    mode.add_argument(
        "--host",
        metavar="PORT",
        nargs="?",
        const=DEFAULT_PORT,
        type=parse_port,
        help=f"open the window and host a room at once (port {DEFAULT_PORT} if omitted)",
    )
    mode.add_argument("--serve", action="store_true", help="run the room server headless")
    parser.add_argument("--name", help="your name in the room (with --join or --host)")
    server = parser.add_argument_group("server options (--serve)")
    server.add_argument(
        "--bind", default="0.0.0.0", metavar="ADDR", help="address to listen on (default: all)"
    )
    server.add_argument(
        "--port", type=parse_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    server.add_argument(
        "--history",
        type=int,
        default=100,
        metavar="N",
        help="messages replayed to newcomers (default 100, 0 = off)",
    )
    server.add_argument(
        "--max-message",
        type=int,
        default=None,
        metavar="BYTES",
        help="largest frame accepted (default 65536)",
    )
    parser.add_argument(
        "--password-file",
        metavar="FILE",
        help="room password from the first line of FILE (else $DESKTOPCHAT_PASSWORD)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the program; return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.name is not None and args.serve:
        parser.error("--name is for the window (--join or --host), not --serve")
    raise NotImplementedError("wired up by the server and GUI work")


if __name__ == "__main__":
    sys.exit(main())
