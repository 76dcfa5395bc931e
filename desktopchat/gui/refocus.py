"""The message box gets the keyboard focus back after every dialog and on window activation.

Typed text must never go nowhere. :class:`FocusKeeper` puts the focus on the
message box (the input) when

* any other window of the app closes (``<Destroy>`` of a ``Toplevel``: the
  Join and Host dialogs, About and the help windows, the trust dialogs), and
  after a message box or the save dialog returned (:meth:`FocusKeeper.refocus`,
  called by the code that opened it: those are not ``Toplevel`` widgets);
* the main window is activated from outside (``FocusIn`` on the toplevel
  itself: the window manager gave the window the focus, e.g. after Alt+Tab or a
  click on its title bar; Tk then restores the last focused widget, which may
  be the transcript the user clicked to select text).

Moving the focus inside the window (a click, Tab) is left alone. The focus is
set on the next idle turn, after Tk's own restoring, and never while another
window of the app (a dialog) has the focus.
"""

from __future__ import annotations

import contextlib
import tkinter as tk
from typing import Protocol

__all__ = ["FocusKeeper"]


class Focusable(Protocol):
    """The widget that should have the focus (the input box)."""

    def focus_set(self) -> None: ...


class FocusKeeper:
    """Keeps the keyboard focus in the message box. See the module docstring."""

    def __init__(self, root: tk.Tk, target: Focusable) -> None:
        self.root = root
        self.target = target
        self._after: str | None = None
        self.closed = False
        root.bind("<FocusIn>", self._focus_in, add=True)
        # Dialogs are "Toplevel"s, or of the root's own class (WM_CLASS "Desktopchat").
        for window_class in {"Toplevel", root.winfo_class()}:
            root.bind_class(window_class, "<Destroy>", self._window_closed, add=True)

    def _focus_in(self, event: tk.Event[tk.Misc]) -> None:
        if event.widget is self.root:  # the window itself was activated
            self.refocus()

    def _window_closed(self, event: tk.Event[tk.Misc]) -> None:
        if isinstance(event.widget, tk.Toplevel):  # not the root, not a child widget
            self.refocus()

    def refocus(self) -> None:
        """Put the focus in the message box on the next idle turn."""
        if self.closed or self._after is not None:
            return
        with contextlib.suppress(tk.TclError):  # the window is being destroyed
            self._after = self.root.after_idle(self._apply)

    def _apply(self) -> None:
        self._after = None
        if self.closed:
            return
        try:
            current = self.root.focus_get()
        except (KeyError, tk.TclError):  # focus in a Tk-internal dialog: leave it there
            return
        if current is not None and current.winfo_toplevel() is not self.root:
            return  # another window of ours (a dialog) has it
        with contextlib.suppress(tk.TclError):
            self.target.focus_set()

    def close(self) -> None:
        """Stop (the window is going away)."""
        self.closed = True
        if self._after is not None:
            with contextlib.suppress(tk.TclError):
                self.root.after_cancel(self._after)
            self._after = None
