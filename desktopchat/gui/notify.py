"""Desktop notifications over the session D-Bus (freedesktop Notifications), off the Tk thread.

:class:`Notifier` hands each notification to a worker thread that calls
``org.freedesktop.Notifications.Notify`` with jeepney (pure Python, imported
in that thread on first use), so a slow or missing notification service never
blocks the window. No Tk here.

* What a member wrote is hostile: the body may hold markup for the service
  (the specification allows ``<b>``, ``<a href>``, ``<img>``), so ``&``, ``<``
  and ``>`` are escaped; controls and bidi marks become visible escapes
  (:func:`desktopchat.escapes.escape_all`), and both parts are cut short
  (:data:`SUMMARY_CHARS`, :data:`BODY_CHARS`).
* The queue holds at most :data:`QUEUE_SIZE` notifications; more are dropped
  (the window rate-limits them anyway, ``attention_rules.NOTIFY_GAP``).
* A notification replaces the previous one of this window (``replaces_id``),
  so a busy evening leaves one bubble, not fifty.
* Failure (no session bus, no service, a timeout) is logged once at INFO and
  never raised; the window carries on with its other signals.
* Linux and other freedesktop systems only: elsewhere :func:`supported` is
  False and nothing is sent (README, "Notifications").
"""

from __future__ import annotations

import contextlib
import logging
import queue
import sys
import threading
from dataclasses import dataclass
from typing import Any

from desktopchat.escapes import escape_all

__all__ = ["BODY_CHARS", "SUMMARY_CHARS", "Notifier", "body_text", "summary_text", "supported"]

log = logging.getLogger(__name__)

APP_NAME = "desktopchat"
#: Longest summary (the bubble's title), in characters.
SUMMARY_CHARS = 80
#: Longest body, in characters (before escaping).
BODY_CHARS = 240
#: Notifications waiting for the worker; more are dropped.
QUEUE_SIZE = 8
#: How long the worker waits for the service's answer (seconds).
REPLY_TIMEOUT = 5.0
#: Milliseconds the bubble stays (-1: the service decides).
EXPIRE_MS = -1

_BUS = "org.freedesktop.Notifications"
_PATH = "/org/freedesktop/Notifications"


def supported() -> bool:
    """True where the freedesktop notification service may exist."""
    return sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd"))


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())  # one line: the bubble is small
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summary_text(text: str) -> str:
    """The summary as sent: one line, escaped controls, short (the spec says no markup)."""
    return _shorten(escape_all(text), SUMMARY_CHARS)


def body_text(text: str) -> str:
    """The body as sent: one line, escaped controls, short, markup characters escaped."""
    text = _shorten(escape_all(text), BODY_CHARS)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True, slots=True)
class _Note:
    summary: str
    body: str


class Notifier:
    """Sends notifications from one worker thread (started on first use)."""

    def __init__(self, app_name: str = APP_NAME) -> None:
        self.app_name = app_name
        self._queue: queue.Queue[_Note | None] = queue.Queue(QUEUE_SIZE)
        self._thread: threading.Thread | None = None
        self._failed = False  # logged once
        self._last_id = 0
        #: Ids the service gave (the last one replaces; tests read it).
        self.sent = 0

    def notify(self, summary: str, body: str) -> bool:
        """Queue a notification; False when it was dropped (full, unsupported, closed)."""
        if not supported() or self._failed:
            return False
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="desktopchat-notify", daemon=True
            )
            self._thread.start()
        try:
            self._queue.put_nowait(_Note(summary_text(summary), body_text(body)))
        except queue.Full:
            return False
        return True

    def close(self) -> None:
        """Let the worker finish (never waits for it)."""
        if self._thread is not None:
            with contextlib.suppress(queue.Full):  # full: a daemon, it ends with the process
                self._queue.put_nowait(None)

    # --- the worker thread -------------------------------------------------------

    def _run(self) -> None:
        conn: Any = None
        try:
            while (note := self._queue.get()) is not None:
                if conn is None:
                    conn = self._connect()
                    if conn is None:
                        return
                try:
                    self._send(conn, note)
                except Exception as exc:  # never take the window down
                    self._fail(f"Notify failed: {exc}")
                    return
        finally:
            if conn is not None:
                conn.close()

    def _connect(self) -> Any:
        try:
            from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped]

            return open_dbus_connection(bus="SESSION")
        except Exception as exc:  # no bus, no jeepney: none
            self._fail(f"no session D-Bus: {exc}")
            return None

    def _send(self, conn: Any, note: _Note) -> None:
        from jeepney import DBusAddress, new_method_call  # type: ignore[import-untyped]
        from jeepney.wrappers import unwrap_msg  # type: ignore[import-untyped]

        address = DBusAddress(_PATH, bus_name=_BUS, interface=_BUS)
        message = new_method_call(
            address,
            "Notify",
            "susssasa{sv}i",
            (self.app_name, self._last_id, "", note.summary, note.body, [], {}, EXPIRE_MS),
        )
        reply = conn.send_and_get_reply(message, timeout=REPLY_TIMEOUT)
        self._last_id = int(unwrap_msg(reply)[0])  # an error reply raises
        self.sent += 1

    def _fail(self, why: str) -> None:
        if not self._failed:
            self._failed = True
            log.info("desktop notifications are off for this window: %s", why)
