"""Room ▸ Room info… and Room ▸ Invite people…: two small windows about the current room.

:class:`RoomInfoWindow` shows a :class:`RoomInfo`: the room's name, its
address(es), encrypted or not, the long fingerprint (selectable, with Copy),
the protocol version, the number of members and, when hosting, the
invitation. A member of a room they trusted can "Forget identity…" there:
the next visit asks again (the explicit way to re-trust a room whose identity
changed).

:class:`InvitationWindow` is the host's invitation "panel": the text of
:meth:`desktopchat.net.invite.Invitation.text` (what to paste into any
messenger: the link, the addresses, the short fingerprint, whether a password
is needed) with "Copy invitation" and "Copy link". It opens when hosting
starts and from Room ▸ Invite people…; it is not modal.

Both read their data once, when opened (Room info is a snapshot; opening it
again shows the present).
"""

from __future__ import annotations

import contextlib
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass, field
from tkinter import ttk
from typing import TYPE_CHECKING

from desktopchat.gui.placement import show_centred
from desktopchat.gui.title import dialog_title
from desktopchat.gui.trust import copy_to_clipboard, fingerprint_box
from desktopchat.gui.wmclass import WINDOW_CLASS

if TYPE_CHECKING:
    from desktopchat.net.invite import Invitation

__all__ = ["InvitationWindow", "RoomInfo", "RoomInfoWindow"]

#: Wrap width of the windows' sentences (pixels).
WRAP = 480


@dataclass(frozen=True)
class RoomInfo:
    """What Room info shows (None: not known / not connected)."""

    room_name: str | None
    addresses: list[str]
    encrypted: bool | None
    fingerprint: str | None
    version: int | None
    members: int
    hosting: bool = False
    encrypted_only: bool = False
    invitation: Invitation | None = None
    #: Whether a fingerprint is pinned for the joined address (Forget identity…).
    pinned: bool = False
    joined: tuple[str, int] | None = None
    notes: list[str] = field(default_factory=list)

    def encryption_text(self) -> str:
        if self.encrypted is None:
            return "not connected"
        if not self.encrypted:
            return "no: anyone on this network can read the room"
        if self.hosting and self.encrypted_only:
            return "yes (TLS 1.3); unencrypted connections are refused"
        if self.hosting:
            return "yes (TLS 1.3) for desktopchat; older console clients are marked unencrypted"
        return "yes (TLS 1.3), the room's identity checked against its fingerprint"

    def version_text(self) -> str:
        if self.version is None:
            return "—"
        return {0: "plain relay (no room events)", 1: "1 (tutorial)"}.get(
            self.version, f"{self.version} (confirms messages, resumes after a drop)"
        )


class _SmallWindow(tk.Toplevel):
    """A non-modal window with a grid body and a row of buttons; Escape closes it."""

    def __init__(self, master: tk.Misc, title: str) -> None:
        super().__init__(master, class_=WINDOW_CLASS)
        self.withdraw()
        self.title(dialog_title(title))
        self.resizable(False, False)
        owner = master.winfo_toplevel()
        self._owner = owner
        if owner.wm_state() == "normal":
            self.transient(owner)
        self.protocol("WM_DELETE_WINDOW", self.destroy)
        self.bind("<Escape>", lambda _e: self.destroy())
        self.body = ttk.Frame(self, padding=(16, 14, 16, 8))
        self.body.grid(row=0, column=0, sticky="nsew")
        self.body.columnconfigure(1, weight=1)
        self.buttons = ttk.Frame(self, padding=(16, 4, 16, 14))
        self.buttons.grid(row=1, column=0, sticky="ew")
        self.buttons.columnconfigure(0, weight=1)
        self.copied = ttk.Label(self.buttons, text="")
        self.copied.grid(row=0, column=0, sticky="w")
        self._row = 0

    def row(self, label: str, value: str) -> ttk.Label:
        ttk.Label(self.body, text=label).grid(
            row=self._row, column=0, sticky="nw", padx=(0, 12), pady=2
        )
        shown = ttk.Label(self.body, text=value, wraplength=WRAP, justify="left")
        shown.grid(row=self._row, column=1, sticky="w", pady=2)
        self._row += 1
        return shown

    def widget_row(self, label: str, widget: tk.Widget) -> None:
        ttk.Label(self.body, text=label).grid(
            row=self._row, column=0, sticky="nw", padx=(0, 12), pady=(6, 2)
        )
        widget.grid(row=self._row, column=1, sticky="w", pady=(6, 2))
        self._row += 1

    def button(self, text: str, command: Callable[[], object]) -> ttk.Button:
        column = len(self.buttons.grid_slaves()) + 1
        button = ttk.Button(self.buttons, text=text, command=command)
        button.grid(row=0, column=column, padx=(8, 0))
        return button

    def copy(self, text: str, what: str) -> None:
        """Put ``text`` on the clipboard and say so."""
        copy_to_clipboard(self, text)
        self.copied.configure(text=f"{what} copied.")

    def show(self) -> None:
        show_centred(self, self._owner, over_owner=True)
        with contextlib.suppress(tk.TclError):
            self.focus_set()


def _invitation_text(master: tk.Misc, text: str) -> tk.Text:
    """The invitation, read-only but selectable, sized to its lines."""
    lines = text.splitlines() or [""]
    width = min(max(len(line) for line in lines) + 1, 90)
    rows = sum(max(1, -(-len(line) // width)) for line in lines)  # a long link wraps
    style = ttk.Style(master)
    box = tk.Text(
        master,
        height=rows,
        width=width,
        wrap="char",
        relief="solid",
        borderwidth=1,
        padx=8,
        pady=6,
        background=style.lookup("TEntry", "fieldbackground") or "white",
        foreground=style.lookup("TEntry", "foreground") or "black",
        highlightthickness=0,
    )
    box.insert("1.0", text)
    box.configure(state="disabled")
    return box


class InvitationWindow(_SmallWindow):
    """The host's invitation with Copy buttons (see the module docstring)."""

    def __init__(self, master: tk.Misc, invitation: Invitation) -> None:
        super().__init__(master, f"Invite people to {invitation.room_name}")
        self.invitation = invitation
        intro = ttk.Label(
            self.body,
            text="Send this invitation to the people you want in the room, by e-mail or in "
            "any messenger. They open desktopchat, choose Room ▸ Join room… and paste it; "
            "desktopchat checks the room's fingerprint for them.",
            wraplength=WRAP + 120,
            justify="left",
        )
        intro.grid(row=0, column=0, columnspan=2, sticky="w", pady=(0, 8))
        self.text = _invitation_text(self.body, invitation.text())
        self.text.grid(row=1, column=0, columnspan=2, sticky="w")
        self._row = 2
        self.copy_button = self.button("Copy invitation", self.copy_invitation)
        self.link_button = self.button("Copy link", self.copy_link)
        self.close_button = self.button("Close", self.destroy)
        self.show()
        self.copy_button.focus_set()

    def copy_invitation(self) -> None:
        """Copy the whole invitation text."""
        self.copy(self.invitation.text(), "Invitation")

    def copy_link(self) -> None:
        """Copy only the desktopchat:// link."""
        self.copy(self.invitation.link(), "Link")


class RoomInfoWindow(_SmallWindow):
    """Room ▸ Room info… (see the module docstring)."""

    def __init__(
        self, master: tk.Misc, info: RoomInfo, on_forget: Callable[[], object] | None = None
    ) -> None:
        super().__init__(master, "Room info")
        self.info = info
        self._on_forget = on_forget
        self.row("Room:", info.room_name or "—")
        self.row("Address:" if len(info.addresses) < 2 else "Addresses:", _lines(info.addresses))
        self.encryption_label = self.row("Encrypted:", info.encryption_text())
        self.fingerprint_text: tk.Text | None = None
        if info.fingerprint:
            from desktopchat.net.tls import long_fingerprint

            self.fingerprint_text = fingerprint_box(self.body, long_fingerprint(info.fingerprint))
            self.widget_row("Fingerprint:", self.fingerprint_text)
            note = (
                "Members compare this with the one their desktopchat shows."
                if info.hosting
                else "Compare this with the one the host sees in their Room info."
            )
            self.row("", note)
        self.row("Protocol:", info.version_text())
        self.row("Members:", str(info.members) if info.encrypted is not None else "—")
        for note in info.notes:
            self.row("", note)
        if info.invitation is not None:
            self.widget_row("Invitation:", _invitation_text(self.body, info.invitation.text()))
        if info.fingerprint:
            self.button("Copy fingerprint", self.copy_fingerprint)
        if info.invitation is not None:
            self.button("Copy invitation", self.copy_invitation)
        self.forget_button: ttk.Button | None = None
        if info.pinned and not info.hosting and on_forget is not None:
            self.forget_button = self.button("Forget identity…", self.forget_identity)
        self.close_button = self.button("Close", self.destroy)
        self.show()
        self.close_button.focus_set()

    def copy_fingerprint(self) -> None:
        """Copy the long fingerprint."""
        from desktopchat.net.tls import long_fingerprint

        if self.info.fingerprint:
            self.copy(long_fingerprint(self.info.fingerprint), "Fingerprint")

    def copy_invitation(self) -> None:
        """Copy the invitation text (hosting)."""
        if self.info.invitation is not None:
            self.copy(self.info.invitation.text(), "Invitation")

    def forget_identity(self) -> None:
        """Forget the trusted fingerprint (after asking): the next visit asks again."""
        if self.ask_forget() and self._on_forget is not None:
            self._on_forget()
            self.copied.configure(text="Forgotten: the next visit asks again.")
            if self.forget_button is not None:
                self.forget_button.state(["disabled"])

    def ask_forget(self) -> bool:
        """Ask before forgetting (tests replace it)."""
        from tkinter import messagebox

        return bool(
            messagebox.askyesno(
                dialog_title("Forget identity"),
                "Forget the identity you trusted for this room?",
                detail="The next time you join it, desktopchat shows its fingerprint and asks "
                "again. Do this when the host told you the room's identity changed.",
                default=messagebox.NO,
                parent=self,
            )
        )


def _lines(items: list[str]) -> str:
    return "\n".join(items) if items else "—"
