"""The two identity dialogs: trust a room on first visit, and "the room's identity changed".

:class:`TrustDialog` shows a :class:`~.security.TrustQuestion` (the room's
long fingerprint, how to compare it with the host's) with "Trust and join"
and "Cancel". :class:`PinMismatchDialog` shows a :class:`~.security.PinWarning`
modelled on SSH's "REMOTE HOST IDENTIFICATION HAS CHANGED": both
fingerprints, Cancel as the default, and a separate "Trust the new
identity…" (or "Connect without encryption…") button that asks once more
before anything is trusted. The sentences come from :mod:`.security`; this
module only lays them out.

Both are modal ``Toplevel`` dialogs (IDLE's habits: withdrawn until laid out,
transient, grab, Escape and the close button = Cancel) with the outcome in
``.result`` (True = trust/join, None = cancelled). :func:`fingerprint_box`
(a selectable, copyable fingerprint) is shared with Room info.
"""

from __future__ import annotations

import contextlib
import tkinter as tk
from collections.abc import Callable
from tkinter import font as tkfont
from tkinter import messagebox, ttk

from desktopchat.gui.placement import show_centred
from desktopchat.gui.security import PinWarning, TrustQuestion
from desktopchat.gui.title import dialog_title
from desktopchat.gui.wmclass import WINDOW_CLASS

__all__ = ["PinMismatchDialog", "TrustDialog", "copy_to_clipboard", "fingerprint_box"]

#: Wrap width of the dialogs' paragraphs (pixels).
WRAP = 460


def copy_to_clipboard(widget: tk.Misc, text: str) -> None:
    """Put ``text`` on the clipboard (it stays there while the app runs)."""
    widget.clipboard_clear()
    widget.clipboard_append(text)


def fingerprint_box(master: tk.Misc, fingerprint: str) -> tk.Text:
    """A read-only, selectable fingerprint in a fixed-width font (groups of 4, 8 a line)."""
    groups = fingerprint.split()
    lines = [" ".join(groups[i : i + 8]) for i in range(0, len(groups), 8)] or [""]
    fixed = tkfont.nametofont("TkFixedFont").actual()
    style = ttk.Style(master)
    background = style.lookup("TEntry", "fieldbackground") or "white"
    foreground = style.lookup("TEntry", "foreground") or "black"
    box = tk.Text(
        master,
        height=len(lines),
        width=max(len(line) for line in lines),
        font=(fixed["family"], fixed["size"] + 1, "bold"),
        wrap="none",
        relief="solid",
        borderwidth=1,
        padx=8,
        pady=6,
        background=background,
        foreground=foreground,
        highlightthickness=0,
        cursor="xterm",
    )
    box.insert("1.0", "\n".join(lines))
    box.configure(state="disabled")  # still selectable and copyable
    return box


class _IdentityDialog(tk.Toplevel):
    """Heading, paragraphs, fingerprints and a row of buttons; modal."""

    def __init__(self, master: tk.Misc, title: str, icon: str) -> None:
        super().__init__(master, class_=WINDOW_CLASS)
        self.withdraw()
        self.title(dialog_title(title))
        self.resizable(False, False)
        self.result: bool | None = None
        owner = master.winfo_toplevel()
        self._owner = owner
        self._transient = owner.wm_state() == "normal"
        if self._transient:
            self.transient(owner)
        self.protocol("WM_DELETE_WINDOW", self.cancel)
        self.bind("<Escape>", self.cancel)
        self.body = ttk.Frame(self, padding=(16, 14, 16, 8))
        self.body.grid(row=0, column=0, sticky="nsew")
        self.body.columnconfigure(1, weight=1)
        with contextlib.suppress(tk.TclError):  # Tk's own dialog icons
            ttk.Label(self.body, image=f"::tk::icons::{icon}").grid(
                row=0, column=0, rowspan=2, sticky="n", padx=(0, 14)
            )
        self._row = 0
        self.buttons = ttk.Frame(self, padding=(16, 4, 16, 14))
        self.buttons.grid(row=1, column=0, sticky="e")

    def heading(self, text: str) -> ttk.Label:
        base = tkfont.nametofont("TkDefaultFont").actual()
        label = ttk.Label(
            self.body,
            text=text,
            font=(base["family"], base["size"] + 2, "bold"),
            wraplength=WRAP,
            justify="left",
        )
        label.grid(row=self._row, column=1, sticky="w", pady=(0, 8))
        self._row += 1
        return label

    def paragraph(self, text: str) -> ttk.Label:
        label = ttk.Label(self.body, text=text, wraplength=WRAP, justify="left")
        label.grid(row=self._row, column=1, sticky="w", pady=(0, 8))
        self._row += 1
        return label

    def fingerprint(self, caption: str, fingerprint: str) -> tk.Text:
        ttk.Label(self.body, text=caption).grid(row=self._row, column=1, sticky="w")
        box = fingerprint_box(self.body, fingerprint)
        box.grid(row=self._row + 1, column=1, sticky="w", pady=(2, 10))
        self._row += 2
        return box

    def button(
        self, text: str, command: Callable[[], object], *, default: bool = False
    ) -> ttk.Button:
        column = len(self.buttons.grid_slaves())
        button = ttk.Button(
            self.buttons, text=text, command=command, default="active" if default else "normal"
        )
        button.grid(row=0, column=column, padx=(8 if column else 0, 0))
        button.bind("<Return>", lambda _e: button.invoke())
        button.bind("<KP_Enter>", lambda _e: button.invoke())
        return button

    def show(self, focus: ttk.Button) -> None:
        """Centre over the owner (or the screen), show, grab, focus ``focus``."""
        show_centred(self, self._owner, over_owner=self._transient)
        focus.focus_set()
        self._grab(0)

    def _grab(self, tries: int) -> None:
        try:
            self.grab_set()
        except tk.TclError:  # not mapped yet
            if tries < 100 and self.winfo_exists():
                self.after(20, self._grab, tries + 1)

    def accept(self) -> None:
        self.result = True
        self.destroy()

    def cancel(self, _event: object = None) -> None:
        self.result = None
        self.destroy()

    def destroy(self) -> None:
        with contextlib.suppress(tk.TclError):
            self.grab_release()
        super().destroy()
        if self._transient:
            with contextlib.suppress(tk.TclError):
                self._owner.focus_set()


class TrustDialog(_IdentityDialog):
    """First visit: show the room's fingerprint; "Trust and join" or "Cancel"."""

    TITLE = "Check the room's identity"

    def __init__(self, master: tk.Misc, question: TrustQuestion) -> None:
        super().__init__(master, self.TITLE, "question")
        self.question = question
        self.heading(question.heading)
        self.paragraph(question.explanation)
        self.fingerprint_text = self.fingerprint(
            "The room's fingerprint (SHA-256):", question.long_fingerprint
        )
        self.paragraph(question.afterwards)
        self.trust_button = self.button("Trust and join", self.accept, default=True)
        self.cancel_button = self.button("Cancel", self.cancel)
        self.show(self.trust_button)


class PinMismatchDialog(_IdentityDialog):
    """A trusted room showed another identity: both fingerprints, Cancel by default.

    "Trust the new identity…" asks once more (default No); only a Yes there
    sets ``result`` True.
    """

    TITLE = "Warning: the room's identity changed"

    def __init__(self, master: tk.Misc, warning: PinWarning) -> None:
        super().__init__(master, self.TITLE, "warning")
        self.warning = warning
        self.heading(warning.heading)
        self.paragraph(warning.explanation)
        from desktopchat.net.tls import long_fingerprint

        self.fingerprint("Fingerprint you trusted:", long_fingerprint(warning.expected))
        if warning.actual is not None:
            self.fingerprint("Fingerprint the room shows now:", long_fingerprint(warning.actual))
            retrust = "Trust the new identity…"
        else:
            self.paragraph("This time the room offered no encryption at all.")
            retrust = "Connect without encryption…"
        self.paragraph(warning.advice)
        self.retrust_button = self.button(retrust, self.confirm_retrust)
        self.cancel_button = self.button("Cancel", self.cancel, default=True)
        self.show(self.cancel_button)

    def confirm_retrust(self) -> None:
        """Ask once more; trust only on an explicit Yes."""
        if self.warning.actual is None:
            question = (
                f"Connect to {self.warning.address} without encryption and forget the "
                "identity you trusted?"
            )
            detail = "Anyone on the network will be able to read the room and your password."
        else:
            question = f"Trust the new identity of {self.warning.address} and join?"
            detail = (
                "Do this only if the host confirmed that their fingerprint is the one "
                "shown now. desktopchat will refuse the old one from then on."
            )
        if self.ask(question, detail):
            self.accept()

    def ask(self, question: str, detail: str) -> bool:
        """The second question (tests replace it)."""
        return bool(
            messagebox.askyesno(
                dialog_title(self.TITLE),
                question,
                detail=detail,
                icon=messagebox.WARNING,
                default=messagebox.NO,
                parent=self,
            )
        )
