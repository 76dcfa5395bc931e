"""The main window: widgets, menus and dialogs, driven by a Tk-free presenter.

:class:`ChatApp` builds the window (menu bar, transcript, user list, input,
status bar) and implements :class:`~.presenter.View`: every decision about
the room -- what a line says, when it is sent, what the status is -- is the
:class:`~.presenter.Presenter`'s. An :class:`~.pump.EventPump` drains the
client's queue on the Tk thread into :meth:`Presenter.handle`; nothing but
the Tk thread touches a widget. docs/ARCHITECTURE.md has the picture.

Window decisions: the login dialog opens over the shown window and Cancel
keeps it; dialogs are watched with ``<Destroy>`` (no nested loop); a final
failure brings the login dialog back unless we host; Quit asks before
dropping unsent lines and never waits for threads.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import tkinter as tk
from collections.abc import Callable, Sequence, Set
from dataclasses import replace
from tkinter import messagebox
from typing import TYPE_CHECKING

from desktopchat.client import ChatClient
from desktopchat.gui import pastedrop, texttools
from desktopchat.gui import theme as themes
from desktopchat.gui.actions import MenuActions
from desktopchat.gui.attention import AttentionMixin
from desktopchat.gui.controls import Enabler
from desktopchat.gui.filesview import FilesView
from desktopchat.gui.host import HostValues
from desktopchat.gui.hosting import HostOptions, LanServices
from desktopchat.gui.lines import Line, SendState
from desktopchat.gui.login import LoginValues
from desktopchat.gui.menus import build_menubar, radio_variable
from desktopchat.gui.presenter import APP_TITLE, ClientFactory, Presenter, ServerFactory
from desktopchat.gui.pump import EventPump
from desktopchat.gui.refocus import FocusKeeper
from desktopchat.gui.securityview import SecurityView
from desktopchat.gui.tabs import TabsMixin
from desktopchat.gui.title import dialog_title
from desktopchat.gui.typingbar import TypingBar
from desktopchat.gui.window import MainWindow
from desktopchat.protocol import events as ev
from desktopchat.settings import Settings, save_settings

if TYPE_CHECKING:
    from desktopchat.server import RoomServer

__all__ = ["APP_TITLE", "ChatApp"]

log = logging.getLogger(__name__)

#: Window size when no geometry was saved.
DEFAULT_GEOMETRY = "880x580"

#: How often the window looks whether a signal asked it to close (ms).
SIGNAL_CHECK_MS = 100


class ChatApp(TabsMixin, MenuActions, AttentionMixin, SecurityView, FilesView):
    """The main window and the view side of its presenter (menu commands: actions.py)."""

    def __init__(
        self,
        root: tk.Tk,
        settings: Settings | None = None,
        *,
        client_factory: ClientFactory = ChatClient,
        server_factory: ServerFactory | None = None,
        lan: LanServices | None = None,  # announce, check, browse: off unless given (run())
        save: Callable[[Settings], None] = save_settings,
        theme: str | None = None,
    ) -> None:
        self.root = root
        self.settings = settings if settings is not None else Settings()
        self._save = save
        self.dialog: tk.Toplevel | None = None
        self.closed = False
        #: Set by a signal handler (only a store: see gui.run); the window closes.
        self.signal_received: int | None = None
        self._last_login: LoginValues | None = None
        self._title = APP_TITLE
        self._focus: bool | None = None  # has_focus() within the current pump batch

        # --theme (this run only) or the saved View ▸ Theme choice (actions.set_theme).
        self.theme_override = theme
        themes.apply(root, theme or self.settings.theme)
        self.window = MainWindow(
            root, self.settings.font_size, on_submit=self.send_text, on_pick=self.start_private
        )
        w = self.window
        w.restore_userlist_width(self.settings.userlist_width)  # where the sash was left
        self.transcript, self.userlist, self.input = w.transcript, w.userlist, w.input
        self.text_font, self.list_font = w.text_font, w.list_font
        w.security_mark.bind("<Button-1>", lambda _e: self.show_room_info())
        # Links, find bar, emoji, menus, Tab completion, focus keys (texttools.py).
        self.text_tools = texttools.install(
            w, lambda: [n for n in w.userlist.names() if n != self.own_name]
        )
        self.text_tools.hooks.on_link_join = texttools.join_in_dialog(self)
        self._build_menus()
        self.enabler = Enabler(self.menus["Room"], w.send_button)  # greys what does nothing
        root.title(APP_TITLE)
        root.geometry(self.settings.geometry or DEFAULT_GEOMETRY)
        root.minsize(520, 340)
        root.protocol("WM_DELETE_WINDOW", self.request_quit)
        self.presenter = Presenter(
            self, client_factory=client_factory, server_factory=server_factory, lan=lan
        )
        self.pump: EventPump[ev.Event] = EventPump(
            root, self.presenter.events, self.presenter.handle, end_batch=self._end_batch
        )
        self.pump.start()
        self.userlist.on_more = self.presenter.crowd.more  # a big room's next page of names
        self.switch_pump: EventPump[ev.Event] = EventPump(  # a join while in a room
            root, self.presenter.switch.events, self.presenter.switch.handle
        )
        self.switch_pump.start()
        typing = self.presenter.typing  # "… is typing" under the transcript; our hints
        self.typing_bar = TypingBar(self.window, on_key=typing.keystroke, on_expire=typing.expire)
        self.setup_tabs()  # private conversations (tabs.py)
        self.setup_attention()  # alerts, View ▸ Notifications (attention.py)
        self.setup_files()  # offer lines, Send file…, the paperclip (filesview.py)
        self.paste_drop = pastedrop.install(self)  # pasted pictures, dropped files
        root.bind("<FocusIn>", lambda _e: self.presenter.focus_gained(), add=True)
        self._signal_check = root.after(SIGNAL_CHECK_MS, self._check_signal)
        self.set_status("not connected: Room ▸ Join room… or Host room…")
        self.input.focus_set()
        self.refocus = FocusKeeper(root, self.input)  # after dialogs, on activation

    # --- what the presenter owns, for the menus and tests ------------------------

    @property
    def client(self) -> ChatClient | None:
        """The current room connection."""
        return self.presenter.client

    @property
    def server(self) -> RoomServer | None:
        """The room we host, if any."""
        return self.presenter.server

    @property
    def own_name(self) -> str | None:
        """Our name in the room."""
        return self.presenter.own_name

    @property
    def online(self) -> bool:
        """True while the room has let us in."""
        return self.presenter.online

    @property
    def unread(self) -> int:
        """Room lines that arrived while the window had no focus."""
        return self.presenter.unread

    # --- construction -------------------------------------------------------

    def _build_menus(self) -> None:
        self.menus = build_menubar(self.root, self.menu_table())
        self.root.setvar(radio_variable("theme"), themes.choice(self.root))

    # --- View (called by the presenter) -------------------------------------------

    def show(self, line: Line) -> None:
        """Queue a transcript line (drawn at the end of the pump's batch)."""
        self.transcript.show(line)
        if self.pump.handling == 0:  # not inside a batch: draw now
            self.transcript.flush()
            self.refresh_controls()

    def mark(self, cid: int, state: SendState, reason: str = "") -> None:
        """Rewrite an own line's state marker."""
        self.mark_line(cid, state, reason)  # in the room's or a private tab

    def users_reset(
        self, names: Sequence[str], own: str | None, unencrypted: Set[str] = frozenset()
    ) -> None:
        """Replace the user list (``unencrypted``: names shown "(unencrypted)")."""
        self.userlist.set_own(own)
        self.userlist.set_names(names, unencrypted)

    def users_page(
        self, names: Sequence[str], start: int, total: int, own: str | None, unencrypted: Set[str]
    ) -> None:
        """A page of a big room's names (crowd.py): the first replaces the list."""
        if start == 0:
            self.userlist.set_own(own)
        self.userlist.page(names, start, total, unencrypted)

    def users_came(self, names: Sequence[str], total: int) -> None:
        """Several joined a big room (``names``: those listed; ``total``: its count)."""
        self.userlist.came(names, total)

    def users_went(self, names: Sequence[str], total: int) -> None:
        """Several left a big room."""
        self.userlist.went(names, total)

    def user_joined(self, name: str, unencrypted: bool = False) -> None:
        """Add a name to the user list."""
        self.userlist.add(name, unencrypted)

    def user_left(self, name: str) -> None:
        """Remove a name from the user list."""
        self.userlist.remove(name)

    def user_renamed(self, old: str, new: str) -> None:
        """Rename a user in the list."""
        self.userlist.rename(old, new)
        if self.presenter.own_name is not None and old == self.presenter.own_name:
            self.userlist.set_own(new)

    def set_status(self, text: str) -> None:
        """Show ``text`` in the status bar (stops a reconnect countdown)."""
        self.window.set_status(text)
        self.refresh_controls()

    def refresh_controls(self) -> None:
        """Grey out the controls that would do nothing now (enablement.py)."""
        if hasattr(self, "presenter"):  # not while the presenter is being made
            self.enabler.refresh(self.presenter, self.transcript)

    def countdown(self, delay: float) -> None:
        """Count down to the next reconnect attempt in the status bar."""
        self.window.countdown(delay)

    def set_title(self, text: str) -> None:
        """Set the window title (applied once per batch)."""
        self._title = text
        if self.pump.handling == 0:
            self.root.title(text)
            self.refresh_controls()  # the presenter ends join, leave and host with a title

    def set_typing(self, text: str, expires_in: float | None) -> None:
        """Show who is typing under the transcript ("" = nobody; typingbar.py)."""
        self.typing_bar.show(text, expires_in)

    def set_hosting(self, addresses: Sequence[str]) -> None:
        """Show where the room we host can be joined ("" when not hosting)."""
        text = f"hosting on {', '.join(addresses)}" if addresses else ""
        self.window.hosting_label.configure(text=text, foreground=themes.palette(self.root).hosting)

    def login_failed(self, reason: str) -> None:
        """The room refused us for good: offer the login dialog again (unless hosting)."""
        if self.presenter.server is None or self.presenter.client is not None:
            # A link's other addresses were tried already: the client moves along them.
            # Not inside the pump's tick: the dialog opens on its own turn.
            self.root.after_idle(self.show_login, reason)

    # --- status and title ---------------------------------------------------

    @property
    def status(self) -> str:
        """The status bar's connection text."""
        return self.window.status

    @property
    def hosting_status(self) -> str:
        """The status bar's hosting text ("" when not hosting)."""
        return str(self.window.hosting_label.cget("text"))

    def title_text(self) -> str:
        """The window title for the current room and unread count."""
        return self.presenter.title()

    def has_focus(self) -> bool:
        """True while the window (or one of its dialogs) has the keyboard focus.

        Asked once per pump batch: focus cannot change inside one callback, and
        every Tcl call lets the network thread take the GIL (a flood made each
        line wait for it).
        """
        if self.pump.handling > 1 and self._focus is not None:
            return self._focus
        try:
            focus = self.root.focus_get() is not None
        except (KeyError, tk.TclError):  # focus in a Tk-internal dialog
            focus = True
        self._focus = focus if self.pump.handling else None
        return focus

    def _end_batch(self) -> None:
        self.flush_tabs()
        self._focus = None
        self.transcript.flush()
        self.root.title(self._title)
        self.refresh_controls()

    def _check_signal(self) -> None:
        self._signal_check = self.root.after(SIGNAL_CHECK_MS, self._check_signal)
        if self.signal_received is not None:
            log.info("%s: closing the window", signal.Signals(self.signal_received).name)
            self.quit()

    # --- the room (menus and dialogs) ----------------------------------------------

    def join(
        self,
        host: str,
        port: int,
        name: str,
        password: str | None = None,
        pin: str | None = None,
        room_name: str | None = None,
        alternatives: tuple[tuple[str, int], ...] = (),
    ) -> None:
        """Join host:port, pinned to ``pin`` if given (see Presenter.join)."""
        if self.presenter.server is None:  # a room elsewhere: show it again on failure
            self._last_login = LoginValues(
                name, host, port, password or "", pin, room_name, alternatives
            )
            self.settings = replace(self.settings, name=name, host=host, port=port)
        self.presenter.join(host, port, name, password, pin, room_name, alternatives)
        self.transcript.flush()
        self.pump.poke()
        self.switch_pump.poke()

    def leave(self) -> None:
        """Close the client and stop a hosted server; the window stays."""
        self.presenter.leave()
        self.presenter.typing.clear()
        self.transcript.flush()

    def start_hosting(self, values: HostValues) -> str | None:
        """The Host dialog's ``start``: host on PORT and join; an error text or None."""
        if not self.confirm_end_hosting("Hosting a new room"):
            return "You still host the room you are in: nothing was changed."
        senders = frozenset({values.name}) if values.files_only_me else None  # "Only me"
        options = HostOptions(
            values.room_name,
            values.encrypted_only,
            values.announce,
            values.max_file_size,
            senders,
        )
        error = self.presenter.host(values.port, values.name, values.password or None, options)
        if error is None:
            self.settings = replace(
                self.settings,
                name=values.name,
                host_port=values.port,
                host_room_name=values.room_name,
                host_encrypted_only=values.encrypted_only,
                host_announce=values.announce,
                host_max_file_size=values.max_file_size,
                host_files_only_me=values.files_only_me,
            )
            self.transcript.flush()
            self.pump.poke()
        return error

    def send_text(self, text: str) -> bool:
        """The input's submit hook: False keeps the text in the input box."""
        sent = self.presenter.submit(text)
        self.transcript.flush()
        if sent:
            self.transcript.text.see("end")
        return sent

    def handle_event(self, event: ev.Event) -> None:
        """Apply one client event now (tests; the pump calls the presenter directly)."""
        self.presenter.handle(event)
        self._end_batch()

    # --- view ---------------------------------------------------------------

    # --- closing ------------------------------------------------------------

    def current_settings(self) -> Settings:
        """Settings as they should be saved now (geometry read from the window)."""
        geometry = self.settings.geometry
        width = self.settings.userlist_width
        try:
            if self.root.winfo_exists() and self.root.state() == "normal":
                geometry = self.root.geometry()
                width = self.window.userlist_width() or width
        except tk.TclError:
            pass
        if self.own_name:
            return replace(
                self.settings, geometry=geometry, name=self.own_name, userlist_width=width
            )
        return replace(self.settings, geometry=geometry, userlist_width=width)

    def request_quit(self) -> None:
        """Room ▸ Quit, Ctrl+Q and the close button: quit, but never lose typed lines unasked.

        Lines the room has not taken yet would be dropped, so the user is asked
        first (Cancel keeps the window and the lines, which go out if the room
        comes back).
        """
        if not self.confirm_end_hosting("Quitting"):
            return
        waiting = self.presenter.unsettled
        if waiting:
            lines = (
                "1 message you typed has" if waiting == 1 else f"{waiting} messages you typed have"
            )
            if not messagebox.askokcancel(
                dialog_title("Unsent messages"),
                f"{lines} not been sent yet.",
                detail="The room cannot be reached right now. Quit anyway and lose "
                + ("it?" if waiting == 1 else "them?"),
                icon=messagebox.WARNING,
                default=messagebox.CANCEL,
                parent=self.root,
            ):
                self.refocus.refocus()
                return
        self.quit()

    def quit(self) -> None:
        """Close the room, save settings, destroy the window; never waits for threads."""
        if self.closed:
            return
        settings = self.current_settings()
        self.closed = True
        self.refocus.close()
        self.typing_bar.cancel()
        self.pump.stop()
        self.switch_pump.stop()
        self.window.stop_countdown()
        with contextlib.suppress(tk.TclError):
            self.root.after_cancel(self._signal_check)
        self.stop_host_tick()
        self.presenter.quit()
        self.notifier.close()
        self.cancel_marking()
        self._save(settings)
        with contextlib.suppress(tk.TclError):
            self.root.destroy()
