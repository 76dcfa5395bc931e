"""A desktop for end-to-end tests: a private session D-Bus, a notification listener, openbox.

* :func:`session_bus`: ``dbus-daemon --session --nofork --print-address`` in a
  child process; yields its address (the test sets ``DBUS_SESSION_BUS_ADDRESS``).
* :class:`NotificationListener`: owns ``org.freedesktop.Notifications`` on that
  bus (jeepney, on a thread), records every ``Notify`` call's arguments and
  answers with a fresh id, as a notification daemon would.
* :func:`window_manager`: ``openbox`` on the test's display (pytest-xvfb's).

A missing program is a skip, unless ``DESKTOPCHAT_REQUIRE_DISPLAY`` is set
(CI), where it FAILS: .ci/run installs openbox, dbus and x11-utils.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from guitools import no_input_focus
from waiting import wait_until

BUS_NAME = "org.freedesktop.Notifications"


def need(program: str) -> str:
    """The path of ``program``; skip (fail under DESKTOPCHAT_REQUIRE_DISPLAY) without it."""
    path = shutil.which(program)
    if path is None:
        why = f"{program} is not installed (apt-get install openbox dbus x11-utils xdotool)"
        if os.environ.get("DESKTOPCHAT_REQUIRE_DISPLAY"):
            pytest.fail(why, pytrace=False)
        pytest.skip(why)
    return path


@contextlib.contextmanager
def session_bus() -> Iterator[str]:
    """A private session bus; yields its address."""
    daemon = subprocess.Popen(
        [need("dbus-daemon"), "--session", "--nofork", "--nopidfile", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert daemon.stdout is not None
        address = daemon.stdout.readline().strip()
        assert address.startswith(("unix:", "tcp:")), f"dbus-daemon said {address!r}"
        yield address
    finally:
        daemon.terminate()
        daemon.wait(5)


@dataclass(frozen=True)
class Notification:
    """The arguments of one Notify call."""

    app_name: str
    replaces_id: int
    summary: str
    body: str


class NotificationListener:
    """Owns org.freedesktop.Notifications on ``address`` and records Notify calls."""

    def __init__(self, address: str) -> None:
        from jeepney import DBusAddress, new_method_call  # type: ignore[import-untyped]
        from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped]

        self.received: list[Notification] = []
        self._stop = threading.Event()
        self._conn: Any = open_dbus_connection(bus=address)
        bus = DBusAddress(
            "/org/freedesktop/DBus",
            bus_name="org.freedesktop.DBus",
            interface="org.freedesktop.DBus",
        )
        request = new_method_call(bus, "RequestName", "su", (BUS_NAME, 4))  # DO_NOT_QUEUE
        (result,) = self._conn.send_and_get_reply(request, timeout=5).body
        assert result == 1, f"could not own {BUS_NAME}: {result}"  # PRIMARY_OWNER
        self._thread = threading.Thread(target=self._serve, name="test-notifications")
        self._thread.start()

    def _serve(self) -> None:
        from jeepney import MessageType, new_method_return

        next_id = 0
        while not self._stop.is_set():
            try:
                msg = self._conn.receive(timeout=0.1)
            except TimeoutError:
                continue
            header = msg.header
            if header.message_type is not MessageType.method_call:
                continue
            if header.fields.get(_member()) == "Notify":
                app, replaces, _icon, summary, body, *_ = msg.body
                self.received.append(Notification(app, replaces, summary, body))
                next_id += 1
                self._conn.send(new_method_return(msg, "u", (next_id,)))

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Notification]:
        """Wait until ``count`` notifications arrived; return them."""
        wait_until(lambda: len(self.received) >= count, timeout, f"{count} notification(s)")
        return list(self.received)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._conn.close()


def _member() -> Any:
    from jeepney.low_level import HeaderFields  # type: ignore[import-untyped]

    return HeaderFields.member


@contextlib.contextmanager
def notification_service() -> Iterator[tuple[str, NotificationListener]]:
    """A session bus with a listener on it: (address, listener)."""
    with session_bus() as address:
        listener = NotificationListener(address)
        try:
            yield address, listener
        finally:
            listener.close()


@contextlib.contextmanager
def window_manager() -> Iterator[subprocess.Popen[bytes]]:
    """openbox on $DISPLAY, managing the screen, stopped afterwards.

    Two races are closed here. An X server with no client left resets itself
    (after every short-lived ``xprop``), and an openbox starting during that
    reset dies: a connection is held open for the whole block. A previous
    openbox may still be letting go of the display: ``--replace`` waits for it,
    and its stale ``_NET_SUPPORTING_WM_CHECK`` is removed first so it is not
    taken for the new one's.
    """
    xprop = need("xprop")
    with no_input_focus():
        subprocess.run([xprop, "-root", "-remove", "_NET_SUPPORTING_WM_CHECK"], timeout=10)
        wm = subprocess.Popen(
            [need("openbox"), "--replace", "--sm-disable"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until(
                lambda: wm.poll() is not None or _wm_announced(xprop), what="openbox managing"
            )
            assert wm.poll() is None, "openbox exited"
            yield wm
        finally:
            wm.terminate()
            wm.wait(10)


def _wm_announced(xprop: str) -> bool:
    """A window manager announced itself on the root window (EWMH)."""
    out = subprocess.run(
        [xprop, "-root", "_NET_SUPPORTING_WM_CHECK"],
        capture_output=True,
        text=True,
        check=False,
        timeout=10,
    ).stdout
    return "window id" in out
