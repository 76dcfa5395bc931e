"""Everything that imports tkinter, and nothing else does.

:func:`run` is what ``python -m desktopchat`` (without ``--serve``) calls: it
creates the root window, sets the icon, builds the :class:`~.app.ChatApp`,
starts whichever flow the command line asked for, and runs the Tk main loop
until the window is closed. It returns the process exit code (0).

Start-up flows:

* nothing                -> the login dialog over the empty window
  (Cancel leaves the window open: Room ▸ Host room… is one click away);
* ``--join H:P``          -> the login dialog pre-filled with H:P;
* ``--join H:P --name N`` -> straight into the room (a bad name or a failed
  connection brings the login dialog up with the reason);
* ``--host [PORT]``       -> hosting at once with ``--name`` or the saved name;
  without a usable name, or when the port is taken, the Host dialog opens
  pre-filled so the user can fix it.

Modules: ``app`` (window and session), ``transcript``, ``userlist``,
``inputbox``, ``menus``, ``pump`` (queue drain), ``icon``, ``textwindow``;
``login`` and ``host`` are the dialogs.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
import threading
import tkinter as tk
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from desktopchat.gui.app import ChatApp

__all__ = ["NoWindow", "run"]

log = logging.getLogger(__name__)


class NoWindow(RuntimeError):
    """Tk could not open a window; ``str(exc)`` is the one line to tell the user."""


def run(
    *,
    join: tuple[str, int] | None = None,
    name: str | None = None,
    host_port: int | None = None,
    password: str | None = None,
    pin: str | None = None,
    theme: str | None = None,
    room_name: str | None = None,
    alternatives: tuple[tuple[str, int], ...] = (),
) -> int:
    """Open the chat window for the given start-up flow; return the exit code.

    ``pin`` is the room's fingerprint from a ``--join`` link (64 hex digits),
    ``room_name`` the room's name from it, ``alternatives`` its other addresses.
    """
    from desktopchat.settings import load_settings

    settings = load_settings()
    if (theme or settings.theme) == "system":
        from desktopchat.gui.theme import prefetch_system

        prefetch_system()  # the desktop is asked on a thread while the rest loads
    # Imported here so ``import desktopchat.gui`` stays cheap for --serve and tests.
    from desktopchat.gui.app import ChatApp
    from desktopchat.gui.icon import set_app_icon

    # Handlers first: Tk may map the window while the rest is built (a theme's
    # script can run `update`), and a SIGTERM then must close it, not kill it.
    flag = SignalFlag()
    previous = _quit_on_signals(flag)
    try:
        try:
            root = tk.Tk(className="desktopchat")
        except tk.TclError as exc:  # no display, or one we may not use
            from desktopchat.cliopts import no_window_message

            raise NoWindow(no_window_message(str(exc), os.environ.get("DISPLAY"))) from None
        _install_error_hook(root)
        set_app_icon(root)
        from desktopchat.gui.hosting import LanServices

        # The real network: announcing, the reachability check, "Rooms on this network".
        app = ChatApp(root, settings, theme=theme, lan=LanServices.real())  # --theme: this run
        flag.attach(app)
        root.after_idle(
            start_flow, app, join, name, host_port, password, pin, room_name, alternatives
        )
        try:
            root.mainloop()
        finally:
            app.quit()  # no-op after a normal close; stops threads if mainloop died
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    # The window is gone: now wait (briefly) for a hosted room to tell its
    # members it closed, and for the network thread to say goodbye.
    app.presenter.wait_stopped(2.0)
    # Free the Tcl interpreter on this (its own) thread: collected later from a
    # lingering thread, Tcl would abort the process on exit.
    del app, root
    gc.collect()
    return 0


def start_flow(
    app: ChatApp,
    join: tuple[str, int] | None,
    name: str | None,
    host_port: int | None,
    password: str | None,
    pin: str | None = None,
    room_name: str | None = None,
    alternatives: tuple[tuple[str, int], ...] = (),
) -> None:
    """Begin the flow the command line asked for (see the module docstring).

    ``pin`` (a ``--join`` link's fingerprint) pins that join; with no saved
    settings yet (the first start) the join dialog offers "Host a room…" too.
    """
    from dataclasses import replace

    from desktopchat.gui.defaults import default_name
    from desktopchat.gui.host import HostValues
    from desktopchat.gui.login import LoginValues
    from desktopchat.protocol import InvalidName, validate_name

    saved = app.settings
    if host_port is not None:
        values = HostValues(
            name=name or saved.name,
            port=host_port,
            password=password or "",
            room_name=saved.host_room_name,  # Host room…'s last choices
            encrypted_only=saved.host_encrypted_only,
            announce=saved.host_announce,
            max_file_size=saved.host_max_file_size,
            files_only_me=saved.host_files_only_me,
        )
        try:
            values = replace(values, name=validate_name(values.name))
        except InvalidName:
            app.host_room(values)
            return
        error = app.start_hosting(values)
        if error is not None:
            app.transcript.add_error(error)
            app.transcript.flush()
            app.set_status(f"failed: {error}")
            app.host_room(values)
        return
    if join is not None:
        host, port = join
        initial = LoginValues(
            name=name or default_name(saved.name),
            host=host,
            port=port,
            password=password or "",
            pin=pin,
            room_name=room_name,
            alternatives=alternatives,
        )
        if name is not None:
            try:
                checked = validate_name(name)
            except InvalidName as exc:
                app.show_login(str(exc), initial)
                return
            app.join(host, port, checked, password, pin, room_name, alternatives)
            return
        app.show_login(None, initial)
        return
    initial = LoginValues(
        name=name or default_name(saved.name),
        host=saved.host,
        port=saved.port,
        password=password or "",
    )
    from desktopchat.settings import settings_path

    app.show_login(None, initial, offer_host=not settings_path().exists())


_Handler = Callable[[int, FrameType | None], Any] | int | None


class SignalFlag:
    """Where the signal handler stores a signal's number: the window, once it exists.

    A signal that arrives before the window is built is kept and handed to it
    by :meth:`attach`; the window's own check then closes it.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self._app: ChatApp | None = None

    def store(self, signum: int) -> None:
        """The handler's only action: remember ``signum`` (and tell the window)."""
        self.signum = signum
        if self._app is not None:
            self._app.signal_received = signum

    def attach(self, app: ChatApp) -> None:
        """From now on signals go to ``app``; one that came earlier goes now."""
        self._app = app
        if self.signum is not None:
            app.signal_received = self.signum


def _quit_on_signals(flag: SignalFlag) -> dict[int, _Handler]:
    """Make SIGTERM and Ctrl+C (SIGINT) close the window like Quit (exit code 0).

    Without this, Ctrl+C in the terminal would surface as a KeyboardInterrupt
    inside some Tk callback, i.e. as the crash dialog. The handler only stores
    the signal number: logging or calling Tk from a handler can fail when the
    signal interrupts the same stream or call ("reentrant call"), and the stop
    would be lost. The window checks the flag every
    :data:`~desktopchat.gui.app.SIGNAL_CHECK_MS` and logs and quits there.
    Returns the previous handlers, to restore.
    """
    previous: dict[int, _Handler] = {}
    if threading.current_thread() is not threading.main_thread():
        return previous

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        flag.store(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(ValueError, OSError):  # not supported on this platform
            previous[signum] = signal.signal(signum, on_signal)
    return previous


def _install_error_hook(root: tk.Tk) -> None:
    """Route exceptions raised in Tk callbacks to the log and the error dialog."""
    from desktopchat.gui.crash import route_tk_errors

    route_tk_errors(root)
