"""Command line: ``python -m desktopchat`` and the ``desktopchat`` entry point.

This is the one place that wires the parts together:

* no arguments            -> the login dialog, then the chat window
* ``--join HOST:PORT``    -> the login dialog pre-filled (straight in with ``--name``)
* ``--host [PORT]``       -> the chat window, hosting a room at once
* ``--serve``             -> the room server alone, headless, until Ctrl+C/SIGTERM
* ``--discover``          -> list the rooms announced on this network, then exit

Passwords never go on the command line (other users can read it in ``ps``):
use ``--password-file FILE`` or the ``DESKTOPCHAT_PASSWORD`` variable.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from desktopchat import __version__, address, applog, cliopts, fileopts, historyopts, redisopts
from desktopchat.address import DEFAULT_PORT
from desktopchat.settings import THEMES

if TYPE_CHECKING:  # imported when serving: the window's start-up never needs it
    from desktopchat.net.invite import JoinTarget

#: Exit code for a usage or start-up error (argparse uses 2 as well).
EXIT_USAGE = 2


def parse_join_address(value: str) -> JoinTarget:
    """argparse type for ``--join``: a ``desktopchat://`` link or ``HOST:PORT``.

    The rules are :func:`desktopchat.net.invite.parse_join_target`'s, except
    that a plain address needs its port: ``--join nohost`` is a usage error.
    """
    from desktopchat.net.invite import parse_join_target

    try:
        return parse_join_target(value, default_port=None)
    except address.AddressError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_room_name(value: str) -> str:
    """argparse type for ``--room-name``: 1 to 60 characters, no control characters."""
    from desktopchat.net.invite import check_room_name

    try:
        return check_room_name(value)
    except address.AddressError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_listen_port(value: str) -> int:
    """argparse type for ``--host``/``--port``: 0-65535 (0 means "any free port")."""
    try:
        return address.parse_port(value, allow_zero=True)
    except address.AddressError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_rate(value: str) -> tuple[float, float | None]:
    """argparse type for ``--rate-limit`` and co.: ``RATE[,BURST]``, RATE >= 0 (0 = off)."""
    rate, _, burst = value.partition(",")
    try:
        pair = float(rate), (float(burst) if burst else None)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected RATE or RATE,BURST, got {value!r}") from None
    if not pair[0] >= 0 or (pair[1] is not None and not pair[1] >= 1) or pair[0] == float("inf"):
        raise argparse.ArgumentTypeError(f"RATE must be 0 or more and BURST 1 or more: {value!r}")
    return pair


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser (a function so tests can inspect it)."""
    parser = argparse.ArgumentParser(
        prog="desktopchat",
        description="A desktop chat room for a small group on one network.",
        epilog="Passwords: use --password-file FILE or the DESKTOPCHAT_PASSWORD variable.",
        allow_abbrev=False,  # --password must not mean --password-file
    )
    cliopts.make_strict(parser)  # an option given twice is an error, not "the last one wins"
    parser.add_argument("--version", action="version", version=f"desktopchat {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log more (-vv for debug)"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--join",
        metavar="LINK|HOST:PORT",
        type=parse_join_address,
        help="open the login dialog pre-filled with this room (a desktopchat:// link or "
        "HOST:PORT; straight in with --name)",
    )
    mode.add_argument(
        "--host",
        metavar="PORT",
        nargs="?",
        const=DEFAULT_PORT,
        type=parse_listen_port,
        help=f"open the window and host a room at once (port {DEFAULT_PORT} if omitted)",
    )
    mode.add_argument("--serve", action="store_true", help="run the room server headless")
    mode.add_argument(
        "--discover", action="store_true", help="list the rooms on this network, then exit"
    )
    parser.add_argument(
        "--timeout",
        type=parse_timeout,
        default=None,
        metavar="S",
        help=f"how long --discover listens (default {DISCOVER_SECONDS:g} seconds)",
    )
    parser.add_argument("--name", help="your name in the room (with --join or --host)")
    parser.add_argument(
        "--theme",
        choices=THEMES,
        help="light or dark window for this run (default: View ▸ Theme, else the system's)",
    )
    server = parser.add_argument_group(cliopts.SERVER_GROUP)
    server.add_argument(
        "--bind", default="0.0.0.0", metavar="ADDR", help="address to listen on (default: all)"
    )
    server.add_argument(
        "--room-name",
        type=parse_room_name,
        metavar="NAME",
        help="the room's name in invitations and on the network (default: USER's room on MACHINE)",
    )
    server.add_argument(
        "--encrypted-only",
        action="store_true",
        help="refuse unencrypted connections (the tutorial's console clients)",
    )
    server.add_argument(
        "--no-announce",
        dest="announce",
        action="store_false",
        help="do not announce the room on the network (join by invitation or address only)",
    )
    server.add_argument(
        "--port",
        type=parse_listen_port,
        default=DEFAULT_PORT,
        help=f"port (default {DEFAULT_PORT})",
    )
    historyopts.add_options(server)  # --history, --history-days, --data
    redisopts.add_options(server)  # --redis, --room
    fileopts.add_options(server)  # --max-file-size, --file-senders
    server.add_argument(
        "--max-per-address",
        type=cliopts.count,
        default=32,  # server.limits.MAX_PER_ADDRESS (importing server here slows the window)
        metavar="N",
        help="connections one address may hold (default 32, 0 = no cap)",
    )
    server.add_argument(
        "--quiet-above",
        type=cliopts.count,
        default=100,  # server.crowd.QUIET_ABOVE (importing server here slows the window)
        metavar="N",
        help="in a room of more than N members, announce joins and leaves together, "
        "once a second (default 100, 0 = never)",
    )
    server.add_argument(
        "--max-message",
        type=int,
        default=None,
        metavar="BYTES",
        help="largest frame accepted (default 65536)",
    )
    for option, what, default in (
        ("--rate-limit", "requests a second per member", "10,30"),
        ("--byte-limit", "bytes of text a second per member", "65536,262144"),
        ("--nick-limit", "renames a second per member", "0.2,3"),
    ):
        server.add_argument(
            option,
            type=parse_rate,
            default=None,
            metavar="RATE[,BURST]",
            help=f"{what}, BURST at once (default {default}; 0 = no limit)",
        )
    parser.add_argument(
        "--password-file",
        metavar="FILE",
        help="room password from the first line of FILE (else $DESKTOPCHAT_PASSWORD)",
    )
    return parser


def _show_crash_dialog(message: str) -> None:
    # Imported late: --serve must not need tkinter (nor a display).
    from desktopchat.gui.crash import show_error_dialog

    show_error_dialog(message)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the program; return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    cliopts.check_conflicts(parser, args)
    if args.name is not None and args.serve:
        parser.error("--name is for the window (--join or --host), not --serve")
    for flag, given in (
        ("--encrypted-only", args.encrypted_only),
        ("--no-announce", not args.announce),
    ):
        if given and not args.serve:
            parser.error(f"{flag} is a server option: use it with --serve")
    if args.theme is not None and (args.serve or args.discover):
        parser.error("--theme is for the window, not --serve or --discover")
    if args.timeout is not None and not args.discover:
        parser.error("--timeout is for --discover")
    # Logging before anything else runs: a windowed executable has no console, so
    # the log file is its only output; a crash shows a dialog naming that file.
    console_less = sys.stderr is None
    headless = args.serve or args.discover
    applog.setup_logging(args.verbose, console=args.serve)  # --discover: warnings only
    applog.install_excepthook(_show_crash_dialog if console_less or not headless else None)
    if args.serve:
        from desktopchat import serve

        return serve.run(args)
    if args.discover:
        return _discover(DISCOVER_SECONDS if args.timeout is None else args.timeout)
    return _window(args, parser)


#: How long ``--discover`` listens by default: rooms answer a query within a
#: second; three leave room for a busy network.
DISCOVER_SECONDS = 3.0


def parse_timeout(value: str) -> float:
    """argparse type for ``--timeout``: seconds, more than 0 and at most an hour."""
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {value!r}") from None
    if not 0 < seconds <= 3600:
        raise argparse.ArgumentTypeError(f"expected 0 < S <= 3600 seconds, got {value!r}")
    return seconds


def _discover(timeout: float) -> int:
    """``--discover``: print the rooms on this network, one a line; exit 0, or 1 if none."""
    import io
    import textwrap

    from desktopchat.net import discovery

    try:
        rooms = discovery.discover(timeout)
    except OSError as exc:
        print(f"desktopchat: {exc}", file=sys.stderr)
        rooms = []
    if isinstance(sys.stdout, io.TextIOWrapper):  # a name the console cannot encode:
        sys.stdout.reconfigure(errors="backslashreplace")  # an escape, not a crash
    for room in rooms:
        print(discovery.room_line(room))
    if not rooms:
        print(textwrap.fill(discovery.NOTHING_FOUND_HINT, 79), file=sys.stderr)
    return 0 if rooms else 1


def _window(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Open the chat window (no arguments, ``--join`` or ``--host``); return the exit code.

    The password (``--password-file`` or ``$DESKTOPCHAT_PASSWORD``) is the room's
    password with ``--host`` and the one to give with ``--join``; an unreadable
    password file is a usage error (exit 2) before any window opens.
    """
    from desktopchat.serve import read_password

    try:
        password = read_password(args.password_file)
    except ValueError as exc:
        parser.error(str(exc))

    try:
        from desktopchat.gui import NoWindow, run
    except ImportError as exc:  # Python built without Tk (Debian: the python3-tk package)
        return _no_window(f"cannot open a window: Tkinter is missing ({exc})")
    try:
        target = args.join
        return run(
            join=None if target is None else target.address,
            name=args.name,
            host_port=args.host,
            password=password,
            pin=None if target is None else target.fingerprint,
            theme=args.theme,
            room_name=None if target is None else target.room_name,
            alternatives=() if target is None else tuple(target.alternatives),
        )
    except NoWindow as exc:
        return _no_window(str(exc))


def _no_window(message: str) -> int:
    """No window can be opened: one line on stderr (and in the log), exit code 2."""
    if sys.stderr is not None:
        print(f"desktopchat: {message}", file=sys.stderr)
    import logging

    logging.getLogger("desktopchat").error("%s", message, extra={"file_only": True})
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
