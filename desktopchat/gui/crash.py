"""The error dialog for unexpected exceptions, and Tk's hook into it.

``desktopchat.applog`` does the logging and decides when a dialog is due; this
module only draws it, because only ``desktopchat.gui`` may import tkinter.

* :func:`show_error_dialog` -- for an exception that ends the process
  (``applog.install_excepthook(show_error_dialog)`` in ``__main__``). It makes a
  fresh, hidden Tk root: the app's own root may be gone or broken by then.
* :func:`route_tk_errors` -- for an exception in a Tk callback (a button, an
  ``after()`` poll). Tk's default prints the traceback to stderr, which a
  windowed app does not have; this logs it and shows the dialog over the app's
  window, and the app keeps running. Call it on the root in the program's
  entry path only -- GUI tests install their own ``report_callback_exception``
  that fails the test, and must not get a modal dialog instead.
"""

from __future__ import annotations

import tkinter as tk
from tkinter import messagebox
from types import TracebackType

from desktopchat import applog

TITLE = "desktopchat — error"


def show_error_dialog(message: str, parent: tk.Misc | None = None) -> None:
    """Show ``message`` in a modal error box and wait until it is dismissed."""
    if parent is not None:
        messagebox.showerror(TITLE, message, parent=parent)
        return
    root = tk.Tk()
    root.withdraw()
    try:
        messagebox.showerror(TITLE, message, parent=root)
    finally:
        root.destroy()


def route_tk_errors(root: tk.Tk) -> None:
    """Send exceptions raised in ``root``'s callbacks to the log and the dialog."""

    def report(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        def dialog(message: str) -> None:
            show_error_dialog(message, parent=root)

        applog.report_exception(exc_type, exc, tb, fatal=False, show_dialog=dialog)

    root.report_callback_exception = report
