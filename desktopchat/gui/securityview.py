"""The window's side of encryption, identity and hosting (a mixin of :class:`ChatApp`).

:class:`SecurityView` implements the :class:`~.presenter.View` methods about
the room's identity and the hosted room -- the status bar's lock, the trust
and mismatch dialogs, the invitation window, reachability warnings -- and
the menu commands Room ▸ Room info… and Room ▸ Invite people…. The decisions
are the presenter's (:mod:`.security`, :mod:`.hosting`); this module opens
windows and hands the user's answer back.

Dialogs the presenter asks for open on their own turn (``after_idle``), never
inside the event pump's tick. While hosting, a timer calls
:meth:`Presenter.hosting_tick` every :data:`~.hosting.TICK_MS`.
"""

from __future__ import annotations

import contextlib
import tkinter as tk
from typing import TYPE_CHECKING

from desktopchat.gui.hosting import TICK_MS
from desktopchat.gui.security import PinWarning, TrustQuestion

if TYPE_CHECKING:
    from desktopchat.gui.presenter import Presenter
    from desktopchat.gui.pump import EventPump
    from desktopchat.gui.roominfo import InvitationWindow, RoomInfo, RoomInfoWindow
    from desktopchat.gui.transcript import Transcript
    from desktopchat.gui.trust import PinMismatchDialog, TrustDialog
    from desktopchat.gui.window import MainWindow
    from desktopchat.net.invite import Invitation
    from desktopchat.protocol import events as ev

__all__ = ["SecurityView"]


class SecurityView:
    """Identity dialogs, the lock, the invitation and Room info; mixed into ChatApp."""

    if TYPE_CHECKING:  # provided by ChatApp
        root: tk.Tk
        closed: bool
        presenter: Presenter
        window: MainWindow
        transcript: Transcript
        pump: EventPump[ev.Event]

    #: The open identity dialog, the invitation window and Room info (None: not open).
    identity_dialog: TrustDialog | PinMismatchDialog | None = None
    invitation_window: InvitationWindow | None = None
    room_info_window: RoomInfoWindow | None = None
    _host_tick: str | None = None

    # --- View ---------------------------------------------------------------------

    def set_security(self, encrypted: bool | None, fingerprint: str | None) -> None:
        """The status bar's lock (encrypted) or "unencrypted" mark; nothing when offline."""
        self.window.security_mark.set(encrypted, fingerprint)

    def ask_trust(self, question: TrustQuestion) -> None:
        """First visit to an encrypted room: show its fingerprint and ask."""
        self.root.after_idle(self._open_identity_dialog, question)

    def pin_mismatch(self, warning: PinWarning) -> None:
        """A trusted room showed another identity: warn; re-trusting is explicit."""
        self.root.after_idle(self._open_identity_dialog, warning)

    def show_invitation(self, invitation: Invitation) -> None:
        """Hosting started: show the invitation (and start the hosting timer)."""
        self._start_host_tick()
        self.root.after_idle(self.invite_people)

    def host_warning(self, text: str) -> None:
        """A reachability problem: keep it in the status bar while hosting."""
        from desktopchat.gui import theme

        colour = theme.palette(self.root).form_error
        self.window.hosting_label.configure(text=f"⚠ {text}", foreground=colour)

    # --- menu commands ---------------------------------------------------------

    def invite_people(self) -> None:
        """Room ▸ Invite people…: the invitation with Copy (hosting only)."""
        hosted = self.presenter.hosted
        if self.closed:
            return
        if hosted is None:
            self.transcript.add_event(
                "You are not hosting a room: Room ▸ Host room… makes one and its invitation."
            )
            self.transcript.flush()
            return
        from desktopchat.gui.roominfo import InvitationWindow  # the windows load when opened

        _destroy(self.invitation_window)
        self.invitation_window = InvitationWindow(self.root, hosted.invitation)

    def show_room_info(self) -> None:
        """Room ▸ Room info…"""
        if self.closed:
            return
        from desktopchat.gui.roominfo import RoomInfoWindow

        _destroy(self.room_info_window)
        self.room_info_window = RoomInfoWindow(
            self.root, self.room_info(), on_forget=self._forget_identity
        )

    def room_info(self) -> RoomInfo:
        """What Room info shows now."""
        from desktopchat.gui.roominfo import RoomInfo

        p = self.presenter
        hosted = p.hosted
        joined = p.address if p.client is not None else None
        if hosted is not None:
            addresses = hosted.addresses
        elif joined is not None:
            from desktopchat.address import format_address

            addresses = [format_address(*joined)]
        else:
            addresses = []
        pinned = joined is not None and p.security.known.get(*joined) is not None
        members = len(self.window.userlist.names()) if p.online else 0
        return RoomInfo(
            room_name=p.room_name,
            addresses=addresses,
            encrypted=p.encrypted,
            fingerprint=p.security.fingerprint,
            version=p.version if p.online else None,
            members=members,
            hosting=hosted is not None,
            encrypted_only=bool(hosted and hosted.invitation.encrypted_only),
            invitation=hosted.invitation if hosted is not None else None,
            pinned=pinned,
            joined=joined,
        )

    # --- the answers -------------------------------------------------------------

    def _open_identity_dialog(self, ask: TrustQuestion | PinWarning) -> None:
        if self.closed:
            return
        from desktopchat.gui.trust import PinMismatchDialog, TrustDialog

        _destroy(self.identity_dialog)
        dialog: TrustDialog | PinMismatchDialog
        if isinstance(ask, TrustQuestion):
            dialog = TrustDialog(self.root, ask)
        else:
            dialog = PinMismatchDialog(self.root, ask)
        self.identity_dialog = dialog

        def on_destroy(event: tk.Event[tk.Misc]) -> None:
            if event.widget is not dialog or self.identity_dialog is not dialog:
                return
            self.identity_dialog = None
            if not self.closed and dialog.result:
                self.root.after_idle(self._answered, ask)

        dialog.bind("<Destroy>", on_destroy, add=True)

    def _answered(self, ask: TrustQuestion | PinWarning) -> None:
        if isinstance(ask, TrustQuestion):
            self.presenter.trust_room(ask.host, ask.port, ask.fingerprint)
        elif ask.actual is None:
            self.presenter.connect_unencrypted(ask.host, ask.port)
        else:
            self.presenter.trust_room(ask.host, ask.port, ask.actual)
        self._after_join()

    def _after_join(self) -> None:
        """Draw what the presenter showed and look at the new client's queue at once."""
        self.transcript.flush()
        self.pump.poke()

    def _forget_identity(self) -> None:
        joined = self.presenter.address
        if joined is not None:
            self.presenter.forget_identity(*joined)
            self._after_join()

    # --- the hosting timer ---------------------------------------------------------

    def _start_host_tick(self) -> None:
        self.stop_host_tick()
        self._host_tick = self.root.after(TICK_MS, self._hosting_tick)

    def _hosting_tick(self) -> None:
        self._host_tick = None
        if self.closed or self.presenter.hosted is None:
            return
        self.presenter.hosting_tick()
        self._after_join()
        self._host_tick = self.root.after(TICK_MS, self._hosting_tick)

    def stop_host_tick(self) -> None:
        """Cancel the hosting timer (leaving, quitting)."""
        if self._host_tick is not None:
            with contextlib.suppress(tk.TclError):
                self.root.after_cancel(self._host_tick)
            self._host_tick = None


def _destroy(window: tk.Toplevel | None) -> None:
    if window is not None:
        with contextlib.suppress(tk.TclError):
            if window.winfo_exists():
                window.destroy()
