"""Helpers for tests that drive real Tk windows (under Xvfb via pytest-xvfb).

* :func:`tk_root` (a fixture, exported through conftest): a real ``tk.Tk`` whose
  ``report_callback_exception`` records instead of printing; the test FAILS at
  teardown if any Tk callback raised (Porcupine's conftest habit), and the root
  is destroyed.
* :func:`pump`: run the event loop for a while (for "nothing else happens"
  checks); to wait for something, use ``waiting.wait_until(..., root=root)``.
* :func:`press_return` / :func:`type_and_send`: deliver real key events to the
  input (``focus_force`` + ``update`` first: keys reach a widget only then).
* :class:`TkErrors`: the recorded callback exceptions.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import os
import subprocess
import time
import tkinter as tk
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from desktopchat.gui.app import ChatApp


@dataclass
class TkErrors:
    """Exceptions raised inside Tk callbacks during a test."""

    errors: list[str] = field(default_factory=list)

    def record(
        self, exc: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        self.errors.append("".join(traceback.format_exception(exc, value, tb)))


def install_error_recorder(root: tk.Tk) -> TkErrors:
    """Make ``root`` record callback exceptions; return the recorder."""
    recorder = TkErrors()
    root.report_callback_exception = recorder.record
    return recorder


@pytest.fixture
def tk_root() -> Iterator[tk.Tk]:
    """A real Tk root; the test fails if any Tk callback raised while it lived."""
    root = tk.Tk()
    recorder = install_error_recorder(root)
    root.tk_errors = recorder  # type: ignore[attr-defined]
    try:
        yield root
    finally:
        # TclError: the test destroyed the root already (e.g. Quit).
        with contextlib.suppress(tk.TclError):
            root.update()
        with contextlib.suppress(tk.TclError):
            root.destroy()
        # Free the Tcl interpreter HERE, on the main thread: if a reference cycle
        # kept it alive, a garbage collection later triggered on a network thread
        # would delete it there and Tcl aborts the process ("wrong thread").
        del root
        gc.collect()
    if recorder.errors:
        pytest.fail("a Tk callback raised:\n" + "\n".join(recorder.errors), pytrace=False)


def pump(root: tk.Misc, seconds: float) -> None:
    """Run the Tk event loop for ``seconds`` (for "nothing else happens" checks)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        root.update()
        time.sleep(0.002)


def press_return(widget: tk.Misc, *, shift: bool = False) -> None:
    """Send a real Return key press to ``widget`` (focused first)."""
    widget.focus_force()
    widget.update()
    sequence = "<Shift-Return>" if shift else "<Return>"
    widget.event_generate(sequence, when="now")
    widget.update()


def press_key(widget: tk.Misc, keysym: str) -> None:
    """Send one key press (e.g. "Up", "Down") to ``widget`` (focused first)."""
    widget.focus_force()
    widget.update()
    widget.event_generate(f"<KeyPress-{keysym}>", when="now")
    widget.update()


def send_key(widget: tk.Misc, sequence: str) -> None:
    """Send one event ``sequence`` (e.g. "<Control-a>", "<Escape>") to ``widget``, focused first."""
    widget.focus_force()
    widget.update()
    widget.event_generate(sequence, when="now")
    widget.update()


def command_labels(menu: tk.Menu) -> list[str]:
    """The labels of a menu's command entries, in order."""
    last = menu.index("end")
    assert last is not None
    return [menu.entrycget(i, "label") for i in range(last + 1) if menu.type(i) == "command"]


def type_text(widget: tk.Text, text: str) -> None:
    """Put ``text`` into a Text at the cursor, as typing would."""
    widget.focus_force()
    widget.update()
    widget.insert("insert", text)


@contextlib.contextmanager
def _xlib(display_name: str | None = None) -> Iterator[tuple[ctypes.CDLL, int]]:
    """Open the X display with libX11 through ctypes; yield (library, display)."""
    libname = ctypes.util.find_library("X11")
    if libname is None:
        raise RuntimeError("libX11 not found")
    xlib = ctypes.CDLL(libname)
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XInternAtom.restype = ctypes.c_ulong
    xlib.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    xlib.XSetInputFocus.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_ulong]
    xlib.XFlush.argtypes = [ctypes.c_void_p]
    xlib.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
    xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    name = display_name or os.environ.get("DISPLAY", "")
    display = xlib.XOpenDisplay(name.encode())
    if not display:
        raise RuntimeError(f"cannot open display {name!r}")
    try:
        yield xlib, display
    finally:
        xlib.XCloseDisplay(display)


class _ClientMessage(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    ]


class _XEvent(ctypes.Union):
    _fields_ = [("xclient", _ClientMessage), ("pad", ctypes.c_long * 24)]


def send_wm_delete(window_id: int, display_name: str | None = None) -> None:
    """Ask an X window to close as a window manager's close button does.

    Sends the ICCCM ``WM_PROTOCOLS``/``WM_DELETE_WINDOW`` client message (what
    Tk's ``wm protocol WM_DELETE_WINDOW`` handler receives). Needed because
    there is no window manager under Xvfb and ``xdotool windowclose`` destroys
    the window instead of asking it to close.
    """
    with _xlib(display_name) as (xlib, display):
        xlib.XSendEvent.argtypes = [
            ctypes.c_void_p,
            ctypes.c_ulong,
            ctypes.c_int,
            ctypes.c_long,
            ctypes.POINTER(_XEvent),
        ]
        event = _XEvent()
        event.xclient.type = 33  # ClientMessage
        event.xclient.window = window_id
        event.xclient.message_type = xlib.XInternAtom(display, b"WM_PROTOCOLS", 0)
        event.xclient.format = 32
        event.xclient.data[0] = xlib.XInternAtom(display, b"WM_DELETE_WINDOW", 0)
        event.xclient.data[1] = 0  # CurrentTime
        if not xlib.XSendEvent(display, window_id, 0, 0, ctypes.byref(event)):
            raise RuntimeError("XSendEvent failed")
        xlib.XFlush(display)


def reset_pointer_and_focus(display_name: str | None = None) -> None:
    """Put the pointer and the keyboard focus back as a fresh X server has them.

    A fresh Xvfb has the pointer in the middle of the screen and the focus
    "PointerRoot" (keys go to the window under the pointer). End-to-end tests
    move the pointer (xdotool) and leave the focus elsewhere; without this,
    every later test would run in whatever state the last one left.
    """
    with _xlib(display_name) as (xlib, display):
        xlib.XDefaultScreen.argtypes = [ctypes.c_void_p]
        xlib.XDisplayWidth.argtypes = [ctypes.c_void_p, ctypes.c_int]
        xlib.XDisplayHeight.argtypes = [ctypes.c_void_p, ctypes.c_int]
        xlib.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        xlib.XDefaultRootWindow.restype = ctypes.c_ulong
        xlib.XWarpPointer.argtypes = [
            ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_int, ctypes.c_int,
            ctypes.c_uint, ctypes.c_uint, ctypes.c_int, ctypes.c_int,
        ]  # fmt: skip
        screen = xlib.XDefaultScreen(display)
        width, height = xlib.XDisplayWidth(display, screen), xlib.XDisplayHeight(display, screen)
        root = xlib.XDefaultRootWindow(display)
        xlib.XWarpPointer(display, 0, root, 0, 0, 0, 0, width // 2, height // 2)
        xlib.XSetInputFocus(display, 1, 1, 0)  # PointerRoot, RevertToPointerRoot, CurrentTime
        xlib.XSync(display, 0)


@contextlib.contextmanager
def no_input_focus(display_name: str | None = None) -> Iterator[None]:
    """Give the keyboard to no window at all (X focus None) while in the block.

    A fresh X server starts with focus "PointerRoot": keys go to whatever is
    under the pointer, so a window that maps under it gets the keyboard by
    itself. Tests that decide when an app gets the focus run inside this.
    The connection stays open meanwhile: an X server with no client left
    resets itself, focus included.
    """
    with _xlib(display_name) as (xlib, display):
        xlib.XSetInputFocus(display, 0, 0, 0)  # None, RevertToNone, CurrentTime
        xlib.XSync(display, 0)
        yield


def transcript(chat: ChatApp) -> str:
    """The chat window's transcript as plain text."""
    return chat.transcript.get_text()


def find_windows(pattern: str, timeout: float = 30.0, *, visible: bool = True) -> list[str]:
    """The ids of the windows whose name matches ``pattern``, waiting until there is one.

    Polls ``xdotool search`` instead of its ``--sync``: xdotool walks the window
    tree and gives up with an X error (BadWindow, exit 1) when a window goes away
    during the walk, which Tk's start-up and dialogs do. Such a walk is looked
    at again 50 ms later; after ``timeout`` seconds without a match it fails.
    """
    command = ["xdotool", "search", *(["--onlyvisible"] if visible else []), "--name", pattern]
    deadline = time.monotonic() + timeout
    while True:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if ids := done.stdout.split():
            return ids
        if time.monotonic() > deadline:
            raise AssertionError(f"no window named {pattern!r} after {timeout:g} s: {done.stderr}")
        time.sleep(0.05)
