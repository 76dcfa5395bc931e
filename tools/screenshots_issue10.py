"""Take issue 10's screenshots (encrypted rooms) in the light and the dark theme.

Dev-only, like tools/screenshots.py (whose ``grab`` and ``pump`` it uses):
an Xvfb of its own, ImageMagick. Run from the repository::

    Xvfb :86 -screen 0 1280x800x24 &
    DISPLAY=:86 python tools/screenshots_issue10.py    # writes docs/screenshots/issue10-*

Real rooms with real identities on 127.0.0.1 (in a temporary
DESKTOPCHAT_HOME): the trust dialog of a first visit, the warning for a
changed identity, the Host room… dialog, the invitation window, Room info of
a hosted room, the status bar of a plaintext room, and the join dialog
listing rooms "found on the network" (a stand-in browser: no multicast).
"""

from __future__ import annotations

import argparse
import sys
import tkinter as tk
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from screenshots import REPO, grab, pump

from desktopchat.gui.app import ChatApp
from desktopchat.gui.host import HostValues
from desktopchat.gui.hosting import LanServices
from desktopchat.gui.login import LoginValues
from desktopchat.net.discovery import FoundRoom
from desktopchat.net.pins import KnownRooms
from desktopchat.net.tls import load_or_create_identity
from desktopchat.paths import data_dir
from desktopchat.server import RoomServer
from desktopchat.settings import Settings

from peer import Peer  # isort: skip


class ListedRooms:
    """A browser that has heard a few rooms."""

    def __init__(self, rooms: list[FoundRoom]) -> None:
        self._rooms, self.error = rooms, None

    def rooms(self) -> list[FoundRoom]:
        return self._rooms

    def close(self, timeout: float = 0.0) -> bool:
        return True


def window(mode: str, **kwargs: object) -> tuple[tk.Tk, ChatApp]:
    root = tk.Tk(className="desktopchat")
    settings = Settings(geometry="900x560+0+0", userlist_width=170, name="zoë")
    app = ChatApp(root, settings, save=lambda _s: None, theme=mode, **kwargs)  # type: ignore[arg-type]
    pump(root, 0.3)
    return root, app


def close(root: tk.Tk, app: ChatApp) -> None:
    app.quit()
    app.presenter.wait_stopped(2.0)


def shoot(mode: str, out: Path) -> None:
    room_id = load_or_create_identity(data_dir() / "shots-room")
    other_id = load_or_create_identity(data_dir() / "shots-other")
    with RoomServer("127.0.0.1", 0, identity=room_id) as room:
        host, port = room.address
        # First visit: the trust dialog.
        KnownRooms().forget(host, port)
        root, app = window(mode)
        app.join(host, port, "zoë")
        pump(root, 1.0)
        assert app.identity_dialog is not None
        grab(app.identity_dialog, out / f"issue10-trust-{mode}.png")
        app.identity_dialog.destroy()
        # A changed identity: the warning.
        KnownRooms().trust(host, port, other_id.fingerprint)
        app.join(host, port, "zoë")
        pump(root, 1.0)
        assert app.identity_dialog is not None
        grab(app.identity_dialog, out / f"issue10-mismatch-{mode}.png")
        app.identity_dialog.destroy()
        close(root, app)

    with RoomServer("127.0.0.1", 0) as plain:  # the tutorial's kind of room: no TLS
        root, app = window(mode)
        app.join(*plain.address, "zoë")
        pump(root, 1.0)
        with Peer.joined(plain.address, "alice") as alice:
            alice.send("is this room encrypted?")
            pump(root, 0.5)
            app.send_text("no: see the status bar")
            pump(root, 0.5)
            grab(root, out / f"issue10-unencrypted-{mode}.png")
        close(root, app)

    # Hosting: the Host room… dialog, the invitation, Room info, the lock.
    root, app = window(mode)
    app.host_room(HostValues("zoë", 0, "", room_name="Design team"))
    pump(root, 0.5)
    assert app.dialog is not None
    grab(app.dialog, out / f"issue10-host-dialog-{mode}.png")
    app.dialog.ok()  # type: ignore[attr-defined]
    pump(root, 1.5)
    assert app.invitation_window is not None and app.server is not None
    grab(app.invitation_window, out / f"issue10-invitation-{mode}.png")
    app.invitation_window.destroy()
    address = ("127.0.0.1", int(app.server.address[1]))
    peers = [Peer.joined(address, name) for name in ("alice", "bob")]
    peers[0].send("hi! joined from the invitation")
    pump(root, 1.0)
    grab(root, out / f"issue10-hosting-{mode}.png")
    app.show_room_info()
    pump(root, 0.5)
    assert app.room_info_window is not None
    grab(app.room_info_window, out / f"issue10-room-info-{mode}.png")
    for peer in peers:
        peer.close()
    close(root, app)

    # The join dialog with rooms found on the network.
    fp = room_id.fingerprint
    found = [
        FoundRoom("Design team", "192.168.1.23", 1234, ("192.168.1.23",), fp, False, False, 2, 4),
        FoundRoom(
            "Board games",
            "192.168.1.40",
            1234,
            ("192.168.1.40",),
            other_id.fingerprint,
            True,
            True,
            2,
            2,
        ),
    ]
    root, app = window(mode, lan=LanServices(browser=lambda: ListedRooms(found)))
    app.show_login(None, LoginValues("zoë", "192.168.1.23", 1234, ""), offer_host=True)
    pump(root, 1.0)
    assert app.dialog is not None
    grab(app.dialog, out / f"issue10-join-found-{mode}.png")
    close(root, app)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for mode in ("light", "dark"):
        shoot(mode, args.out)


if __name__ == "__main__":
    main()
