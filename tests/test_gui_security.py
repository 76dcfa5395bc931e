"""The window and encrypted rooms: trust on first use, pin mismatches, the lock, invitations.

Real RoomServers with real identities (made in the test's DESKTOPCHAT_HOME)
on 127.0.0.1, the real client thread, a real window under Xvfb. The
``app`` fixture's window has no LanServices: it never announces, browses or
probes the real network.
"""

from __future__ import annotations

import pytest
from guitools import pump
from peer import Peer
from waiting import wait_until

from desktopchat.gui.app import ChatApp
from desktopchat.gui.host import HostDialog, HostValues
from desktopchat.gui.login import LoginDialog, LoginValues
from desktopchat.gui.title import LOCK, UNENCRYPTED
from desktopchat.gui.trust import PinMismatchDialog, TrustDialog
from desktopchat.net.invite import Invitation
from desktopchat.net.pins import KnownRooms
from desktopchat.net.tls import (
    Identity,
    long_fingerprint,
    short_fingerprint,
)
from desktopchat.server import RoomServer

pytestmark = pytest.mark.gui


def fp_of(server: RoomServer) -> str:
    assert server.fingerprint is not None
    return server.fingerprint


def shown(box: object) -> str:
    """A fingerprint box's text on one line."""
    return " ".join(box.get("1.0", "end").split())  # type: ignore[attr-defined]


def wait_dialog(app: ChatApp, kind: type) -> object:
    wait_until(lambda: isinstance(app.identity_dialog, kind), what=kind.__name__, root=app.root)
    return app.identity_dialog


def test_first_visit_asks_and_trusting_joins_and_pins(app: ChatApp, tls_room: RoomServer) -> None:
    host, port = tls_room.address
    fp = fp_of(tls_room)
    app.join(host, port, "ann", None)
    dialog = wait_dialog(app, TrustDialog)
    assert isinstance(dialog, TrustDialog)
    assert shown(dialog.fingerprint_text) == long_fingerprint(fp)
    assert "Room ▸ Room info" in dialog.question.explanation  # how to compare with the host's
    # Nothing was joined while the question is open.
    assert app.client is None and not app.online and tls_room.member_count == 0
    assert app.window.security_mark.text == "" and app.userlist.names() == []
    dialog.trust_button.invoke()
    wait_until(lambda: app.online, what="joined after trusting", root=app.root)
    assert app.identity_dialog is None
    assert KnownRooms().get(host, port) == fp
    assert app.presenter.encrypted is True
    assert app.window.security_mark.text == f"encrypted · {short_fingerprint(fp)}"
    assert app.title_text().startswith(LOCK)


def test_second_visit_does_not_ask(app: ChatApp, tls_room: RoomServer) -> None:
    host, port = tls_room.address
    KnownRooms().trust(host, port, fp_of(tls_room))
    app.join(host, port, "ann", None)
    wait_until(lambda: app.online, what="joined", root=app.root)
    pump(app.root, 0.2)
    assert app.identity_dialog is None
    assert app.presenter.encrypted is True


def test_cancelling_the_first_visit_joins_nothing(app: ChatApp, tls_room: RoomServer) -> None:
    host, port = tls_room.address
    app.join(host, port, "ann", None)
    dialog = wait_dialog(app, TrustDialog)
    assert isinstance(dialog, TrustDialog)
    dialog.cancel_button.invoke()
    pump(app.root, 0.3)
    assert app.client is None and not app.online and tls_room.member_count == 0
    assert KnownRooms().get(host, port) is None


def test_a_changed_certificate_warns_with_both_fingerprints_and_joins_nothing(
    app: ChatApp, tls_room: RoomServer, other_identity: Identity
) -> None:
    host, port = tls_room.address
    trusted = other_identity.fingerprint  # what we trusted here before
    KnownRooms().trust(host, port, trusted)
    app.join(host, port, "ann", "sesame")
    dialog = wait_dialog(app, PinMismatchDialog)
    assert isinstance(dialog, PinMismatchDialog)
    boxes = [w for w in dialog.body.winfo_children() if w.winfo_class() == "Text"]
    assert [shown(b) for b in boxes] == [
        long_fingerprint(trusted),
        long_fingerprint(fp_of(tls_room)),
    ]
    assert str(dialog.cancel_button.cget("default")) == "active"  # Cancel is the default
    assert app.client is None and not app.online and tls_room.member_count == 0
    assert "Not joined" in app.transcript.get_text()
    dialog.cancel_button.invoke()
    pump(app.root, 0.3)
    assert not app.online and KnownRooms().get(host, port) == trusted


def test_trusting_the_new_identity_asks_once_more_then_joins(
    app: ChatApp, tls_room: RoomServer, other_identity: Identity
) -> None:
    host, port = tls_room.address
    KnownRooms().trust(host, port, other_identity.fingerprint)
    app.join(host, port, "ann", None)
    dialog = wait_dialog(app, PinMismatchDialog)
    assert isinstance(dialog, PinMismatchDialog)
    dialog.ask = lambda question, detail: False  # type: ignore[method-assign]
    dialog.retrust_button.invoke()  # "No" to the second question: nothing changes
    assert dialog.winfo_exists() and KnownRooms().get(host, port) == other_identity.fingerprint
    dialog.ask = lambda question, detail: True  # type: ignore[method-assign]
    dialog.retrust_button.invoke()
    wait_until(lambda: app.online, what="joined with the new identity", root=app.root)
    assert KnownRooms().get(host, port) == fp_of(tls_room)
    assert app.presenter.encrypted is True


def test_a_plaintext_room_is_marked_unencrypted_for_as_long_as_we_are_in_it(
    app: ChatApp, room: RoomServer
) -> None:
    app.join(*room.address, "ann", None)
    wait_until(lambda: app.online, what="joined", root=app.root)
    assert app.presenter.encrypted is False
    assert app.window.security_mark.text.startswith("unencrypted")
    assert UNENCRYPTED in app.title_text()
    with Peer.joined(room.address, "bob") as bob:
        bob.send("hello")
        wait_until(lambda: "hello" in app.transcript.get_text(), root=app.root)
    app.send_text("/who")
    pump(app.root, 0.2)
    assert app.window.security_mark.text.startswith("unencrypted")  # it never scrolls away
    app.leave()
    assert app.window.security_mark.text == ""


def test_hosting_shows_an_invitation_pinned_to_the_server_and_copy_copies_it(
    app: ChatApp,
) -> None:
    assert app.start_hosting(HostValues("ann", 0, "pw", room_name="Lab")) is None
    wait_until(lambda: app.invitation_window is not None, what="invitation", root=app.root)
    window = app.invitation_window
    assert window is not None and app.server is not None
    fp = fp_of(app.server)
    invitation = window.invitation
    assert invitation.room_name == "Lab" and invitation.password_needed
    assert f"fp={fp}" in invitation.link()
    text = window.text.get("1.0", "end")
    assert invitation.link() in text and short_fingerprint(fp) in text
    assert "python" not in text.lower()
    window.copy_button.invoke()
    assert app.root.clipboard_get() == invitation.text()
    window.link_button.invoke()
    assert app.root.clipboard_get() == invitation.link()
    wait_until(lambda: app.online, what="host joined", root=app.root)
    assert app.presenter.encrypted is True and app.presenter.room_name == "Lab"


def test_the_join_dialog_takes_a_link_and_joins_pinned_without_asking(
    app: ChatApp, tls_room: RoomServer
) -> None:
    fp = fp_of(tls_room)
    link = Invitation("Ann's room", [tls_room.address], fp).link()
    app.show_login(None, LoginValues("bob", "127.0.0.1", 1234, ""))
    dialog = app.dialog
    assert isinstance(dialog, LoginDialog)
    dialog.address_entry.delete(0, "end")
    dialog.address_entry.insert(0, f"Join my room: {link} (see you there)")
    dialog.ok()
    wait_until(lambda: app.online, what="joined by link", root=app.root)
    assert app.identity_dialog is None
    assert app.presenter.room_name == "Ann's room" and app.presenter.encrypted is True
    # Joined by a pinned link: the address is remembered for a later visit by address.
    assert KnownRooms().get(*tls_room.address) == fp


def test_a_bad_link_is_a_clear_error_on_the_address(app: ChatApp) -> None:
    app.show_login(None, LoginValues("bob", "127.0.0.1", 1234, ""))
    dialog = app.dialog
    assert isinstance(dialog, LoginDialog)
    dialog.address_entry.delete(0, "end")
    dialog.address_entry.insert(0, "desktopchat://192.168.1.23:1234?fp=12ab")
    dialog.ok()
    assert dialog.winfo_exists() and "fingerprint (fp=)" in dialog.error_text
    assert app.client is None


def test_room_info_shows_the_fingerprint_copies_it_and_forgets_the_identity(
    app: ChatApp, tls_room: RoomServer
) -> None:
    host, port = tls_room.address
    fp = fp_of(tls_room)
    KnownRooms().trust(host, port, fp)
    app.join(host, port, "ann", None)
    wait_until(lambda: app.online and "ann" in app.userlist.names(), root=app.root)
    app.show_room_info()
    window = app.room_info_window
    assert window is not None and window.fingerprint_text is not None
    assert shown(window.fingerprint_text) == long_fingerprint(fp)
    assert window.info.encrypted is True and window.info.members == 1
    assert window.info.addresses == [f"{host}:{port}"]
    [copy] = [b for b in window.buttons.winfo_children() if b.cget("text") == "Copy fingerprint"]
    copy.invoke()  # type: ignore[union-attr]
    assert app.root.clipboard_get() == long_fingerprint(fp)
    assert window.forget_button is not None
    window.ask_forget = lambda: True  # type: ignore[method-assign]
    window.forget_identity()
    assert KnownRooms().get(host, port) is None


def test_encrypted_only_refuses_a_plaintext_console_client(app: ChatApp) -> None:
    app.host_room(HostValues("ann", 0, ""))
    dialog = app.dialog
    assert isinstance(dialog, HostDialog)
    dialog.encrypted_check.invoke()
    assert dialog.encrypted_only.get() is True
    dialog.ok()
    wait_until(lambda: app.online, what="host joined", root=app.root)
    assert app.server is not None
    with Peer(("127.0.0.1", int(app.server.address[1])), "bob") as bob:
        assert "encrypted" in bob.closed_with_error()
    assert app.presenter.encrypted is True


def test_join_link_on_the_command_line_joins_pinned_and_named(
    app: ChatApp, tls_room: RoomServer
) -> None:
    from desktopchat.gui import start_flow

    start_flow(app, tls_room.address, "ann", None, None, fp_of(tls_room), "Lab")
    wait_until(lambda: app.online, what="joined by --join LINK", root=app.root)
    assert app.identity_dialog is None
    assert app.presenter.room_name == "Lab" and app.presenter.encrypted is True
    assert app.title_text().startswith(f"{LOCK} Lab")


def test_host_room_remembers_the_last_choices(app: ChatApp) -> None:
    assert app.start_hosting(HostValues("ann", 0, "", "Lab 4", True, False)) is None
    app.leave()
    app.host_room()
    dialog = app.dialog
    assert isinstance(dialog, HostDialog)
    assert dialog.room_entry.get() == "Lab 4"
    assert dialog.encrypted_only.get() is True and dialog.announce.get() is False
    dialog.cancel()


def test_a_links_next_address_is_tried_when_the_first_cannot_be_reached(
    app: ChatApp, tls_room: RoomServer
) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    fp = fp_of(tls_room)
    link = Invitation("Lab", [("127.0.0.1", closed), tls_room.address], fp).link()
    app.show_login(None, LoginValues("bob", "127.0.0.1", 1234, ""))
    dialog = app.dialog
    assert isinstance(dialog, LoginDialog)
    dialog.address_entry.delete(0, "end")
    dialog.address_entry.insert(0, link)
    dialog.ok()
    wait_until(lambda: app.online, what="joined on the next address", root=app.root)
    assert app.presenter.client is not None
    assert (app.presenter.client.host, app.presenter.client.port) == tls_room.address
    assert app.identity_dialog is None and app.presenter.room_name == "Lab"
