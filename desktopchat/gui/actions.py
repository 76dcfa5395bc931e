"""The menu bar and what its items do: dialogs, saving, help, text size.

:class:`MenuActions` is a mixin of :class:`~.app.ChatApp` (which keeps the
view side of the presenter): the menu table, the login / host dialogs and the
other commands a menu item or shortcut runs. Each method takes the app as
``self``; dialogs are watched with ``<Destroy>`` (no nested event loop).
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from tkinter import filedialog, messagebox
from typing import TYPE_CHECKING, Any

from desktopchat.gui import helptext
from desktopchat.gui import theme as themes
from desktopchat.gui.defaults import default_name, save_place
from desktopchat.gui.host import HostDialog, HostValues
from desktopchat.gui.login import LoginDialog, LoginValues
from desktopchat.gui.menus import MenuItem, MenuTable, Submenu, radio_variable, shortcuts
from desktopchat.gui.textwindow import protocol_text, show_about, show_help
from desktopchat.gui.title import dialog_title
from desktopchat.settings import FONT_SIZE_RANGE, Settings

if TYPE_CHECKING:
    from desktopchat.gui.presenter import Presenter
    from desktopchat.gui.refocus import FocusKeeper
    from desktopchat.gui.texttools import TextTools
    from desktopchat.gui.transcript import Transcript
    from desktopchat.gui.window import MainWindow

__all__ = ["AUTO", "AUTO_ACCEPT_ITEMS", "THEME_ITEMS", "MenuActions"]

#: View ▸ Theme: (label, settings value).
THEME_ITEMS = (("&System", "system"), ("&Light", "light"), ("&Dark", "dark"))

#: Room ▸ Files offered to you: (label, choice); AUTO is their radio group (filesview.py).
AUTO = "autoaccept"
AUTO_ACCEPT_ITEMS = (("&Ask me each time", "ask"), ("&Save them into a folder…", "auto"))


class MenuActions:
    """What the menu bar offers; mixed into ChatApp."""

    if TYPE_CHECKING:  # provided by ChatApp
        root: tk.Tk
        closed: bool
        dialog: tk.Toplevel | None
        settings: Settings
        presenter: Presenter
        transcript: Transcript
        window: MainWindow
        text_tools: TextTools
        refocus: FocusKeeper
        _last_login: LoginValues | None

        def join(
            self,
            host: str,
            port: int,
            name: str,
            password: str | None = None,
            pin: str | None = None,
            room_name: str | None = None,
            alternatives: tuple[tuple[str, int], ...] = (),
        ) -> None: ...
        def leave(self) -> None: ...
        def start_hosting(self, values: HostValues) -> str | None: ...
        def request_quit(self) -> None: ...
        def show_room_info(self) -> None: ...
        def invite_people(self) -> None: ...
        def send_file_dialog(self) -> None: ...
        def auto_accept_setter(self, choice: str) -> Callable[[], None]: ...
        def choose_download_folder(self) -> None: ...

    def menu_table(self) -> MenuTable:
        """The whole menu bar: (menu, [(label, handler, accelerator), ...])."""
        return [
            (
                "&Room",
                [
                    MenuItem("&Host room…", self.host_room),
                    MenuItem("&Join room…", self.join_room),
                    MenuItem("&Leave room", self.leave_room),
                    MenuItem("Room &info…", self.show_room_info),
                    MenuItem("&Invite people…", self.invite_people),
                    None,
                    MenuItem("Send &file…", self.send_file_dialog),
                    Submenu(
                        "Files &offered to you",
                        [
                            *(
                                MenuItem(label, self.auto_accept_setter(v), group=AUTO, value=v)
                                for label, v in AUTO_ACCEPT_ITEMS
                            ),
                            None,
                            MenuItem("&Download folder (for Open)…", self.choose_download_folder),
                        ],
                    ),
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
                    MenuItem(
                        "&Reset text size",
                        self.reset_text_size,
                        "Ctrl+0",
                        ("<Control-0>", "<Control-KP_0>", "<Control-KP_Insert>"),
                    ),
                    None,
                    MenuItem("&Find…", self.find, "Ctrl+F", ("<Control-f>", "<Control-F>")),
                    None,
                    Submenu(
                        "&Theme",
                        [
                            MenuItem(label, self.theme_setter(value), group="theme", value=value)
                            for label, value in THEME_ITEMS
                        ],
                    ),
                ],
            ),
            (
                "&Help",
                [
                    MenuItem("&Getting started", self.show_getting_started, "F1", ("<F1>",)),
                    MenuItem("&Commands and shortcuts", self.show_commands),
                    MenuItem("For &developers (protocol)", self.show_protocol),
                    None,
                    MenuItem("&About", self.show_about),
                ],
            ),
        ]

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
        return LoginValues(name=default_name(s.name), host=s.host, port=s.port, password="")

    def show_login(
        self,
        error: str | None = None,
        initial: LoginValues | None = None,
        *,
        offer_host: bool = False,
    ) -> None:
        """Open the login dialog; on Connect, join that room (offer_host: first start)."""
        if self.closed:
            return
        self._close_dialog()
        dialog = LoginDialog(
            self.root,
            initial or self.login_initial(),
            error,
            browser_factory=self.presenter.lan.browser,  # None: no "Rooms on this network"
            on_host=(lambda: self.root.after_idle(self.host_room)) if offer_host else None,
        )

        def done(result: LoginValues | None) -> None:
            if result is None:
                return
            self._last_login = result
            self.settings = replace(
                self.settings, name=result.name, host=result.host, port=result.port
            )
            # One room at a time: joining elsewhere ends hosting (once the new room let
            # us in: presenter.join keeps the current room until then).
            if self.confirm_end_hosting("Joining another room"):
                self.join(
                    result.host,
                    result.port,
                    result.name,
                    result.password,
                    result.pin,
                    result.room_name,
                    result.alternatives,
                )

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
            s = self.settings
            initial = HostValues(
                name=self.presenter.own_name or default_name(s.name),
                port=s.host_port,
                password="",
                room_name=s.host_room_name,
                encrypted_only=s.host_encrypted_only,
                announce=s.host_announce,
                max_file_size=s.host_max_file_size,
                files_only_me=s.host_files_only_me,
            )
        dialog = HostDialog(self.root, initial, self.start_hosting)
        self._watch_dialog(dialog, lambda _result: None)

    def leave_room(self) -> None:
        """Room ▸ Leave room."""
        if self.presenter.client is None and self.presenter.server is None:
            self.transcript.add_event("You are not in a room.")
            self.transcript.flush()
            return
        if self.confirm_end_hosting("Leaving"):
            self.leave()

    def confirm_end_hosting(self, verb: str) -> bool:
        """Ask before closing a room we host with others in it; False = Cancel (keep it)."""
        question = self.presenter.switch.hosting_question(verb)
        if question is None:
            return True
        answer = messagebox.askokcancel(
            dialog_title("Close your room?"),
            question,
            detail="Everyone in it is told the room closed. Go ahead?",
            icon=messagebox.WARNING,
            default=messagebox.CANCEL,
            parent=self.root,
        )
        self.refocus.refocus()
        return bool(answer)

    def save_transcript(self) -> None:
        """Room ▸ Save transcript…: write the transcript as UTF-8 text."""
        folder, name = save_place()  # ~/Documents or home, a dated name
        path = filedialog.asksaveasfilename(
            parent=self.root,
            title="Save transcript",
            defaultextension=".txt",
            initialdir=str(folder),
            initialfile=name,
            filetypes=[("Text files", "*.txt"), ("All files", "*")],
        )
        self.refocus.refocus()
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
            self.refocus.refocus()
            return False
        self.transcript.add_event(f"Transcript saved to {path}")
        self.transcript.flush()
        return True

    def show_getting_started(self) -> None:
        """Help ▸ Getting started."""
        show_help(self.root, "Getting started", helptext.getting_started())

    def show_commands(self) -> None:
        """Help ▸ Commands and shortcuts (from the command table and this menu table)."""
        text = helptext.commands_and_shortcuts(shortcuts(self.menu_table()))
        show_help(self.root, "Commands and shortcuts", text)

    def show_protocol(self) -> None:
        """Help ▸ For developers: the wire protocol."""
        show_help(self.root, "For developers (protocol)", protocol_text())

    def show_about(self) -> None:
        """Help ▸ About."""
        show_about(self.root)

    def theme_setter(self, choice: str) -> Callable[[], None]:
        """The View ▸ Theme item for ``choice``."""
        return lambda: self.set_theme(choice)

    def set_theme(self, choice: str) -> None:
        """View ▸ Theme: switch now (every window, every line) and remember the choice."""
        themes.apply(self.root, choice)
        self.root.setvar(radio_variable("theme"), choice)
        self.settings = replace(self.settings, theme=choice)

    def set_font_size(self, size: int) -> None:
        """Resize the transcript, list and input text (clamped to the allowed range)."""
        low, high = FONT_SIZE_RANGE
        size = max(low, min(high, size))
        self.window.set_font_size(size)
        self.settings = replace(self.settings, font_size=size)

    def larger_text(self) -> None:
        """View ▸ Larger text."""
        self.set_font_size(self.settings.font_size + 1)

    def smaller_text(self) -> None:
        """View ▸ Smaller text."""
        self.set_font_size(self.settings.font_size - 1)

    def reset_text_size(self) -> None:
        """View ▸ Reset text size (Ctrl+0): the size a new install starts with."""
        self.set_font_size(Settings().font_size)

    def find(self) -> None:
        """View ▸ Find… (Ctrl+F): the find bar under the transcript."""
        self.text_tools.open_find()
