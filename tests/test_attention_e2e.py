"""End to end: a mention while the window is in the background, under openbox and a real D-Bus.

The window (a real ChatApp in a real room) loses the focus to another
program's window; a second member mentions us; then:

* ``xprop`` on the window (Tk's wrapper, which openbox manages) shows the
  urgency hint in ``WM_HINTS`` and ``_NET_WM_STATE_DEMANDS_ATTENTION`` in
  ``_NET_WM_STATE`` (openbox keeps it);
* the notification listener on the session bus got one ``Notify`` with the
  sender and the text;
* ``_NET_WM_PID`` is our pid;

and once the window has the focus again, the hint and the state are gone.
Needs openbox, dbus-daemon, xprop and xdotool (.ci/run installs them); without
them the test fails under DESKTOPCHAT_REQUIRE_DISPLAY, else it is skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from desktopkit import NotificationListener, need, notification_service, window_manager
from guitools import find_windows, transcript
from peer import Peer
from waiting import wait_until

from desktopchat.gui.app import ChatApp
from desktopchat.server import RoomServer

pytestmark = pytest.mark.gui

OTHER_TITLE = "desktopchat-test-other-window"
OTHER_WINDOW = f"""
import tkinter as tk
root = tk.Tk()
root.title({OTHER_TITLE!r})
root.geometry("300x200+400+300")
root.mainloop()
"""


@pytest.fixture
def desktop(monkeypatch: pytest.MonkeyPatch) -> Iterator[NotificationListener]:
    """openbox on the display and a session bus with a notification listener."""
    need("xprop")
    need("xdotool")
    with window_manager(), notification_service() as (address, listener):
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        yield listener


def xprop(window: int, *props: str) -> str:
    return subprocess.run(
        ["xprop", "-id", hex(window), *props], capture_output=True, text=True, check=True
    ).stdout


def xdotool(*args: str) -> str:
    return subprocess.run(
        ["xdotool", *args], capture_output=True, text=True, check=True, timeout=20
    ).stdout


def demands_attention(window: int) -> bool:
    return "_NET_WM_STATE_DEMANDS_ATTENTION" in xprop(window, "_NET_WM_STATE")


def urgency_hint(window: int) -> bool:
    return "urgency hint bit is set" in xprop(window, "WM_HINTS")


def test_a_mention_in_the_background_raises_the_hint_and_a_notification_until_focused(
    desktop: NotificationListener, app: ChatApp, room: RoomServer
) -> None:
    root = app.root
    app.chime.play = lambda: "silent"  # type: ignore[method-assign]
    app.join(*room.address, "ann")
    wait_until(lambda: "Welcome" in transcript(app), what="in the room", root=root)
    frame = app.managed_window()  # Tk's wrapper, inside openbox's frame (root.wm_frame())
    assert frame and frame != int(root.wm_frame(), 16)
    xdotool("windowactivate", "--sync", str(frame))
    wait_until(app.has_focus, what="our window focused", root=root)
    assert f"= {os.getpid()}" in xprop(frame, "_NET_WM_PID")

    other = subprocess.Popen([sys.executable, "-c", OTHER_WINDOW])
    try:
        other_id = find_windows(f"^{OTHER_TITLE}$", visible=False)[0]
        xdotool("windowactivate", "--sync", other_id)
        wait_until(lambda: not app.has_focus(), what="the other window focused", root=root)

        with Peer.joined(room.address, "bob") as bob:
            bob.send("hey ann, the build is red")
            wait_until(lambda: app.alerts, what="the alert", root=root)
            (note,) = desktop.wait_for(1)
            assert (note.summary, note.body) == ("bob mentioned you", "hey ann, the build is red")
            wait_until(lambda: urgency_hint(frame), what="WM_HINTS urgency", root=root)
            wait_until(lambda: demands_attention(frame), what="demands attention", root=root)

            xdotool("windowactivate", "--sync", str(frame))
            wait_until(lambda: not urgency_hint(frame), what="the hint cleared", root=root)
            wait_until(lambda: not demands_attention(frame), what="state cleared", root=root)
            assert len(desktop.received) == 1
    finally:
        other.terminate()
        other.wait(5)
