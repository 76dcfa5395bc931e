"""The main chat window and the controller that connects it to a room.

Role: :class:`ChatApp` owns the Tk widgets of the main window (menu bar,
transcript, user list, input, status bar), at most one
:class:`~desktopchat.client.ChatClient` and, while hosting, one
:class:`~desktopchat.server.RoomServer`. It turns client events into lines and
list changes, and menu commands into joins, hosting and leaving.

Threading invariant: nothing but the Tk thread touches a widget. The client's
network thread only puts events on its queue; an :class:`EventPump` drains it
on the Tk thread, at most a batch per tick, and the transcript is flushed once
per tick. ``send()`` never blocks.

Decisions (where the issue is silent):

* The main window is shown at once with the login dialog over it (a withdrawn
  root would drop keys and look like nothing started). Cancelling it leaves
  the empty window open, so someone who wants to host reaches Room ▸ Host
  room…; the close button or Ctrl+Q quits.
* Dialogs are watched with a ``<Destroy>`` binding instead of
  ``wait_window``: no nested event loop, so the pump keeps running under a
  dialog and tests can drive it.
* Our own messages are shown at once (the server does not echo them). While we
  are not connected they are marked "(queued)"; the client's outbox sends them
  after reconnecting and the markers go away. If the client gives up for good
  they turn into "(not sent)". A message the client refuses (too big) stays in
  the input with the reason in the transcript.
* ``/me TEXT`` and ``/msg NAME TEXT`` are echoed locally as an action and as a
  "→ NAME (private)" line; ``//text`` is shown as "/text" (the server's escape);
  other commands (``/who``, ``/nick``) are not echoed, their answers are.
* One room at a time: joining another room or hosting ends the current one
  (and a hosted server with it).
* The user list follows ``*users``/``*join``/``*leave``/``*nick``; against the
  tutorial's server (no events) it is built from ourselves plus every name
  seen talking. It is emptied (but for us) on a disconnect, being stale.
* A final failure (refused, name taken, wrong password) brings the login
  dialog back with the reason and the last values; when we host the room,
  it only shows in the status bar and the transcript.
* Hosting binds 0.0.0.0 and the host joins its own room over 127.0.0.1; the
  transcript lists the ``--join`` command for each address others can use.
* Leave room, Quit and the window's close button close the client and stop
  a hosted server (its clients are told the room closed). Quit also saves
  name, room, window geometry and text size, then destroys the root.
* The title is "desktopchat", "desktopchat — HOST:PORT" in a room, and gets an
  "(N) " unread prefix for messages that arrive while the app has no focus.
* The room replays its recent history after every (re)connect. The first
  time it is shown under "— earlier messages —"; after a reconnect only the
  lines after the last one already shown appear, under "— missed while
  disconnected —", so nothing is shown twice (``gui/seen.py`` has the rules).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import math
import queue
import time
import tkinter as tk
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from tkinter import filedialog, messagebox, ttk
from tkinter import font as tkfont
from typing import TYPE_CHECKING, Any

from desktopchat import __version__
from desktopchat.client import ChatClient
from desktopchat.events import (
    ROOM_CLOSED,
    Action,
    ChatMessage,
    Connected,
    Disconnected,
    Event,
    Failed,
    History,
    Info,
    Joined,
    Left,
    NickChanged,
    PrivateMessage,
    Reconnecting,
    ServerError,
    UserList,
    Welcome,
)
from desktopchat.gui.host import HostDialog, HostValues
from desktopchat.gui.inputbox import InputBox
from desktopchat.gui.login import LoginDialog, LoginValues
from desktopchat.gui.menus import MenuItem, MenuTable, build_menubar
from desktopchat.gui.pump import EventPump
from desktopchat.gui.seen import SeenLines, line_of
from desktopchat.gui.textwindow import protocol_text, show_text_window
from desktopchat.gui.transcript import Transcript
from desktopchat.gui.userlist import UserPanel
from desktopchat.protocol import LocalProtocolError, name_key
from desktopchat.settings import FONT_SIZE_RANGE, Settings, save_settings

if TYPE_CHECKING:  # imported when hosting starts: joining a room never needs it
    from desktopchat.server import RoomServer

__all__ = ["APP_TITLE", "ChatApp"]

log = logging.getLogger(__name__)

APP_TITLE = "desktopchat"

#: Window size when no geometry was saved.
DEFAULT_GEOMETRY = "880x580"

ClientFactory = Callable[..., ChatClient]
ServerFactory = Callable[..., "RoomServer"]


class ChatApp:
    """The main window and its room session (client, maybe a hosted server)."""

    def __init__(
        self,
        root: tk.Tk,
        settings: Settings | None = None,
        *,
        client_factory: ClientFactory = ChatClient,
        server_factory: ServerFactory | None = None,
        save: Callable[[Settings], None] = save_settings,
    ) -> None:
        self.root = root
        self.settings = settings if settings is not None else Settings()
        self._client_factory = client_factory
        self._server_factory = server_factory
        self._save = save
        self.client: ChatClient | None = None
        self.server: RoomServer | None = None
        self.own_name: str | None = None
        self.address: tuple[str, int] | None = None
        self.online = False
        self.unread = 0
        self.dialog: tk.Toplevel | None = None
        self.closed = False
        self._last_login: LoginValues | None = None
        self._hosting_addresses: list[str] = []
        #: Room lines shown since join(), to skip them when a reconnect replays history.
        self.seen = SeenLines()
        # From Connected until the room's history replay (or the first live
        # line): what we type now reaches the room after that replay.
        self._awaiting_replay = False
        self._countdown_id: str | None = None
        self._countdown_until = 0.0
        self._title_dirty = False

        self._build_fonts()
        self._build_widgets()
        self._build_menus()
        root.title(APP_TITLE)
        root.geometry(self.settings.geometry or DEFAULT_GEOMETRY)
        root.minsize(520, 340)
        root.protocol("WM_DELETE_WINDOW", self.request_quit)
        root.bind("<FocusIn>", self._focus_in, add=True)
        self.pump: EventPump[Event] = EventPump(
            root, self._events_source, self.handle_event, end_batch=self._end_batch
        )
        self.pump.start()
        self.set_status("not connected: Room ▸ Join room… or Host room…")
        self.input.focus_set()

    # --- construction -------------------------------------------------------

    def _build_fonts(self) -> None:
        base = tkfont.nametofont("TkTextFont").actual()
        size = self.settings.font_size
        self.text_font = tkfont.Font(self.root, family=base["family"], size=size)
        self.list_font = tkfont.Font(self.root, family=base["family"], size=size)

    def _build_widgets(self) -> None:
        root = self.root
        style = ttk.Style(root)
        if "clam" in style.theme_names():
            style.theme_use("clam")
        # Plain Tk toplevels (dialogs) get the theme's background, so no strip of
        # a different grey shows around ttk frames.
        background = style.lookup("TFrame", "background")
        if background:
            root.configure(background=background)
            root.option_add("*Toplevel.background", background)
        # The status bar is packed first so it keeps its line when the window shrinks.
        status = ttk.Frame(root, relief="sunken", padding=(6, 2))
        status.pack(fill="x", side="bottom")
        self.status_label = ttk.Label(status, text="", anchor="w")
        self.status_label.pack(side="left", fill="x", expand=True)
        self.hosting_label = ttk.Label(status, text="", anchor="e", foreground="#2e7d32")
        self.hosting_label.pack(side="right")

        outer = ttk.Frame(root, padding=(6, 6, 6, 0))
        outer.pack(fill="both", expand=True)

        self.panes = ttk.PanedWindow(outer, orient="horizontal")
        self.transcript = Transcript(self.panes, text_font=self.text_font)
        self.userlist = UserPanel(self.panes, on_pick=self.start_private, list_font=self.list_font)
        self.panes.add(self.transcript, weight=5)
        self.panes.add(self.userlist, weight=0)  # extra width goes to the transcript

        entry_row = ttk.Frame(outer, padding=(0, 6, 0, 6))
        entry_row.pack(fill="x", side="bottom")
        self.panes.pack(fill="both", expand=True)
        self.input = InputBox(entry_row, on_submit=self.send_text, text_font=self.text_font)
        self.input.pack(side="left", fill="x", expand=True)
        self.send_button = ttk.Button(entry_row, text="Send", width=6, command=self.input.submit)
        self.send_button.pack(side="left", padx=(6, 0), fill="y")

    def menu_table(self) -> MenuTable:
        """The whole menu bar: (menu, [(label, handler, accelerator), ...])."""
        return [
            (
                "&Room",
                [
                    MenuItem("&Host room…", self.host_room),
                    MenuItem("&Join room…", self.join_room),
                    MenuItem("&Leave room", self.leave_room),
                    None,
                    MenuItem("&Save transcript…", self.save_transcript),
                    None,
                    MenuItem("&Quit", self.request_quit, "Ctrl+Q", ("<Control-q>", "<Control-Q>")),
                ],
            ),
            (
                "&View",
                [
                    MenuItem(
                        "&Larger text",
                        self.larger_text,
                        "Ctrl+=",
                        ("<Control-equal>", "<Control-plus>", "<Control-KP_Add>"),
                    ),
                    MenuItem(
                        "&Smaller text",
                        self.smaller_text,
                        "Ctrl+-",
                        ("<Control-minus>", "<Control-KP_Subtract>"),
                    ),
                ],
            ),
            (
                "&Help",
                [
                    MenuItem("&Protocol", self.show_protocol),
                    MenuItem("&About", self.show_about),
                ],
            ),
        ]

    def _build_menus(self) -> None:
        self.menus = build_menubar(self.root, self.menu_table())

    # --- status and title ---------------------------------------------------

    def set_status(self, text: str) -> None:
        """Show ``text`` in the status bar (stops a reconnect countdown)."""
        self._stop_countdown()
        self.status_label.configure(text=text)

    @property
    def status(self) -> str:
        """The status bar's connection text."""
        return str(self.status_label.cget("text"))

    @property
    def hosting_status(self) -> str:
        """The status bar's hosting text ("" when not hosting)."""
        return str(self.hosting_label.cget("text"))

    def _start_countdown(self, delay: float) -> None:
        self._stop_countdown()
        self._countdown_until = time.monotonic() + delay
        self._countdown_tick()

    def _countdown_tick(self) -> None:
        left = self._countdown_until - time.monotonic()
        if left <= 0.05:
            self.status_label.configure(text="reconnecting…")
            self._countdown_id = None
            return
        self.status_label.configure(text=f"reconnecting in {math.ceil(left)} s…")
        # Wake when the shown whole number of seconds changes.
        next_change = left - (math.ceil(left) - 1)
        self._countdown_id = self.root.after(max(1, int(next_change * 1000)), self._countdown_tick)

    def _stop_countdown(self) -> None:
        if self._countdown_id is not None:
            self.root.after_cancel(self._countdown_id)
            self._countdown_id = None

    def title_text(self) -> str:
        """The window title for the current room and unread count."""
        title = APP_TITLE
        if self.address is not None:
            host, port = self.address
            title = f"{APP_TITLE} — {host}:{port}"
        if self.unread:
            title = f"({self.unread}) {title}"
        return title

    def _update_title(self) -> None:
        self._title_dirty = False
        self.root.title(self.title_text())

    def _has_focus(self) -> bool:
        try:
            return self.root.focus_get() is not None
        except (KeyError, tk.TclError):  # focus in a Tk-internal dialog
            return True

    def _focus_in(self, _event: tk.Event[tk.Misc]) -> None:
        if self.unread:
            self.unread = 0
            self._update_title()

    def _count_unread(self) -> None:
        if not self._has_focus():
            self.unread += 1
            self._title_dirty = True

    # --- the room session ---------------------------------------------------

    def _events_source(self) -> queue.Queue[Event] | None:
        return self.client.events if self.client is not None else None

    def join(self, host: str, port: int, name: str, password: str | None = None) -> None:
        """Leave any room we are in (keeping a hosted server) and join host:port."""
        self._close_client()
        if self.server is None:  # when hosting, the hosting lines say enough
            self.transcript.add_event(f"Connecting to {host}:{port} as {name}…")
        self.own_name = name
        self.address = (host, port)
        self.online = False
        self.userlist.set_own(name)
        self.userlist.clear()
        self.seen.clear()
        self._awaiting_replay = False
        self.set_status(f"connecting to {host}:{port}…")
        if self.server is None:  # a room elsewhere: remember it, and show it again on failure
            self._last_login = LoginValues(name, host, port, password or "")
            self.settings = replace(self.settings, name=name, host=host, port=port)
        self.client = self._client_factory(host, port, name, password or None, events=queue.Queue())
        self.client.start()
        self._update_title()
        self.transcript.flush()
        self.pump.poke()

    def _close_client(self) -> None:
        client, self.client = self.client, None
        self.online = False
        if client is not None:
            client.close()

    def _stop_server(self) -> None:
        server, self.server = self.server, None
        self._hosting_addresses = []
        self.hosting_label.configure(text="")
        if server is not None:
            server.stop()

    def leave(self) -> None:
        """Close the client and stop a hosted server; the window stays."""
        was_in_room = self.client is not None or self.server is not None
        self._close_client()
        self._stop_server()
        self.address = None
        self.unread = 0
        self.userlist.set_own(None)
        self.userlist.clear()
        self._update_title()
        if was_in_room:
            self.transcript.add_event("You left the room.")
            self.transcript.fail_queued()
            self.transcript.flush()
        self.set_status("not connected: Room ▸ Join room… or Host room…")

    def start_hosting(self, values: HostValues) -> str | None:
        """Start a room server on 0.0.0.0:PORT and join it; return an error text or None.

        This is the Host dialog's ``start`` callback: the dialog stays open and
        shows the text when the port cannot be used.
        """
        from desktopchat.lan import join_addresses
        from desktopchat.server import RoomServer

        password = values.password or None
        factory = self._server_factory or RoomServer
        if self.server is not None and int(self.server.address[1]) == values.port:
            self.leave()  # re-hosting on our own port: free it first
        try:
            server = factory("0.0.0.0", values.port, password=password)
        except OSError as exc:
            log.info("cannot host on port %s: %s", values.port, exc)
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"Port {values.port} is already in use. "
                    "Choose another port, or 0 for any free port."
                )
            return f"Cannot host on port {values.port}: {exc.strerror or exc}."
        self.leave()  # one room at a time: hosting ends the room we were in
        server.start()
        self.server = server
        port = int(server.address[1])
        self._hosting_addresses = join_addresses(server.address)
        shown = ", ".join(self._hosting_addresses)
        self.hosting_label.configure(text=f"hosting on {shown}")
        self.settings = replace(self.settings, name=values.name, host_port=values.port)
        self.transcript.add_event(f"Hosting a room on port {port}.")
        for addr in self._hosting_addresses:
            self.transcript.add_event(f"Others can join with: python -m desktopchat --join {addr}")
        self.join("127.0.0.1", port, values.name, password)
        return None

    def handle_event(self, event: Event) -> None:
        """Apply one client event to the widgets (Tk thread only)."""
        t = self.transcript
        match event:
            case ChatMessage(sender=sender, text=text):
                self._live_line("say", sender, text)
                t.add_message(sender, text)
                self.userlist.seen(sender)
                self._count_unread()
            case PrivateMessage(sender=sender, text=text):
                t.add_private(sender, text, outgoing=False)
                self.userlist.seen(sender)
                self._count_unread()
            case Action(sender=sender, text=text):
                self._live_line("me", sender, text)
                t.add_action(sender, text, own=self._is_own(sender))
                self.userlist.seen(sender)
                self._count_unread()
            case Joined(name=name):
                t.add_event(f"{name} joined")
                self.userlist.add(name)
            case Left(name=name):
                t.add_event(f"{name} left")
                self.userlist.remove(name)
            case UserList(names=names):
                self.userlist.set_names(names)
            case NickChanged(old=old, new=new):
                t.add_event(f"{old} is now known as {new}")
                self.userlist.rename(old, new)
                if self._is_own(old):
                    self.own_name = new
                    self._show_connected()
            case History(messages=messages):
                self._show_history(messages)
            case Connected(host=host, port=port, name=name):
                self.online = True
                self._awaiting_replay = True
                self.own_name = name
                self.address = (host, port)
                self.userlist.set_own(name)
                t.add_event(f"Connected to {host}:{port} as {name}.")
                t.settle_queued()
                self._show_connected()
                self._update_title()
            case Welcome(text=text):
                t.add_event(text)
            case Info(text=text):
                if text != ROOM_CLOSED:  # the Disconnected line that follows says it
                    t.add_event(text)
            case ServerError(text=text):
                t.add_error(text)
            case Disconnected(reason=reason):
                self.online = False
                self.userlist.clear()  # stale now; the next *users refills it
                if reason == ROOM_CLOSED:
                    reason = "the host closed the room"
                t.add_event(f"Disconnected: {reason}.")
                self.set_status(f"disconnected: {reason}")
            case Reconnecting(delay=delay):
                self.online = False
                self._start_countdown(delay)
            case Failed(reason=reason):
                self._failed(reason)
            case _:
                log.debug("ignored event %r", event)

    def _live_line(self, kind: str, sender: str, text: str) -> None:
        if self._awaiting_replay:  # no replay came: what we typed has gone out by now
            self._awaiting_replay = False
            self.seen.settle()
        self.seen.shown(line_of(kind, sender, text))

    def _show_history(self, messages: tuple[ChatMessage | Action, ...]) -> None:
        """Show the replayed lines not shown yet: all the first time, the missed ones later."""
        self._awaiting_replay = False
        start = self.seen.new_from(messages)
        fresh = messages[start:]
        t = self.transcript
        if fresh:
            t.add_event("— earlier messages —" if start == 0 else "— missed while disconnected —")
        for message in fresh:
            own = self._is_own(message.sender)
            if isinstance(message, Action):
                t.add_action(message.sender, message.text, own=own)
            else:
                t.add_message(message.sender, message.text, own=own)
            if start:
                self._count_unread()
        self.seen.replayed(messages, start)

    def _own_line(self, kind: str, text: str) -> None:
        line = line_of(kind, self.own_name or "", text)
        if not self.online or self._awaiting_replay:
            self.seen.typed_unsent(line)
        else:
            self.seen.shown(line)

    def _is_own(self, name: str) -> bool:
        return self.own_name is not None and name_key(name) == name_key(self.own_name)

    def _show_connected(self) -> None:
        if self.address is not None and self.own_name is not None:
            host, port = self.address
            self.set_status(f"connected to {host}:{port} as {self.own_name}")

    def _failed(self, reason: str) -> None:
        self.online = False
        self.transcript.add_error(reason)
        self.transcript.fail_queued()
        self.set_status(f"failed: {reason}")
        client, self.client = self.client, None
        if client is not None:
            client.close()
        if self.server is None:
            # Not inside the pump's tick: the dialog opens on its own turn.
            self.root.after_idle(self.show_login, reason)

    def _end_batch(self) -> None:
        self.transcript.flush()
        if self._title_dirty:
            self._update_title()

    # --- sending ------------------------------------------------------------

    def send_text(self, text: str) -> bool:
        """The input's submit hook: send ``text``; False keeps it in the input."""
        text = text.rstrip()
        if self.client is None:
            self.transcript.add_error("Not in a room: use Room ▸ Join room… or Host room… first.")
            self.transcript.flush()
            return False
        try:
            self.client.send(text)
        except LocalProtocolError as exc:
            self.transcript.add_error(f"Not sent (still in the input box): {exc}")
            self.transcript.flush()
            return False
        self._echo(text)
        self.transcript.flush()
        self.transcript.text.see("end")
        return True

    def _echo(self, text: str) -> None:
        name = self.own_name or "me"
        queued = not self.online
        t = self.transcript
        if text.startswith("//"):
            t.add_message(name, text[1:], own=True, queued=queued)  # "//" escapes a "/"
            self._own_line("say", text[1:])
        elif text.startswith("/me ") and text[4:].strip():
            t.add_action(name, text[4:], own=True, queued=queued)
            self._own_line("me", text[4:])
        elif text.startswith("/msg "):
            _, _, rest = text.partition(" ")
            parts = rest.split(None, 1)
            if len(parts) == 2:
                t.add_private(parts[0], parts[1], outgoing=True, queued=queued)
        elif text.startswith("/"):
            return
        else:
            t.add_message(name, text, own=True, queued=queued)
            self._own_line("say", text)

    def start_private(self, name: str) -> None:
        """Put ``/msg NAME `` in the input and focus it (user-list double-click)."""
        self.input.set_text(f"/msg {name} ")
        self.input.focus_set()

    # --- dialogs ------------------------------------------------------------

    def _watch_dialog(self, dialog: tk.Toplevel, done: Callable[[Any], None]) -> None:
        self.dialog = dialog

        def on_destroy(event: tk.Event[tk.Misc]) -> None:
            # Only the user's OK/Cancel counts: a dialog the app closed itself
            # (another one replaced it, or the window is closing) reports nothing.
            if event.widget is not dialog or self.dialog is not dialog:
                return
            self.dialog = None
            if not self.closed:
                done(getattr(dialog, "result", None))

        dialog.bind("<Destroy>", on_destroy, add=True)

    def _close_dialog(self) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is not None and dialog.winfo_exists():
            dialog.destroy()

    def login_initial(self) -> LoginValues:
        """Values the login dialog starts with: the last attempt, else the settings."""
        if self._last_login is not None:
            return self._last_login
        s = self.settings
        return LoginValues(name=s.name, host=s.host, port=s.port, password="")

    def show_login(
        self,
        error: str | None = None,
        initial: LoginValues | None = None,
    ) -> None:
        """Open the login dialog; on Connect, join that room."""
        if self.closed:
            return
        self._close_dialog()
        dialog = LoginDialog(self.root, initial or self.login_initial(), error)

        def done(result: LoginValues | None) -> None:
            if result is None:
                return
            self._last_login = result
            self.settings = replace(
                self.settings, name=result.name, host=result.host, port=result.port
            )
            if self.server is not None:
                self.leave()  # one room at a time: joining elsewhere ends hosting
            self.join(result.host, result.port, result.name, result.password)

        self._watch_dialog(dialog, done)

    def join_room(self) -> None:
        """Room ▸ Join room…"""
        self.show_login()

    def host_room(self, initial: HostValues | None = None) -> None:
        """Room ▸ Host room…: the dialog calls :meth:`start_hosting` on Start."""
        if self.closed:
            return
        self._close_dialog()
        if initial is None:
            initial = HostValues(
                name=self.own_name or self.settings.name,
                port=self.settings.host_port,
                password="",
            )
        dialog = HostDialog(self.root, initial, self.start_hosting)
        self._watch_dialog(dialog, lambda _result: None)

    def leave_room(self) -> None:
        """Room ▸ Leave room."""
        if self.client is None and self.server is None:
            self.transcript.add_event("You are not in a room.")
            self.transcript.flush()
            return
        self.leave()

    def save_transcript(self) -> None:
        """Room ▸ Save transcript…: write the transcript as UTF-8 text."""
        path = filedialog.asksaveasfilename(
            parent=self.root,
            title="Save transcript",
            defaultextension=".txt",
            initialfile=time.strftime("desktopchat-%Y-%m-%d-%H%M.txt"),
            filetypes=[("Text files", "*.txt"), ("All files", "*")],
        )
        if path:
            self.write_transcript(Path(path))

    def write_transcript(self, path: Path) -> bool:
        """Write the transcript to ``path``; report a failure in a dialog."""
        try:
            path.write_text(self.transcript.get_text(), encoding="utf-8")
        except OSError as exc:
            messagebox.showerror(
                "Save transcript", f"Could not save {path}:\n{exc}", parent=self.root
            )
            return False
        self.transcript.add_event(f"Transcript saved to {path}")
        self.transcript.flush()
        return True

    def show_protocol(self) -> None:
        """Help ▸ Protocol."""
        show_text_window(self.root, "desktopchat — protocol", protocol_text())

    def show_about(self) -> None:
        """Help ▸ About."""
        messagebox.showinfo(
            "About desktopchat",
            f"desktopchat {__version__}\n\n"
            "A chat room for a small group on one network.\n"
            "Host a room from the Room menu, or join one with its address.",
            parent=self.root,
        )

    # --- view ---------------------------------------------------------------

    def set_font_size(self, size: int) -> None:
        """Resize the transcript, list and input text (clamped to the allowed range)."""
        low, high = FONT_SIZE_RANGE
        size = max(low, min(high, size))
        for f in (self.text_font, self.list_font):
            f.configure(size=size)
        self.transcript.sync_fonts()
        self.settings = replace(self.settings, font_size=size)

    def larger_text(self) -> None:
        """View ▸ Larger text."""
        self.set_font_size(self.settings.font_size + 1)

    def smaller_text(self) -> None:
        """View ▸ Smaller text."""
        self.set_font_size(self.settings.font_size - 1)

    # --- closing ------------------------------------------------------------

    def current_settings(self) -> Settings:
        """Settings as they should be saved now (geometry read from the window)."""
        geometry = self.settings.geometry
        try:
            if self.root.winfo_exists() and self.root.state() == "normal":
                geometry = self.root.geometry()
        except tk.TclError:
            pass
        if self.own_name:
            return replace(self.settings, geometry=geometry, name=self.own_name)
        return replace(self.settings, geometry=geometry)

    def request_quit(self) -> None:
        """Room ▸ Quit, Ctrl+Q and the close button: quit, but never lose typed lines unasked.

        Lines typed while the room is unreachable wait in the client's outbox;
        quitting would drop them, so the user is asked first (Cancel keeps the
        window and the lines, which go out if the room comes back).
        """
        waiting = self.client.pending if self.client is not None else 0
        if waiting:
            lines = (
                "1 message you typed has" if waiting == 1 else f"{waiting} messages you typed have"
            )
            if not messagebox.askokcancel(
                APP_TITLE,
                f"{lines} not been sent yet.",
                detail="The room cannot be reached right now. Quit anyway and lose "
                + ("it?" if waiting == 1 else "them?"),
                icon=messagebox.WARNING,
                default=messagebox.CANCEL,
                parent=self.root,
            ):
                return
        self.quit()

    def quit(self) -> None:
        """Leave, save settings and destroy the window (SIGTERM and Ctrl+C come here directly)."""
        if self.closed:
            return
        settings = self.current_settings()
        self.closed = True
        self.pump.stop()
        self._stop_countdown()
        self._close_client()
        self._stop_server()
        self._save(settings)
        with contextlib.suppress(tk.TclError):
            self.root.destroy()
