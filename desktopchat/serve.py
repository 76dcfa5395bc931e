"""``python -m desktopchat --serve``: the room server alone, headless, until Ctrl+C/SIGTERM.

``run(args)`` takes the parsed command line (``__main__.build_parser``), opens the
saved history and the room's certificate, starts the :class:`RoomServer`, prints
and logs the invitation, announces the room and serves until a signal. Start-up
problems are one line on stderr and exit code 2.

Passwords never go on the command line (other users can read it in ``ps``):
``--password-file FILE`` or the ``DESKTOPCHAT_PASSWORD`` variable.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from typing import TYPE_CHECKING

from desktopchat import historyopts, redisopts

if TYPE_CHECKING:
    from desktopchat.net.reachability import Problem
    from desktopchat.server.rates import RateLimits

#: Exit code for a start-up error (argparse uses 2 as well).
EXIT_USAGE = 2


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


def run(args: argparse.Namespace) -> int:
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

    store = shared = None
    try:
        shared = redisopts.open_shared(args)  # --redis: one room on several servers
        store = historyopts.open_history(args)  # --data: saved history (None without)
        identity = load_or_create_identity()
    except (IdentityError, OSError) as exc:
        if store is not None:
            store.close()
        return fail(f"cannot load the room's certificate: {exc}")
    except ValueError as exc:
        return fail(str(exc))
    server_class, shared_args = redisopts.server_class(shared)
    try:
        server = server_class(
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
            **shared_args,
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
            peers=redisopts.peers(server),  # a Redis room: its other servers, its id
        )
        joinable = ", ".join(format_address(*a) for a in publicity.endpoints)
        log.info("others can join at: %s", joinable)
        _show_invitation(redisopts.invitation(server, publicity.invitation).text())
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
