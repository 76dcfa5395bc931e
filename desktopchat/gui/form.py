"""The shared base of the app's modal form dialogs (join a room, host a room).

:class:`FormDialog` holds the dialog habits of IDLE's ``query.Query``: a
``Toplevel`` subclass, withdrawn until laid out, then shown centred over its
master; ``transient`` and ``grab_set``; Return (and keypad Enter) = OK, Escape
and the window's close button = Cancel; one red error line under the fields;
the outcome in ``.result`` (None = cancelled). The constructor does not block;
callers do ``master.wait_window(dialog)`` (or use a helper such as
:func:`desktopchat.gui.login.ask_login`).

Decisions:

* The app shows its first dialog before its main window, over a withdrawn
  root. A dialog transient to a withdrawn window stays hidden, so when the
  master is not viewable the dialog is not made transient and is centred on
  the screen. If a window manager then maps the owner on top of the dialog,
  the dialog lifts itself again once (``relift`` on the owner's ``<Map>``).
* Return on the focused Cancel button cancels (users expect the focused button
  to act); everywhere else Return means OK.
* Long hint and error lines wrap to the width of the fields; they never widen
  the dialog.
"""

from __future__ import annotations

import contextlib
import logging
import tkinter as tk
from tkinter import ttk
from typing import Generic, TypeVar

from desktopchat.gui import theme
from desktopchat.gui.placement import show_centred
from desktopchat.gui.title import dialog_title
from desktopchat.gui.wmclass import WINDOW_CLASS

__all__ = ["ENTRY_WIDTH", "FormDialog"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Width of the entry fields in characters.
ENTRY_WIDTH = 36


class FormDialog(tk.Toplevel, Generic[T]):
    """A modal form: labelled fields, one error line, OK and Cancel buttons.

    Subclasses build their fields with :meth:`add_field` and :meth:`add_note`,
    implement :meth:`submit`, and end their ``__init__`` with :meth:`finish`,
    which lays the form out and shows it.
    """

    # How often and how long to retry grab_set while the window is being mapped.
    _GRAB_RETRY_MS = 20
    _GRAB_RETRIES = 100

    def __init__(self, master: tk.Misc, title: str) -> None:
        super().__init__(master, class_=WINDOW_CLASS)
        self.result: T | None = None
        self.withdraw()  # hidden until laid out, so it never flashes in a corner
        self.title(dialog_title(title))
        self.resizable(False, False)
        owner = master.winfo_toplevel()
        # Transient to a withdrawn (or iconified) window would hide the dialog with it.
        # wm_state() rather than winfo_viewable(): a window shown a moment ago may
        # not be mapped yet, but it will be.
        self._over_master = owner.wm_state() == "normal"
        if self._over_master:
            self.transient(owner)
        self._owner = owner
        self._grab_after: str | None = None
        self._grab_tries = 0
        self._fields: dict[str, ttk.Entry] = {}
        self._wrapped: list[tuple[ttk.Label, int]] = []
        self._row = 0

        self.protocol("WM_DELETE_WINDOW", self.cancel)
        self.bind("<Escape>", self.cancel)
        self.bind("<Return>", self.ok)
        self.bind("<KP_Enter>", self.ok)

        self.body = ttk.Frame(self, padding=(16, 14, 16, 8))
        self.body.grid(row=0, column=0, sticky="nsew")
        self.body.columnconfigure(1, weight=1)

    # --- building ---------------------------------------------------------------

    def add_field(
        self,
        key: str,
        label: str,
        value: str = "",
        *,
        show: str = "",
        hint: str = "",
        width: int = 0,
    ) -> ttk.Entry:
        """Add a labelled entry (and an optional grey hint below it).

        ``width`` (characters) makes a short entry, e.g. for a port; by default
        the entry fills the form's width.
        """
        ttk.Label(self.body, text=label).grid(
            row=self._row, column=0, sticky="w", padx=(0, 10), pady=(6, 0)
        )
        entry = ttk.Entry(self.body, width=width or ENTRY_WIDTH, show=show)
        entry.insert(0, value)
        entry.grid(row=self._row, column=1, sticky="w" if width else "ew", pady=(6, 0))
        self._row += 1
        if hint:
            self.add_note(hint, column=1, pady=(1, 0))
        self._fields[key] = entry
        return entry

    def add_note(self, text: str, *, column: int = 0, pady: tuple[int, int] = (10, 0)) -> ttk.Label:
        """Add a grey line of text (a hint under a field, or a note under the form)."""
        return self._add_wrapped(text, "hint", column, pady)

    def _add_wrapped(self, text: str, role: str, column: int, pady: tuple[int, int]) -> ttk.Label:
        # Wrapped at one pixel until _show() knows the form's width: a long
        # sentence must wrap to the fields, never widen the dialog.
        label = ttk.Label(self.body, text=text, wraplength=1, justify="left")
        # The hint's grey or the error's red of the current theme (palette.py).
        theme.subscribe(label, lambda p: label.configure(foreground=getattr(p, role)))
        label.grid(row=self._row, column=column, columnspan=2 - column, sticky="w", pady=pady)
        self._wrapped.append((label, column))
        self._row += 1
        return label

    def finish(self, ok_text: str, error: str | None) -> None:
        """Add the error line and the buttons, lay out, and show the dialog."""
        self.error_label = self._add_wrapped("", "form_error", 0, (10, 0))
        self.error_label.grid_remove()

        buttons = ttk.Frame(self, padding=(16, 4, 16, 14))
        buttons.grid(row=1, column=0, sticky="e")
        self.ok_button = ttk.Button(buttons, text=ok_text, default="active", command=self.ok)
        self.ok_button.grid(row=0, column=0, padx=(0, 8))
        self.cancel_button = ttk.Button(buttons, text="Cancel", command=self.cancel)
        self.cancel_button.grid(row=0, column=1)
        self.cancel_button.bind("<Return>", self._cancel_from_button)
        self.cancel_button.bind("<KP_Enter>", self._cancel_from_button)

        if error:
            self.show_error(error)
        self._show()
        self.focus_first_empty()

    def _show(self) -> None:
        self.update_idletasks()  # sizes are known only after layout
        for label, column in self._wrapped:
            bbox = self.body.grid_bbox(column, 0, 1, 0)
            label.configure(wraplength=max(bbox[2] if bbox else 0, 100))
        owner = self._owner
        show_centred(self, owner, over_owner=self._over_master, down=2)
        if self._over_master and not owner.winfo_ismapped():
            # A window manager maps the owner after us and stacks it on top, hiding
            # the dialog (seen with openbox): lift again once the owner appears.
            # The binding stays but fires once (tkinter's unbind(seq, funcid)
            # would drop the app's own <Map> bindings too).
            pending = [True]

            def relift(event: tk.Event[tk.Misc]) -> None:
                if event.widget is owner and pending and self.winfo_exists():
                    pending.clear()
                    self.lift()

            owner.bind("<Map>", relift, add="+")
        self._try_grab()

    def _try_grab(self) -> None:
        self._grab_after = None
        try:
            self.grab_set()
        except tk.TclError:
            # "window not viewable": the window manager has not mapped it yet.
            self._grab_tries += 1
            if self._grab_tries < self._GRAB_RETRIES:
                self._grab_after = self.after(self._GRAB_RETRY_MS, self._try_grab)
            else:
                log.warning("dialog %r could not grab input; it stays non-modal", self.title())

    # --- fields and errors ----------------------------------------------------------

    def field(self, key: str) -> ttk.Entry:
        """Return the entry added under ``key``."""
        return self._fields[key]

    def value(self, key: str) -> str:
        """Return the text of the entry added under ``key``."""
        return self._fields[key].get()

    def focus_first_empty(self) -> None:
        """Focus the first empty field (or the first field when all are filled)."""
        entries = list(self._fields.values())
        target = next((e for e in entries if not e.get()), entries[0])
        target.focus_set()
        target.icursor("end")

    def focus_field(self, key: str) -> None:
        """Focus a field and select its text, so typing replaces the bad value."""
        entry = self._fields.get(key)
        if entry is None:
            return
        entry.focus_set()
        entry.selection_range(0, "end")
        entry.icursor("end")

    def show_error(self, message: str) -> None:
        """Show ``message`` on the red error line."""
        self.error_label.configure(text=message)
        self.error_label.grid()

    def clear_error(self) -> None:
        """Hide the error line."""
        self.error_label.configure(text="")
        self.error_label.grid_remove()

    @property
    def error_text(self) -> str:
        """The error line's text ("" when none is shown)."""
        return str(self.error_label.cget("text"))

    # --- outcome -------------------------------------------------------------------

    def submit(self) -> bool:
        """Validate and act on the fields; return True to close. Subclasses implement."""
        raise NotImplementedError

    def ok(self, event: tk.Event[tk.Misc] | None = None) -> str:
        """OK button, Return: close with a result, or show why not."""
        if self.submit():
            self._close()
        return "break"

    def cancel(self, event: tk.Event[tk.Misc] | None = None) -> str:
        """Cancel button, Escape, window close: close with ``result`` None."""
        self.result = None
        self._close()
        return "break"

    def _cancel_from_button(self, event: tk.Event[tk.Misc]) -> str:
        return self.cancel(event)

    def _close(self) -> None:
        self.destroy()

    def destroy(self) -> None:
        """Release the grab, cancel pending retries, give focus back, and destroy."""
        if self._grab_after is not None:
            self.after_cancel(self._grab_after)
            self._grab_after = None
        with contextlib.suppress(tk.TclError):
            self.grab_release()
        super().destroy()
        if self._over_master:
            with contextlib.suppress(tk.TclError):  # the master may be gone too
                self._owner.focus_set()
