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
import errno
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from desktopchat import __version__, address, applog, cliopts, fileopts, historyopts
from desktopchat.address import DEFAULT_PORT
from desktopchat.settings import THEMES

if TYPE_CHECKING:  # imported when serving: the window's start-up never needs it
    from desktopchat.net.invite import JoinTarget
    from desktopchat.net.reachability import Problem
    from desktopchat.server.rates import RateLimits

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


def rate_limits_from(args: argparse.Namespace) -> RateLimits:
    """The room's per-member rate limits from ``--rate-limit``, ``--byte-limit``, ``--nick-limit``.

    A rate without a burst keeps the default's ratio (a burst of that many
    seconds' worth); a rate of 0 turns that limit off.
    """
    from desktopchat.server.rates import DEFAULT_RATE_LIMITS as D
    from desktopchat.server.rates import RateLimits

    def pick(
        given: tuple[float, float | None] | None, rate: float, burst: int
    ) -> tuple[float, int]:
        if given is None:
            return rate, burst
        new_rate, new_burst = given
        if new_burst is None:
            new_burst = max(1.0, new_rate * burst / rate) if new_rate else burst
        return new_rate, int(new_burst)

    messages = pick(args.rate_limit, D.messages, D.message_burst)
    data = pick(args.byte_limit, D.bytes, D.byte_burst)
    nicks = pick(args.nick_limit, D.nicks, D.nick_burst)
    return RateLimits(*messages, *data, *nicks)


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
        return _serve(args)
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


#: Environment variable holding the room password for --serve (never argv).
PASSWORD_ENV = "DESKTOPCHAT_PASSWORD"


def read_password(password_file: str | None) -> str | None:
    """Return the room password: the first line of ``password_file``, else
    ``$DESKTOPCHAT_PASSWORD``, else None. Raises ValueError with a sentence for
    the user when the file cannot be read or its first line is empty.
    """
    if password_file is None:
        return os.environ.get(PASSWORD_ENV) or None
    try:
        with open(password_file, encoding="utf-8") as file:
            password = file.readline().rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the password file {password_file}: {exc}") from exc
    if not password:
        raise ValueError(f"the password file {password_file} has an empty first line")
    return password


def _serve(args: argparse.Namespace) -> int:
    """Run the room server headless until Ctrl+C or SIGTERM; return the exit code.

    Start-up problems (busy port, unreadable password file, bad numbers) are
    one line on stderr and exit code 2; a clean stop is exit code 0.
    """
    import logging
    import signal

    from desktopchat import protocol
    from desktopchat.address import format_address
    from desktopchat.net.hosting import Publicity
    from desktopchat.net.tls import IdentityError, load_or_create_identity
    from desktopchat.server import RoomServer

    log = logging.getLogger("desktopchat.serve")

    def fail(message: str) -> int:
        # The console line is what the user reads; the log file keeps it for a
        # console-less (frozen, windowed) start, where stderr goes nowhere.
        print(f"desktopchat: {message}", file=sys.stderr)
        log.error("%s", message, extra={"file_only": True})
        return EXIT_USAGE

    if args.history < 0:
        return fail(f"--history must be 0 or more, got {args.history}")
    max_message = protocol.DEFAULT_MAX_PAYLOAD if args.max_message is None else args.max_message
    if max_message < 1:
        return fail(f"--max-message must be at least 1, got {max_message}")
    try:
        password = read_password(args.password_file)
    except ValueError as exc:
        return fail(str(exc))

    # The server's log is its user interface. main() normally set logging up
    # already; if not (called on its own), INFO to stderr, DEBUG with -v.
    if not logging.getLogger().handlers:
        logging.basicConfig(
            stream=sys.stderr,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            level=logging.DEBUG if args.verbose else logging.INFO,
        )

    store = None
    try:
        store = historyopts.open_history(args)  # --data: saved history (None without)
        identity = load_or_create_identity()
    except (IdentityError, OSError) as exc:
        if store is not None:
            store.close()
        return fail(f"cannot load the room's certificate: {exc}")
    except ValueError as exc:
        return fail(str(exc))
    try:
        server = RoomServer(
            args.bind,
            args.port,
            password=password,
            history=args.history,
            max_per_address=args.max_per_address or None,
            quiet_above=args.quiet_above,
            max_file_size=args.max_file_size,
            file_senders=args.file_senders,
            max_message=max_message,
            rate_limits=rate_limits_from(args),
            identity=identity,
            encrypted_only=args.encrypted_only,
            store=store,
        )
    except OSError as exc:
        if store is not None:
            store.close()
        if exc.errno == errno.EADDRINUSE:
            return fail(
                f"port {args.port} on {args.bind} is already in use "
                "(another room running?): choose another with --port"
            )
        return fail(f"cannot listen on {args.bind}:{args.port}: {exc.strerror or exc}")

    def on_signal(signum: int, frame: object) -> None:
        # Only a flag and a wakeup byte: the loop logs and stops (see request_stop).
        server.request_stop(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    publicity: Publicity | None = None
    try:
        host, port = server.address
        log.info(
            "room listening on %s:%d%s", host, port, " (password required)" if password else ""
        )
        publicity = Publicity(
            server,
            args.room_name or _default_room_name(),
            password_needed=password is not None,
            encrypted_only=args.encrypted_only,
            announce=args.announce,
            on_problems=_warn_unreachable,
        )
        joinable = ", ".join(format_address(*a) for a in publicity.endpoints)
        log.info("others can join at: %s", joinable)
        _show_invitation(publicity.invitation.text())
        publicity.start()
        server.serve_forever()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if publicity is not None:
            publicity.close(timeout=1.0)  # goodbyes, so browsers drop the room at once
    log.info("room closed")
    return 0


def _default_room_name() -> str:
    """The room's name when --room-name is not given: "ann's room on pc1"."""
    import getpass

    from desktopchat.net.invite import default_room_name
    from desktopchat.net.lan import machine_name

    try:
        person = getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name (some containers, services)
        person = ""
    return default_room_name(person, machine_name())


def _show_invitation(text: str) -> None:
    """Print the invitation on stdout (absent in a windowed build) and log it."""
    import logging

    if sys.stdout is not None:
        print(text, flush=True)
    log = logging.getLogger("desktopchat.serve")
    for line in text.splitlines():
        log.info("invitation: %s", line, extra={"file_only": sys.stdout is not None})


def _warn_unreachable(problems: list[Problem]) -> None:
    """The reachability check's findings, as warnings (called on the check's thread)."""
    import logging

    log = logging.getLogger("desktopchat.serve")
    for problem in problems:
        log.warning("%s", problem)


def _window(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Open the chat window (no arguments, ``--join`` or ``--host``); return the exit code.

    The password (``--password-file`` or ``$DESKTOPCHAT_PASSWORD``) is the room's
    password with ``--host`` and the one to give with ``--join``; an unreadable
    password file is a usage error (exit 2) before any window opens.
    """
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
