"""End to end with a window manager: typed text reaches the message box after dialogs.

The real program runs as a subprocess on the test's display with ``openbox``
managing the windows (as on a desktop: the window manager, not the app, decides
where the focus goes when a dialog closes). xdotool opens Room ▸ Host room… and
Help ▸ About with the keyboard, closes them, types a line and presses Enter; a
raw client in the room must receive that line. A click in the user list, then
another window and back (activation), must also leave the message box focused.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from desktopkit import need, window_manager
from guitools import find_windows
from peer import Peer

from desktopchat.protocol import events as ev
from desktopchat.server import RoomServer

# A missing xdotool, openbox or xprop skips, or fails under DESKTOPCHAT_REQUIRE_DISPLAY.
pytestmark = [pytest.mark.gui]


def xdotool(*args: str) -> str:
    done = subprocess.run(
        ["xdotool", *args], capture_output=True, text=True, timeout=20, check=True
    )
    return done.stdout.strip()


def window_named(part: str) -> str:
    """The id of the first visible window whose title contains ``part`` (waits for it)."""
    return find_windows(part)[0]


@pytest.fixture
def openbox() -> Iterator[None]:
    """openbox on the test's display for the duration of one test (tests/desktopkit.py)."""
    need("xdotool")
    with window_manager():
        yield


@pytest.fixture
def chat(openbox: None, tmp_path: Path) -> Iterator[tuple[str, Peer]]:
    """The app in a room with bob (a raw client); yields (main window id, bob)."""
    with RoomServer("127.0.0.1", 0) as room, Peer.joined(room.address, "bob") as bob:
        where = f"127.0.0.1:{room.address[1]}"
        env = dict(os.environ, DESKTOPCHAT_HOME=str(tmp_path))
        proc = subprocess.Popen(
            [sys.executable, "-m", "desktopchat", "--join", where, "--name", "ann"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert "ann" in bob.read_until(ev.JOIN)
            window = window_named(where)
            xdotool("windowactivate", "--sync", window)
            yield window, bob
        finally:
            proc.terminate()
            _, stderr = proc.communicate(timeout=10)
            assert "Traceback" not in stderr, stderr


def say(bob: Peer, text: str) -> None:
    """Type ``text`` and Enter as a user would; bob must receive it from ann."""
    xdotool("type", "--delay", "15", text)
    xdotool("key", "Return")
    assert bob.read_until("ann") == text


def test_typing_reaches_the_message_box_after_the_host_dialog(chat: tuple[str, Peer]) -> None:
    _, bob = chat
    xdotool("key", "alt+r")
    time.sleep(0.3)  # the menu posts on its own turn
    xdotool("key", "h")
    dialog = window_named("Host a room")
    xdotool("windowactivate", "--sync", dialog)
    xdotool("key", "Escape")  # Cancel
    say(bob, "typed after the host dialog")


def test_typing_reaches_the_message_box_after_about(chat: tuple[str, Peer]) -> None:
    _, bob = chat
    xdotool("key", "alt+h")
    time.sleep(0.3)
    xdotool("key", "a")
    about = window_named("About")
    xdotool("windowactivate", "--sync", about)
    xdotool("key", "Escape")
    say(bob, "typed after about")


def test_activating_the_window_puts_the_focus_in_the_message_box(
    chat: tuple[str, Peer],
) -> None:
    window, bob = chat
    # A click in the user list (to pick a name) takes the focus there...
    width = int(xdotool("getwindowgeometry", "--shell", window).split("WIDTH=")[1].split()[0])
    xdotool("mousemove", "--window", window, str(width - 60), "60", "click", "1")
    time.sleep(0.2)
    # ...then another window is activated, and the chat window again (Alt+Tab).
    xdotool("key", "alt+h")
    time.sleep(0.3)
    xdotool("key", "a")
    about = window_named("About")
    xdotool("windowactivate", "--sync", about)
    xdotool("windowactivate", "--sync", window)
    say(bob, "typed after coming back")
