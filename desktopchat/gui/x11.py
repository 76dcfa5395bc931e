"""X11 window properties Tk does not set: the urgency hint and ``_NET_WM_PID``, via ctypes.

Tk 8.6 has no command for the ICCCM urgency hint nor for the EWMH
"demands attention" state, and does not set ``_NET_WM_PID``. This module talks
to the X server over its own Xlib connection (libX11, loaded on first use) about
Tk's wrapper window -- the one the window manager manages (:func:`client_window`:
the parent of ``winfo_id()``; ``wm_frame()`` is that window only until a window
manager reparents it into a frame of its own).

* :func:`set_urgent` sets or clears ``XUrgencyHint`` in ``WM_HINTS`` and asks
  the window manager (a client message to the root window, EWMH) to add or
  remove ``_NET_WM_STATE_DEMANDS_ATTENTION``.
* :func:`set_class` rewrites ``WM_CLASS``: Tk names a toplevel's instance after
  its widget path and a second program's root "desktopchat #2"; every window
  should say "desktopchat" (a taskbar groups windows by it).
* :func:`set_pid` writes ``_NET_WM_PID`` (EWMH also wants ``WM_CLIENT_MACHINE``,
  which the caller sets with Tk's ``wm client``).

Every function returns False and does nothing when libX11 or the display
cannot be had; an X error on our connection (the window went away meanwhile)
is ignored, never fatal: our error handler swallows errors of our own
connection and hands all others to the handler it replaced (Tk's).
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading

__all__ = ["available", "client_window", "set_class", "set_pid", "set_urgent"]

log = logging.getLogger(__name__)

_URGENCY_HINT = 1 << 8  # XUrgencyHint
_CLIENT_MESSAGE = 33  # ClientMessage
_SUBSTRUCTURE_MASKS = (1 << 19) | (1 << 20)  # SubstructureNotify | SubstructureRedirect
_XA_CARDINAL = 6
_XA_STRING, _XA_WM_CLASS = 31, 67
_PROP_MODE_REPLACE = 0
_NET_WM_STATE_REMOVE, _NET_WM_STATE_ADD = 0, 1
_SOURCE_APPLICATION = 1


class _XWMHints(ctypes.Structure):
    _fields_ = (
        ("flags", ctypes.c_long),
        ("input", ctypes.c_int),
        ("initial_state", ctypes.c_int),
        ("icon_pixmap", ctypes.c_ulong),
        ("icon_window", ctypes.c_ulong),
        ("icon_x", ctypes.c_int),
        ("icon_y", ctypes.c_int),
        ("icon_mask", ctypes.c_ulong),
        ("window_group", ctypes.c_ulong),
    )


class _XClientMessageEvent(ctypes.Structure):
    _fields_ = (
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    )


class _XEvent(ctypes.Union):
    _fields_ = (("xclient", _XClientMessageEvent), ("pad", ctypes.c_long * 24))


_ErrorHandler = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)


class _Xlib:
    """Our connection to the X server and the few Xlib calls we make."""

    def __init__(self, lib: ctypes.CDLL, display: int) -> None:
        self.lib = lib
        self.display = display
        self.atoms: dict[str, int] = {}

    def atom(self, name: str) -> int:
        if name not in self.atoms:
            self.atoms[name] = int(self.lib.XInternAtom(self.display, name.encode(), 0))
        return self.atoms[name]


_lock = threading.Lock()
_xlib: _Xlib | None = None
_tried = False
_handlers: list[object] = []  # keeps the ctypes callbacks alive


def _declare(lib: ctypes.CDLL) -> None:
    p, ul, i, lg = ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long
    lib.XOpenDisplay.argtypes, lib.XOpenDisplay.restype = [ctypes.c_char_p], p
    lib.XInternAtom.argtypes, lib.XInternAtom.restype = [p, ctypes.c_char_p, i], ul
    lib.XGetWMHints.argtypes = [p, ul]
    lib.XGetWMHints.restype = ctypes.POINTER(_XWMHints)
    lib.XAllocWMHints.argtypes, lib.XAllocWMHints.restype = [], ctypes.POINTER(_XWMHints)
    lib.XSetWMHints.argtypes = [p, ul, ctypes.POINTER(_XWMHints)]
    lib.XFree.argtypes = [p]
    lib.XDefaultRootWindow.argtypes, lib.XDefaultRootWindow.restype = [p], ul
    lib.XSendEvent.argtypes = [p, ul, i, lg, ctypes.POINTER(_XEvent)]
    lib.XChangeProperty.argtypes = [p, ul, ul, ul, i, i, p, i]
    lib.XFlush.argtypes = [p]
    lib.XSync.argtypes = [p, i]
    lib.XQueryTree.argtypes = [
        p,
        ul,
        *[ctypes.POINTER(ul)] * 2,
        ctypes.POINTER(p),
        ctypes.POINTER(i),
    ]
    lib.XSetErrorHandler.argtypes = [_ErrorHandler]
    lib.XSetErrorHandler.restype = _ErrorHandler


def _load() -> ctypes.CDLL:
    """libX11 by its usual soname (no ldconfig run), else wherever ctypes finds it."""
    try:
        return ctypes.CDLL("libX11.so.6")
    except OSError:
        from ctypes.util import find_library

        path = find_library("X11")
        if path is None:
            raise OSError("libX11 not found") from None
        return ctypes.CDLL(path)


def _connect() -> _Xlib | None:
    global _xlib, _tried
    with _lock:
        if _tried:
            return _xlib
        _tried = True
        if not os.environ.get("DISPLAY"):
            log.info("no DISPLAY: no urgency hint, no _NET_WM_PID")
            return None
        try:
            lib = _load()
            _declare(lib)
            display = lib.XOpenDisplay(None)
        except (OSError, AttributeError) as exc:
            log.info("libX11 unusable (%s): no urgency hint, no _NET_WM_PID", exc)
            return None
        if not display:
            log.info("cannot open the X display: no urgency hint, no _NET_WM_PID")
            return None
        previous = lib.XSetErrorHandler(_ErrorHandler(0))  # read the current handler

        def on_error(dpy: int | None, event: int | None) -> int:
            if dpy == display or not previous:
                return 0  # our request about a window that went away: ignore it
            return int(previous(dpy, event))

        handler = _ErrorHandler(on_error)
        _handlers.append(handler)
        lib.XSetErrorHandler(handler)
        _xlib = _Xlib(lib, display)
        return _xlib


def available() -> bool:
    """True when the X calls can be made (libX11 and a display)."""
    return _connect() is not None


def client_window(inner: int) -> int:
    """The wrapper (the window manager's client window) around Tk's ``winfo_id()``; 0 if unknown."""
    x = _connect()
    if x is None or not inner:
        return 0
    root, parent = ctypes.c_ulong(), ctypes.c_ulong()
    children, count = ctypes.c_void_p(), ctypes.c_int()
    if not x.lib.XQueryTree(
        x.display,
        inner,
        ctypes.byref(root),
        ctypes.byref(parent),
        ctypes.byref(children),
        ctypes.byref(count),
    ):
        return 0
    if children.value:
        x.lib.XFree(children)
    return int(parent.value)


def set_urgent(window: int, urgent: bool) -> bool:
    """Set (or clear) the urgency hint and the demands-attention state of ``window``."""
    x = _connect()
    if x is None or not window:
        return False
    lib, dpy = x.lib, x.display
    hints = lib.XGetWMHints(dpy, window)
    if hints:
        current = hints.contents
    else:
        hints = lib.XAllocWMHints()
        if not hints:
            return False
        current = hints.contents
        current.flags = 0
    if urgent:
        current.flags |= _URGENCY_HINT
    else:
        current.flags &= ~_URGENCY_HINT
    lib.XSetWMHints(dpy, window, hints)
    lib.XFree(ctypes.cast(hints, ctypes.c_void_p))
    event = _XEvent()
    msg = event.xclient
    msg.type, msg.send_event, msg.display = _CLIENT_MESSAGE, 1, dpy
    msg.window, msg.message_type, msg.format = window, x.atom("_NET_WM_STATE"), 32
    action = _NET_WM_STATE_ADD if urgent else _NET_WM_STATE_REMOVE
    msg.data[:] = [action, x.atom("_NET_WM_STATE_DEMANDS_ATTENTION"), 0, _SOURCE_APPLICATION, 0]
    root = lib.XDefaultRootWindow(dpy)
    lib.XSendEvent(dpy, root, 0, _SUBSTRUCTURE_MASKS, ctypes.byref(event))
    lib.XSync(dpy, 0)
    return True


def set_pid(window: int, pid: int | None = None) -> bool:
    """Write ``_NET_WM_PID`` (this process's id) on ``window``."""
    x = _connect()
    if x is None or not window:
        return False
    value = (ctypes.c_long * 1)(os.getpid() if pid is None else pid)
    x.lib.XChangeProperty(
        x.display,
        window,
        x.atom("_NET_WM_PID"),
        _XA_CARDINAL,
        32,
        _PROP_MODE_REPLACE,
        ctypes.cast(value, ctypes.c_void_p),
        1,
    )
    x.lib.XSync(x.display, 0)
    return True


def set_class(window: int, name: str, class_: str) -> bool:
    """Write ``WM_CLASS`` = (``name``, ``class_``) on ``window``."""
    x = _connect()
    if x is None or not window:
        return False
    data = f"{name}\0{class_}\0".encode("latin-1", "replace")
    buffer = ctypes.create_string_buffer(data, len(data))
    x.lib.XChangeProperty(
        x.display,
        window,
        _XA_WM_CLASS,
        _XA_STRING,
        8,
        _PROP_MODE_REPLACE,
        ctypes.cast(buffer, ctypes.c_void_p),
        len(data),
    )
    x.lib.XSync(x.display, 0)
    return True
