"""What the window asks and says about a room's encryption and identity (no Tk).

Trust on first use, with SSH's ``known_hosts`` as the model
(:mod:`desktopchat.net.pins`): :class:`RoomSecurity` keeps, for the
presenter, what the current connection is (encrypted or not, the room's
fingerprint) and decides which pin a join uses:

* a pin given to :meth:`Presenter.join` (from an invitation link or a room
  found on the network) is used as it is;
* otherwise the fingerprint trusted earlier for that address, if any;
* otherwise none, and the client asks first (``ask_first_use=True``): a room
  that speaks TLS posts ``Untrusted`` and the window shows
  :class:`TrustQuestion`; a room that does not is joined in plaintext and
  marked "unencrypted" in the status bar and the title for as long as we are
  in it.

A pinned room that shows another certificate, or none, posts ``PinMismatch``:
the window shows :class:`PinWarning` and joins nothing. Trusting the new
identity is a separate, explicit step that asks once more; nothing here ever
replaces a pin by itself. The status and dialog sentences live here so that
tests read them without a display.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from desktopchat.address import format_address
from desktopchat.protocol import events as ev

if TYPE_CHECKING:
    from desktopchat.client import ChatClient
    from desktopchat.gui.presenter import View
    from desktopchat.net.pins import KnownRooms

__all__ = [
    "IdentitySteps",
    "IdentityView",
    "PinWarning",
    "RoomSecurity",
    "TrustQuestion",
    "security_status",
]


class IdentityView(Protocol):
    """What the presenter asks of the window about the room's identity (Tk thread)."""

    def set_security(self, encrypted: bool | None, fingerprint: str | None) -> None: ...
    def ask_trust(self, question: TrustQuestion) -> None: ...
    def pin_mismatch(self, warning: PinWarning) -> None: ...


def _long(fp: str) -> str:
    from desktopchat.net.tls import long_fingerprint

    return long_fingerprint(fp)


def _short(fp: str) -> str:
    from desktopchat.net.tls import short_fingerprint

    return short_fingerprint(fp)


@dataclass(frozen=True)
class TrustQuestion:
    """First visit: the room at host:port showed a certificate nobody trusted yet."""

    host: str
    port: int
    fingerprint: str

    @property
    def address(self) -> str:
        return format_address(self.host, self.port)

    @property
    def heading(self) -> str:
        return f"Is this the room you meant to join at {self.address}?"

    @property
    def long_fingerprint(self) -> str:
        return _long(self.fingerprint)

    @property
    def explanation(self) -> str:
        return (
            "This is your first visit to this room. Its connection is encrypted, but "
            "anyone on the network could pretend to be it. Compare the fingerprint below "
            "with the host's: they see it in Room ▸ Room info…, and it is in the "
            "invitation they share (the first 16 digits are enough). Ask them by phone, "
            "in person or in another messenger you trust."
        )

    @property
    def afterwards(self) -> str:
        return (
            "If the fingerprints match, trust the room: desktopchat remembers it and "
            "refuses any other certificate at this address from now on. If they differ, "
            "cancel: someone may be reading this network."
        )


@dataclass(frozen=True)
class PinWarning:
    """A room we trusted showed another certificate (or none): nothing was joined."""

    host: str
    port: int
    expected: str
    actual: str | None  # None: the room did not offer encryption at all

    @property
    def address(self) -> str:
        return format_address(self.host, self.port)

    @property
    def heading(self) -> str:
        if self.actual is None:
            return f"The room at {self.address} did not offer encryption"
        return f"The identity of the room at {self.address} has changed"

    @property
    def explanation(self) -> str:
        common = (
            "Someone could be intercepting this connection (a man-in-the-middle attack) "
            "to read what you write and your password. It is also possible that the host "
            "reinstalled desktopchat or moved the room to another computer. Nothing was "
            "sent: not your name, not your password."
        )
        if self.actual is None:
            return (
                "You trusted this room's encryption before, but this time it answered "
                "without encryption, so anyone on the network could read the room. " + common
            )
        return "The room shows a different certificate from the one you trusted. " + common

    @property
    def fingerprints(self) -> str:
        expected = f"Trusted fingerprint:\n{_long(self.expected)}"
        if self.actual is None:
            return expected + "\nThis time: no encryption offered"
        return expected + f"\nShown now:\n{_long(self.actual)}"

    @property
    def advice(self) -> str:
        if self.actual is None:
            return (
                "Ask the host whether they changed the room. Connect without encryption "
                "only if you are sure no one else can read this network."
            )
        return (
            "Ask the host for the fingerprint in their Room ▸ Room info… (or a new "
            "invitation) and trust the new identity only if it matches the one shown now."
        )


def security_status(encrypted: bool | None, fingerprint: str | None) -> str:
    """What the status bar says about the connection ("" when not connected)."""
    if encrypted is None:
        return ""
    if encrypted and fingerprint:
        return f"encrypted · {_short(fingerprint)}"
    if encrypted:
        return "encrypted"
    return "unencrypted: others on the network can read this room"


class RoomSecurity:
    """The presenter's state about the current room's identity (see the module docstring).

    ``known`` is read from its file at each use unless one is given: another
    window of this user may have trusted or forgotten a room meanwhile.
    """

    def __init__(self, known: KnownRooms | None = None) -> None:
        self._known = known
        #: None while not connected; then whether this connection is encrypted.
        self.encrypted: bool | None = None
        #: The room's certificate fingerprint, when encrypted.
        self.fingerprint: str | None = None
        #: The pin of the current join (None: trust on first use).
        self.pin: str | None = None

    @property
    def known(self) -> KnownRooms:
        """The trusted rooms as the file says now (another window may have changed it)."""
        if self._known is not None:
            return self._known
        from desktopchat.net.pins import KnownRooms

        return KnownRooms()

    def client_options(self, host: str, port: int, pin: str | None) -> dict[str, Any]:
        """The ChatClient options of a join: its pin, or ``ask_first_use`` without one."""
        if pin is None:
            pin = self.known.get(host, port)
        self.pin = pin
        return {"pin": pin, "ask_first_use": pin is None}

    def connected(self, encrypted: bool, fingerprint: str | None) -> None:
        """The room let us in over this kind of connection."""
        self.encrypted = encrypted
        self.fingerprint = fingerprint if encrypted else None

    def remember(self, host: str, port: int) -> None:
        """A room joined with a pin from a link or the network's list, at an address
        never visited: remember it, so a later visit by address needs no question.
        An address already trusted keeps its fingerprint (re-trusting is explicit)."""
        if self.fingerprint and self.fingerprint == self.pin and self.known.get(host, port) is None:
            self.known.trust(host, port, self.fingerprint)

    def disconnected(self) -> None:
        """Not connected any more (left, failed, refused)."""
        self.encrypted = self.fingerprint = None

    def trust(self, host: str, port: int, fingerprint: str) -> None:
        """The user trusts this fingerprint at this address: remember it."""
        self.known.trust(host, port, fingerprint)

    def forget(self, host: str, port: int) -> None:
        """Trust nothing at this address any more (Room info ▸ Forget identity)."""
        self.known.forget(host, port)

    def status(self) -> str:
        """The status bar's security text for the current connection."""
        return security_status(self.encrypted, self.fingerprint)

    def short(self) -> str:
        """The short fingerprint of the current room ("" when not encrypted)."""
        return _short(self.fingerprint) if self.fingerprint else ""


class IdentitySteps:
    """The presenter's steps about the room's identity (a mixin of :class:`Presenter`).

    It relies on the presenter's ``view``, ``security``, ``client``,
    ``online``, ``join``, ``_close_client``, ``_event`` and ``_error``.
    """

    if TYPE_CHECKING:  # provided by Presenter
        view: View
        security: RoomSecurity
        client: ChatClient | None
        online: bool
        room_name: str | None
        address: tuple[str, int] | None

        def join(
            self,
            host: str,
            port: int,
            name: str,
            password: str | None = None,
            pin: str | None = None,
            room_name: str | None = None,
        ) -> None: ...
        def _close_client(self) -> None: ...
        def _event(self, text: str, when: float | None = None) -> None: ...
        def _error(self, text: str) -> None: ...
        def _update_title(self) -> None: ...

    #: (name, password) of the last join, to join again once the user trusts the room.
    _credentials: tuple[str, str | None] | None = None

    @property
    def encrypted(self) -> bool | None:
        """None while not in a room; else whether the connection is encrypted (the title)."""
        return self.security.encrypted

    def _secured(self, encrypted: bool | None, fingerprint: str | None = None) -> None:
        """The connection is now (un)encrypted, or gone (None): tell the view and the title."""
        if encrypted is None:
            self.security.disconnected()
        else:
            self.security.connected(encrypted, fingerprint)
            if self.address is not None:
                self.security.remember(*self.address)
        self.view.set_security(self.security.encrypted, self.security.fingerprint)
        self._update_title()

    def _identity_refused(self, event: ev.Untrusted | ev.PinMismatch) -> None:
        """The client stopped before sending anything: ask, or warn (see the module docstring)."""
        self._close_client()  # its thread ends by itself (Stopped follows)
        self._secured(None)
        self.view.users_reset([], None)  # not in that room
        address = format_address(event.host, event.port)
        if isinstance(event, ev.Untrusted):
            question = TrustQuestion(event.host, event.port, event.fingerprint)
            self._event(
                f"{address} is a room you have not visited before: check its fingerprint "
                f"({_short(event.fingerprint)}…) with the host before you trust it."
            )
            self.view.set_status(f"not connected: check the identity of {address}")
            self.view.ask_trust(question)
            return
        warning = PinWarning(event.host, event.port, event.expected, event.actual)
        self._error(f"Not joined: {warning.heading}. Nothing was sent.")
        self.view.set_status(f"not joined: the identity of {address} does not match")
        self.view.pin_mismatch(warning)

    def trust_room(self, host: str, port: int, fingerprint: str) -> None:
        """The user trusts ``fingerprint`` at host:port: remember it and join again with it."""
        self.security.trust(host, port, fingerprint)
        self._event(f"You trust the room at {format_address(host, port)} ({_short(fingerprint)}…).")
        self._join_again(host, port, fingerprint)

    def connect_unencrypted(self, host: str, port: int) -> None:
        """The user accepts a room that stopped offering encryption: forget its pin, join."""
        self.security.forget(host, port)
        self._join_again(host, port, None)

    def forget_identity(self, host: str, port: int) -> None:
        """Room info ▸ Forget identity: the next visit asks again."""
        self.security.forget(host, port)
        self._event(f"Forgot the identity of {format_address(host, port)}: the next visit asks.")

    def _join_again(self, host: str, port: int, pin: str | None) -> None:
        if self._credentials is None:
            return
        name, password = self._credentials
        self.join(host, port, name, password, pin=pin, room_name=self.room_name)
