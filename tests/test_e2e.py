"""End to end: ``python -m desktopchat`` started as a user would, driven with xdotool.

The app runs as a subprocess on the pytest-xvfb display, with its settings in
a temporary DESKTOPCHAT_HOME. Keys are real X key events (xdotool type/key);
closing uses the Quit accelerator or the ICCCM WM_DELETE_WINDOW message a
window manager's close button sends. Every run must end with exit code 0.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from guitools import find_windows, no_input_focus, send_wm_delete
from peer import Peer
from waiting import wait_until

from desktopchat.protocol import events as ev
from desktopchat.server import RoomServer

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(shutil.which("xdotool") is None, reason="needs xdotool"),
]

TITLE = "desktopchat"

Launcher = Callable[..., "subprocess.Popen[str]"]


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Launcher]:
    """Start ``python -m desktopchat ARGS``; kill whatever is left at the end."""
    procs: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        env = dict(os.environ, DESKTOPCHAT_HOME=str(tmp_path))
        proc = subprocess.Popen(
            [sys.executable, "-m", "desktopchat", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        return proc

    # No window has the keyboard until a test focuses one: a fresh X server's
    # focus follows the pointer, and the app's window would map under it.
    with no_input_focus():
        yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def stderr_of(proc: subprocess.Popen[str]) -> str:
    """What the app wrote to stderr (read after it exited: for assertion messages)."""
    assert proc.stderr is not None
    return proc.stderr.read()


def xdotool(*args: str, timeout: float = 20) -> str:
    done = subprocess.run(
        ["xdotool", *args], capture_output=True, text=True, timeout=timeout, check=True
    )
    return done.stdout


def window_id() -> int:
    """The app's main window, waiting until it is mapped."""
    return int(find_windows(TITLE)[0])


def wait_title(wid: int, condition: Callable[[str], bool], what: str) -> str:
    """Poll the window's title until ``condition`` holds; return it."""
    deadline = time.monotonic() + 15
    while not condition(title := xdotool("getwindowname", str(wid)).strip()):
        assert time.monotonic() < deadline, f"title {title!r} never showed {what}"
        time.sleep(0.02)  # polling another process's window title
    return title


def focus_and_type(text: str) -> None:
    """Focus the app and type ``text`` once the app itself has seen the focus.

    Call with an unread message pending: the "(1 unread)" in the title goes
    away on the app's <FocusIn>, which proves Tk routed the keyboard to the
    window before the first key is typed (else it could be dropped).
    """
    wid = window_id()
    wait_title(wid, lambda t: "(1 unread)" in t, "the unread count")
    xdotool("windowfocus", "--sync", str(wid))
    wait_title(wid, lambda t: "unread)" not in t, "the unread count reset on focus")
    xdotool("type", text)


def saved_settings(home: Path) -> dict[str, object]:
    data = json.loads((home / "config" / "settings.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_join_type_return_and_quit_with_ctrl_q(
    room: RoomServer, launch: Launcher, tmp_path: Path
) -> None:
    host, port = room.address
    with Peer.joined(room.address, "bob") as bob:
        proc = launch("--join", f"{host}:{port}", "--name", "tester")
        assert bob.read_until(ev.JOIN, timeout=15) == "tester"
        bob.send("are you there?")  # unread while the window has no focus
        focus_and_type("hello")
        xdotool("key", "Return")
        assert bob.read_until("tester") == "hello"
        xdotool("key", "ctrl+q")
        assert proc.wait(timeout=15) == 0, stderr_of(proc)
        assert bob.read_until(ev.LEAVE) == "tester"
    settings = saved_settings(tmp_path)
    assert settings["name"] == "tester" and settings["port"] == port


def test_close_button_ends_the_process_with_exit_code_0(room: RoomServer, launch: Launcher) -> None:
    host, port = room.address
    with Peer.joined(room.address, "bob") as bob:
        proc = launch("--join", f"{host}:{port}", "--name", "tester")
        assert bob.read_until(ev.JOIN, timeout=15) == "tester"
        send_wm_delete(window_id())
        assert proc.wait(timeout=15) == 0, stderr_of(proc)
        assert bob.read_until(ev.LEAVE) == "tester"


def hosted_port(log: Path) -> int:
    """The port a window started with ``--host 0`` hosts on, from its log file ``log``."""
    found: list[int] = []

    def logged() -> bool:
        text = log.read_text(encoding="utf-8") if log.exists() else ""
        found[:] = [int(m) for m in re.findall(r"hosting a room on port (\d+)", text)]
        return bool(found)

    wait_until(logged, 30.0, "the window to say where it hosts")
    return found[0]


def test_host_at_once_then_quit_closes_the_room(launch: Launcher, tmp_path: Path) -> None:
    # Any free port (a port probed free here could be taken before the app binds it);
    # the title names the room ("ann's room"), not its port: the log says it.
    proc = launch("--host", "0", "--name", "ann")
    port = hosted_port(tmp_path / "log" / "desktopchat.log")
    wid = window_id()
    deadline = time.monotonic() + 15
    while " — ann — " not in (title := xdotool("getwindowname", str(wid))):
        assert time.monotonic() < deadline, f"the title never showed the hosted room: {title!r}"
        assert proc.poll() is None, stderr_of(proc)
        time.sleep(0.05)  # polling another process's window title
    with Peer.joined(("127.0.0.1", port), "bob") as bob:
        bob.send("hi ann")
        focus_and_type("hi bob")
        xdotool("key", "Return")
        assert bob.read_until("ann") == "hi bob"
        xdotool("key", "ctrl+q")
        # bob is in the room ann hosts: Quit asks first (Cancel is the default).
        question = find_windows("^Close your room")[0]
        xdotool("windowfocus", "--sync", question)
        xdotool("key", "shift+Tab")  # from Cancel to OK
        xdotool("key", "space")
        assert bob.read_until(ev.INFO) == ev.ROOM_CLOSED
    assert proc.wait(timeout=15) == 0, stderr_of(proc)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_bad_join_argument_is_a_usage_error(launch: Launcher) -> None:
    proc = launch("--join", "nohost")
    _out, err = proc.communicate(timeout=15)
    assert proc.returncode == 2
    assert "usage:" in err and "HOST:PORT" in err


def test_sigterm_closes_the_window_cleanly(room: RoomServer, launch: Launcher) -> None:
    host, port = room.address
    with Peer.joined(room.address, "bob") as bob:
        proc = launch("--join", f"{host}:{port}", "--name", "tester")
        assert bob.read_until(ev.JOIN, timeout=15) == "tester"
        window_id()  # mapped: the main loop is running
        proc.terminate()
        assert proc.wait(timeout=15) == 0, stderr_of(proc)
        assert bob.read_until(ev.LEAVE) == "tester"


def test_no_arguments_opens_the_login_dialog_escape_keeps_the_window_ctrl_q_exits(
    launch: Launcher,
) -> None:
    proc = launch()
    # The em dash in the title is mangled in WM_NAME: match around it.
    xdotool("windowfocus", "--sync", find_windows("^Join a room.*desktopchat$")[0])
    xdotool("key", "Escape")
    main = window_id()  # still there: Cancel does not close the app
    assert proc.poll() is None
    xdotool("windowfocus", "--sync", str(main))
    xdotool("key", "ctrl+q")
    assert proc.wait(timeout=15) == 0, stderr_of(proc)


def test_ctrl_c_in_the_terminal_closes_the_window_cleanly(
    room: RoomServer, launch: Launcher
) -> None:
    host, port = room.address
    with Peer.joined(room.address, "bob") as bob:
        proc = launch("--join", f"{host}:{port}", "--name", "tester")
        assert bob.read_until(ev.JOIN, timeout=15) == "tester"
        window_id()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0, stderr_of(proc)
        assert bob.read_until(ev.LEAVE) == "tester"
