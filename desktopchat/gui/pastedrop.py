"""Wiring of paste and drop into the main window: pictures and files go to the room or the tab.

Role: :func:`install` gives the message box its :class:`~.clipimage.ClipboardPaste`
(a pasted picture is offered as PNG, pasted file paths are sent after a
question) and, once the window is up, makes it a drop target
(:mod:`.dropping`). Both send to whoever the shown tab is with: the room,
or the person of a private tab (:func:`recipient`).

A pasted picture is refused with a red line in the shown tab (as Send
file… does), before anything is sent, when we are in no room, the room
takes no files, or the picture is over the room's largest file.
"""

from __future__ import annotations

import contextlib
import logging
import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from desktopchat.gui.clipimage import ClipboardPaste
from desktopchat.gui.conversations import ROOM
from desktopchat.gui.dropping import DropTarget, install_drop

if TYPE_CHECKING:
    from desktopchat.client import ChatClient
    from desktopchat.gui.presenter import Presenter
    from desktopchat.gui.texttools import TextTools
    from desktopchat.gui.window import MainWindow

__all__ = ["DROP_DELAY_MS", "PasteAndDrop", "install", "recipient"]

log = logging.getLogger(__name__)

#: The drop target is set up this long after the window is built (start-up stays fast).
DROP_DELAY_MS = 300


class _App(Protocol):
    root: tk.Tk
    window: MainWindow
    presenter: Presenter
    text_tools: TextTools

    @property
    def client(self) -> ChatClient | None: ...

    def send_files(
        self, paths: list[Path], to: str | None = None, *, confirmed: bool = False
    ) -> None: ...

    def file_error(self, text: str) -> None: ...


def recipient(presenter: Presenter) -> str | None:
    """Who the shown tab is with: a person's name, or None for the room."""
    conversations = presenter.conversations
    if conversations.active == ROOM:
        return None
    shown = conversations.get(conversations.active)
    return shown.name if shown is not None else None


class PasteAndDrop:
    """What :func:`install` made, for the app and the tests."""

    def __init__(self, app: _App, show_error: Callable[[str, str], None] | None = None) -> None:
        self.app = app
        self.show_error = show_error if show_error is not None else self._error_line
        self.paste = ClipboardPaste(
            app.window.input,
            send_image=self.send_picture,
            send_files=self.send_pasted_files,
            show_error=self.show_error,
        )
        app.text_tools.input_menu.can_paste_other = self.paste.has_picture_or_files
        self.drop: DropTarget | None = None
        self._drop_job: str | None = app.root.after(DROP_DELAY_MS, self.install_drop)
        app.root.bind("<Destroy>", self._on_destroy, add=True)

    def install_drop(self) -> DropTarget | None:
        """Make the window a drop target (once; None when tkinterdnd2 cannot be used)."""
        self._drop_job = None
        if self.drop is None:
            w = self.app.window
            self.drop = install_drop(self.app.root, [w.transcript.text, w.input], self.send_files)
        return self.drop

    def cancel(self) -> None:
        """Forget a drop set-up not done yet (the window closes)."""
        if self._drop_job is not None:
            with contextlib.suppress(tk.TclError):
                self.app.root.after_cancel(self._drop_job)
            self._drop_job = None

    def _on_destroy(self, event: tk.Event[tk.Misc]) -> None:
        if event.widget is self.app.root:
            self.cancel()

    def send_files(self, paths: list[Path]) -> None:
        """Send dropped files to the shown tab's person or the room (many: asked first)."""
        self.app.send_files(paths, recipient(self.app.presenter))

    def send_pasted_files(self, paths: list[Path]) -> None:
        """Send pasted files: the paste already asked "Send N files?", so no second question."""
        self.app.send_files(paths, recipient(self.app.presenter), confirmed=True)

    def send_picture(self, png: bytes, name: str) -> int | None:
        """Offer a pasted picture (PNG bytes) as ``name``; its cid, or None with a message."""
        client = self.app.client
        if client is None or not self.app.presenter.online:
            self.show_error("The picture was not sent.", "Join a room first, then paste it again.")
            return None
        limit = client.files_allowed
        if limit is None:
            self.show_error("The picture was not sent.", "This room does not take files.")
            return None
        if len(png) > limit:
            self.show_error(
                "The picture was not sent.",
                f"It is {len(png):,} bytes as PNG; this room takes files up to {limit:,} bytes.",
            )
            return None
        cid = client.offer_bytes(png, name, "image/png", recipient(self.app.presenter))
        self.app.presenter.transfers.offering_bytes(cid, name, png)  # our line shows it too
        return cid

    def _error_line(self, message: str, detail: str) -> None:
        self.app.file_error(f"{message} {detail}")  # a red line where the user looks


def install(app: _App) -> PasteAndDrop:
    """Add picture paste and file drop to ``app``'s window."""
    return PasteAndDrop(app)
