"""The window's attention signals: urgency hint, desktop notification, chime, divider.

:class:`AttentionMixin` (mixed into ChatApp) is the window's side of
:class:`~.attention_rules.AttentionView`: the Tk-free rules decide *whether*
(a mention or a private message while the window has no focus, rate-limited),
this module does it on each platform:

* **Urgency**: X11 -- ``WM_HINTS`` urgency and ``_NET_WM_STATE_DEMANDS_ATTENTION``
  (:mod:`.x11`), cleared when the window gets the focus. Windows --
  ``FlashWindowEx`` on the window's frame until it comes to the foreground
  (written, untested here). macOS (Tk "aqua") -- Tk offers no dock bounce;
  the chime (Tk's ``bell()`` there, the system alert sound) and the unread
  count in the title are what the user gets.
* **Notification**: the freedesktop service over D-Bus (:mod:`.notify`,
  Linux/BSD only).
* **Sound**: :mod:`.sound` (``paplay``/``aplay``, ``winsound``, else ``bell()``).
* **Divider**: "new messages" above the first line that came while away.

Also here: ``_NET_WM_PID`` and ``WM_CLIENT_MACHINE`` on every window we map
(EWMH wants both), and View ▸ Notifications (saved in the settings).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import socket
import time
import tkinter as tk
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from desktopchat.gui import x11
from desktopchat.gui.attention_rules import Alert, Prefs, Reason
from desktopchat.gui.lines import Kind, Line
from desktopchat.gui.notify import Notifier
from desktopchat.gui.sound import Chime
from desktopchat.gui.wmclass import APP_NAME, WINDOW_CLASS

if TYPE_CHECKING:
    from desktopchat.gui.presenter import Presenter
    from desktopchat.gui.transcript import Transcript
    from desktopchat.settings import Settings

__all__ = ["DIVIDER_TEXT", "AttentionMixin", "prefs_from"]

log = logging.getLogger(__name__)

#: The divider's text (centred, like the other markers).
DIVIDER_TEXT = "— new messages —"
#: The divider's Text tag; its colours, and the "mention" tag's, are the theme's
#: (palette.py: divider, mention), set by every Transcript.
DIVIDER_TAG = "newmessages"
#: Windows FlashWindowEx flags: caption and taskbar button, until in the foreground.
_FLASHW_ALL, _FLASHW_TIMERNOFG = 0x3, 0xC

#: View ▸ Notifications: (label, Prefs field, Settings field).
NOTIFICATION_ITEMS = (
    ("Notify on mentions", "mentions", "notify_mentions"),
    ("Notify on private messages", "private", "notify_private"),
    ("Notify on every message", "every_message", "notify_all"),
    ("Play sounds", "sounds", "play_sounds"),
)


#: How often (and how far apart, ms) a mapped-but-not-yet-shown window is looked at again.
MARK_TRIES = 50
MARK_RETRY_MS = 20


def prefs_from(settings: Settings) -> Prefs:
    """The attention preferences the settings hold."""
    return Prefs(
        mentions=settings.notify_mentions,
        private=settings.notify_private,
        every_message=settings.notify_all,
        sounds=settings.play_sounds,
    )


def summary(alert: Alert) -> str:
    """The notification's title."""
    match alert.reason:
        case Reason.PRIVATE:
            return f"{alert.sender} (private message)"
        case Reason.MENTION:
            return f"{alert.sender} mentioned you"
    return alert.sender


class _FlashWInfo(ctypes.Structure):
    _fields_ = (
        ("cbSize", ctypes.c_uint),
        ("hwnd", ctypes.c_void_p),
        ("dwFlags", ctypes.c_uint),
        ("uCount", ctypes.c_uint),
        ("dwTimeout", ctypes.c_uint),
    )


class AttentionMixin:
    """Urgency, notifications, sound and the divider (mixed into ChatApp)."""

    if TYPE_CHECKING:  # provided by ChatApp
        root: tk.Tk
        settings: Settings
        presenter: Presenter
        transcript: Transcript
        menus: dict[str, tk.Menu]

    def setup_attention(self) -> None:
        """Prepare the signals and View ▸ Notifications (after the menus and presenter)."""
        self.notifier = Notifier()
        self.chime = Chime(self.root.bell)
        self.alerts: list[Alert] = []  # the latest few, for tests and the curious
        self.urgent = False
        self._windowing = str(self.root.tk.call("tk", "windowingsystem"))
        self._pid_windows: set[int] = set()
        self._mark_later: dict[str, str] = {}  # toplevel path -> after id of its next look
        self.presenter.attention.prefs = prefs_from(self.settings)
        self.root.bind_all("<Map>", self._on_map, add="+")
        self.root.after_idle(self._mark_window, str(self.root))  # mapped already?
        self._build_notifications_menu()

    def _build_notifications_menu(self) -> None:
        view = self.menus.get("View")
        if view is None:
            return
        menu = tk.Menu(view, tearoff=False)
        self.notification_vars: dict[str, tk.BooleanVar] = {}
        for label, pref, setting in NOTIFICATION_ITEMS:
            var = tk.BooleanVar(self.root, value=bool(getattr(self.settings, setting)))
            self.notification_vars[setting] = var
            menu.add_checkbutton(label=label, variable=var, command=self._toggler(pref, setting))
        view.add_separator()
        view.add_cascade(label="Notifications", menu=menu, underline=0)
        self.notifications_menu = menu

    def _toggler(self, pref: str, setting: str) -> Callable[[], None]:
        return lambda: self.set_notification(pref, setting, self.notification_vars[setting].get())

    def set_notification(self, pref: str, setting: str, on: bool) -> None:
        """View ▸ Notifications ▸ an item: apply now, remember in the settings."""
        setattr(self.presenter.attention.prefs, pref, on)
        self.settings = replace(self.settings, **{setting: on})  # type: ignore[arg-type]
        var = self.notification_vars.get(setting)
        if var is not None and var.get() != on:
            var.set(on)

    # --- AttentionView ------------------------------------------------------------

    def alert(self, alert: Alert) -> None:
        """Do what ``alert`` asks: hint, notification, sound."""
        self.alerts = [*self.alerts[-9:], alert]
        if alert.urgent:
            self._set_urgent(True)
        if alert.notify:
            self.notifier.notify(summary(alert), alert.text)
        if alert.sound:
            self.chime.play()

    def clear_alert(self) -> None:
        """The window has the focus again: clear the hint."""
        self._set_urgent(False)

    def new_messages_divider(self) -> None:
        """Put the one "new messages" divider above the next room line."""
        line = Line(Kind.MARKER, DIVIDER_TEXT, time.time())
        self.transcript.set_divider(line, DIVIDER_TAG)

    # --- the platforms ----------------------------------------------------------------

    def managed_window(self) -> int:
        """The window the window manager manages (``wm_frame`` before it reparents us)."""
        try:
            if self._windowing == "x11":
                return x11.client_window(self.root.winfo_id()) or int(self.root.wm_frame(), 16)
            return int(self.root.wm_frame(), 16)
        except (tk.TclError, ValueError):
            return 0

    def _set_urgent(self, urgent: bool) -> None:
        if urgent == self.urgent:
            return
        self.urgent = urgent
        if self._windowing == "x11":
            x11.set_urgent(self.managed_window(), urgent)
        elif self._windowing == "win32" and urgent:
            self._flash_windows()
        # aqua: Tk has no dock bounce; the chime and the title's count are the signal.

    def _flash_windows(self) -> None:  # pragma: no cover -- Windows only
        info = _FlashWInfo(
            ctypes.sizeof(_FlashWInfo), self.managed_window(), _FLASHW_ALL | _FLASHW_TIMERNOFG, 0, 0
        )
        try:
            windll = getattr(ctypes, "windll")  # noqa: B009 -- only on Windows
            windll.user32.FlashWindowEx(ctypes.byref(info))
        except (AttributeError, OSError) as exc:
            log.info("FlashWindowEx failed: %s", exc)

    def _on_map(self, event: tk.Event[tk.Misc]) -> None:
        self._mark_window(str(event.widget))

    def cancel_marking(self) -> None:
        """Drop the pending second looks (the window is closing)."""
        for after_id in self._mark_later.values():
            with contextlib.suppress(tk.TclError):
                self.root.after_cancel(after_id)
        self._mark_later.clear()

    def _mark_window(self, path: str, tries: int = MARK_TRIES) -> None:
        """Give toplevel ``path`` ``_NET_WM_PID``, ``WM_CLIENT_MACHINE`` and our WM_CLASS (once).

        The inner window's <Map> can come before Tk has mapped the toplevel's
        wrapper (and written its own WM_CLASS there at the first map): until
        the toplevel is mapped, look again shortly. A round trip on Tk's own
        connection (``winfo pointerxy``) then makes sure the X server has done
        everything Tk asked before our properties go on the window.
        """
        if self._windowing != "x11":
            return
        with contextlib.suppress(tk.TclError):
            if str(self.root.tk.call("winfo", "toplevel", path)) != path:
                return
            self._mark_later.pop(path, None)
            if not int(self.root.tk.call("winfo", "ismapped", path)):
                if tries > 0:
                    self._mark_later[path] = self.root.after(
                        MARK_RETRY_MS, self._mark_window, path, tries - 1
                    )
                return
            self.root.tk.call("winfo", "pointerxy", path)  # Tk's requests are done
            inner = int(str(self.root.tk.call("winfo", "id", path)), 16)
            window = x11.client_window(inner)
            if window in self._pid_windows:
                return
            if len(self._pid_windows) > 1000:
                self._pid_windows.clear()
            self._pid_windows.add(window)
            self.root.tk.call("wm", "client", path, socket.gethostname())
            x11.set_pid(window)
            x11.set_class(window, APP_NAME, WINDOW_CLASS)  # not "desktopchat #2" (wmclass.py)
