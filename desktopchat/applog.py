"""Logging set-up and the last-resort error handler for the whole process.

Called once, early, from ``desktopchat.__main__.main``; library modules only
ever do ``logging.getLogger(__name__)``.

Where output goes
    Every run appends to a rotating log file, ``paths.log_dir() /
    "desktopchat.log"`` (about 1 MB, three old copies kept), so a user of the
    windowed executable -- which has no console -- still has a record to send
    along with a bug report. A stderr handler is added only when there *is* a
    stderr: a windowed frozen app (and ``pythonw``) starts with ``sys.stdout`` and
    ``sys.stderr`` set to None.

One record, one line
    Every record's message is written through :class:`EscapingFormatter`: line
    breaks, control and bidi characters in it (chat text, names, a hostile
    room's reasons) show as escapes (:mod:`desktopchat.escapes`), so no text
    can forge a log line. A traceback still follows on lines of its own.

Levels
    The file gets INFO (DEBUG with ``-vv``). stderr gets WARNING for the window
    (so a terminal it was started from stays quiet) and INFO when the mode's
    output *is* the console (``console=True``: ``--serve`` prints the addresses
    others join); ``-v`` raises it to INFO, ``-vv`` to DEBUG.

Print safety
    :func:`ensure_std_streams` swaps a None ``sys.stdout``/``sys.stderr`` for
    ``os.devnull``, so a stray ``print`` or a third-party warning can never raise
    in a console-less app, and makes a real console replace characters it
    cannot encode (an emoji name on a Windows code page) instead of raising.

Unexpected exceptions
    :func:`install_excepthook` makes an uncaught exception in the main thread
    log its traceback and then call ``show_dialog`` with a short message naming
    the log file (the GUI passes ``desktopchat.gui.crash.show_error_dialog``), so
    a windowed app never just vanishes. An uncaught exception in another thread
    is logged only: Tk must not be touched from there, and the thread's owner
    notices its death (the client reports a failed connection).
    :func:`report_exception` is the same handler for callers that catch the
    error themselves (Tk's ``report_callback_exception``; see ``gui.crash``).
    A dialog is never shown while another one is already open.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from desktopchat import __version__, paths
from desktopchat.escapes import escape_all

log = logging.getLogger(__name__)

LOG_NAME = "desktopchat.log"

#: Rotate at this size: a week of busy chatting at INFO, small enough to mail.
MAX_BYTES = 1_000_000

#: Old files kept (desktopchat.log.1 ... .3).
BACKUP_COUNT = 3

FILE_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"
CONSOLE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

#: Marks the handlers this module added, so a second set-up replaces them.
_OURS = "_desktopchat_handler"

_log_file: Path | None = None
_show_dialog: Callable[[str], None] | None = None
_dialog_open = threading.Lock()

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class EscapingFormatter(logging.Formatter):
    """A Formatter whose message part is always one line: unsafe characters escaped."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        message = record.message
        safe = escape_all(message)
        if safe is message:
            return super().formatMessage(record)
        record.message = safe  # for this handler only: put back below
        try:
            return super().formatMessage(record)
        finally:
            record.message = message


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is *now* (tests and IDEs swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def ensure_std_streams() -> None:
    """Make ``print`` safe: no None streams, no encoding errors on a console."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
            continue
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):  # exotic streams
                reconfigure(errors="backslashreplace")


def current_log_file() -> Path | None:
    """Return the log file set up by :func:`setup_logging` (None before that)."""
    return _log_file


def _open_file_handler(path: Path) -> logging.Handler:
    path.parent.mkdir(parents=True, exist_ok=True)
    return logging.handlers.RotatingFileHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8"
    )


def setup_logging(verbosity: int, *, console: bool) -> Path:
    """Configure the root logger for this process; return the log file's path.

    ``verbosity`` is the count of ``-v`` flags. ``console`` is True when this
    mode's user reads the terminal (``--serve``). Calling it again replaces the
    handlers it added before (tests run ``main()`` more than once).
    """
    global _log_file
    has_stderr = sys.stderr is not None
    ensure_std_streams()

    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(handler)
        handler.close()

    debug = verbosity >= 2
    file_level = logging.DEBUG if debug else logging.INFO
    if debug:
        console_level = logging.DEBUG
    elif verbosity >= 1 or console:
        console_level = logging.INFO
    else:
        console_level = logging.WARNING

    path = paths.log_dir() / LOG_NAME
    handlers: list[logging.Handler] = []
    problem: str | None = None
    try:
        file_handler = _open_file_handler(path)
    except OSError as exc:
        # A read-only or missing home must not stop the app; log beside the temp files.
        problem = f"cannot write {path} ({exc})"
        path = Path(tempfile.gettempdir()) / f"desktopchat-{os.getpid()}.log"
        try:
            file_handler = _open_file_handler(path)
        except OSError:
            file_handler = None
    if file_handler is not None:
        file_handler.setLevel(file_level)
        file_handler.setFormatter(EscapingFormatter(FILE_FORMAT))
        handlers.append(file_handler)
    if has_stderr:
        stream_handler = _StderrHandler(sys.stderr)
        stream_handler.setLevel(console_level)
        stream_handler.setFormatter(EscapingFormatter(CONSOLE_FORMAT, datefmt="%H:%M:%S"))
        if verbosity < 1:
            # The start-up banner is for the log file; a console user sees what
            # the mode itself reports (e.g. --serve's one-line "port in use").
            stream_handler.addFilter(lambda record: not getattr(record, "file_only", False))
        handlers.append(stream_handler)

    for handler in handlers:
        setattr(handler, _OURS, True)
        root.addHandler(handler)
    root.setLevel(min([file_level, console_level]))
    logging.captureWarnings(True)
    _log_file = path

    if problem:
        log.warning("%s; logging to %s instead", problem, path)
    log.info(
        "desktopchat %s starting (Python %s, %s, frozen=%s, pid %d); log file %s",
        __version__,
        sys.version.split()[0],
        sys.platform,
        bool(getattr(sys, "frozen", False)),
        os.getpid(),
        path,
        extra={"file_only": True},
    )
    return path


def crash_message(exc: BaseException, *, fatal: bool) -> str:
    """Return the text of the error dialog for ``exc``."""
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    where = _log_file if _log_file is not None else paths.log_dir() / LOG_NAME
    if fatal:
        head = "desktopchat hit an unexpected error and has to close."
    else:
        head = "desktopchat hit an unexpected error. It keeps running, but may misbehave."
    return f"{head}\n\n{what}\n\nThe details are in the log file:\n{where}"


def report_exception(
    exc_type: type[BaseException],
    exc: BaseException,
    tb: TracebackType | None,
    *,
    fatal: bool,
    show_dialog: Callable[[str], None] | None = None,
) -> None:
    """Log an unexpected exception with its traceback, then show the dialog.

    ``show_dialog`` defaults to the one given to :func:`install_excepthook`.
    A failing dialog (no display, say) is logged and otherwise ignored.
    """
    log.critical("unexpected error", exc_info=(exc_type, exc, tb))
    dialog = show_dialog if show_dialog is not None else _show_dialog
    if dialog is None:
        return
    if not _dialog_open.acquire(blocking=False):
        return  # one already on screen (its nested event loop ran into another error)
    try:
        dialog(crash_message(exc, fatal=fatal))
    except Exception:
        log.exception("could not show the error dialog")
    finally:
        _dialog_open.release()


def _excepthook(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)  # Ctrl+C in a terminal: no dialog
        return
    report_exception(exc_type, exc, tb, fatal=True)


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    log.critical(
        "unexpected error in thread %s",
        args.thread.name if args.thread is not None else "?",
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )


def install_excepthook(show_dialog: Callable[[str], None] | None) -> None:
    """Route uncaught exceptions to the log (and ``show_dialog``, if given)."""
    global _show_dialog
    _show_dialog = show_dialog
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook
