"""The window's side of file transfers: offer lines, their buttons, sending files.

:class:`FilesView` is a mixin of :class:`~.app.ChatApp`. It implements the
:class:`~.transfers.TransferView` part of the presenter's view (an offer's
line with its widgets: ``transferview.py``; thumbnails: ``pictures.py``),
carries out the buttons' choices through :class:`~.transfers.Transfers`, and
sends files: Room ▸ Send file…, the paperclip button beside the message box
(both to the shown tab's person, or the room) and :meth:`FilesView.send_files`,
which paste and drop use too (``pastedrop.py``).

Decisions:

* Save… asks where, starting in the download folder with the sanitised name
  (the dialog asks before replacing a file); nothing is written before that.
* Open writes into the download folder (``Settings.download_dir``, else
  ~/Downloads, else home) and opens with the system's program (``opener.py``),
  never a program file (``transfers.py`` decides).
* Room ▸ Files offered to you ▸ Save them into a folder… (off by default)
  saves offers made from then on into a folder without asking
  (``Settings.auto_accept_dir``; ``transfers.py`` keeps programs out).
* Sending more than :data:`ASK_ABOVE` files at once asks first. Folders,
  missing or unreadable files and files over the room's limit are refused
  before anything is hashed, each with a sentence in the transcript.
"""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from tkinter import filedialog, messagebox
from typing import TYPE_CHECKING

from desktopchat.files.names import safe_name
from desktopchat.gui import opener
from desktopchat.gui.actions import AUTO
from desktopchat.gui.attachbutton import attach_button
from desktopchat.gui.lines import Kind, Line
from desktopchat.gui.menus import radio_variable
from desktopchat.gui.pastedrop import recipient
from desktopchat.gui.title import dialog_title
from desktopchat.gui.transferrules import Action, Transfer, download_folder, shown_path
from desktopchat.gui.transfertext import size_text
from desktopchat.gui.transferview import TransferLine, add_thumbnail, show_offer

if TYPE_CHECKING:
    from desktopchat.gui.controls import Enabler
    from desktopchat.gui.presenter import Presenter
    from desktopchat.gui.refocus import FocusKeeper
    from desktopchat.gui.transcript import Transcript
    from desktopchat.gui.window import MainWindow
    from desktopchat.settings import Settings

__all__ = ["ASK_ABOVE", "FilesView"]

#: More files than this at once: "Send 12 files?" first.
ASK_ABOVE = 5
#: Lines whose widgets are remembered; beyond, those the transcript dropped are forgotten.
MAX_LINES = 500
#: Files at least this big get a line while they are hashed (it takes a moment).
ANNOUNCE_HASHING = 50_000_000


class FilesView:
    """Offer lines and sending files (mixed into ChatApp). See the module docstring."""

    if TYPE_CHECKING:  # provided by ChatApp
        root: tk.Tk
        presenter: Presenter
        settings: Settings
        refocus: FocusKeeper
        window: MainWindow
        enabler: Enabler

        def transcript_of(self, tid: int) -> Transcript: ...
        def refresh_controls(self) -> None: ...

    _transfer_lines: dict[Transfer, TransferLine]

    def setup_files(self) -> None:
        """The paperclip beside the message box; Open writes into the settings' download folder."""
        self._transfer_lines = {}
        transfers = self.presenter.transfers
        transfers.download_dir = download_folder(self.settings.download_dir)
        auto = Path(self.settings.auto_accept_dir).expanduser()
        if self.settings.auto_accept_dir and auto.is_dir():
            transfers.auto_dir = auto
        self.root.setvar(radio_variable(AUTO), "auto" if transfers.auto_dir else "ask")
        send = self.window.send_button
        self.attach_button = attach_button(send.master, self.send_file_dialog)
        self.attach_button.pack(side="left", padx=(6, 0), fill="y", before=send)
        self.enabler.attach_button = self.attach_button
        self.enabler.applied = None  # apply to the paperclip too
        self.refresh_controls()

    # --- TransferView (called by the presenter's transfers) ---------------------------

    def transfer_shown(self, tid: int, line: Line, item: Transfer) -> None:
        """Show an offer's line with its buttons in tab ``tid``."""
        if len(self._transfer_lines) >= MAX_LINES:
            self._transfer_lines = {i: w for i, w in self._transfer_lines.items() if _alive(w)}
        widgets = show_offer(self.transcript_of(tid), line, item, self.transfer_action)
        self._transfer_lines[item] = widgets

    def transfer_changed(self, item: Transfer) -> None:
        """Redraw ``item``'s line (status, bar, buttons; its thumbnail once the bytes are in)."""
        widgets = self._transfer_lines.get(item)
        if widgets is None:
            return
        widgets.update_from(item)
        if item.data is not None and not widgets.has_thumbnail:
            # Ours: Save… writes a copy (pictures.py); the offer line stays as it is.
            save = (lambda: self.transfer_action(item, Action.SAVE)) if item.incoming else None
            add_thumbnail(widgets, item.data, on_open=lambda: self.view_picture(item), on_save=save)

    def open_file(self, path: Path) -> None:
        """Open a received file with the system's program (transfers.py said it may be)."""
        problem = opener.open_file(path)
        if problem is not None:
            self.file_error(problem)

    # --- the buttons ----------------------------------------------------------------------

    def transfer_action(self, item: Transfer, action: Action) -> None:
        """What a button of ``item``'s line does."""
        transfers = self.presenter.transfers
        match action:
            case Action.SAVE:
                path = self.ask_save_path(item)
                if path is not None:
                    transfers.save(item, path)
            case Action.OPEN:
                transfers.open(item)
            case Action.DECLINE:
                transfers.decline(item)
            case Action.CANCEL:
                transfers.cancel(item)
            case Action.OPEN_FILE:
                transfers.open_done(item)
            case Action.SHOW if item.path is not None:
                problem = opener.show_in_folder(item.path)
                if problem is not None:
                    self.file_error(problem)
            case Action.WITHDRAW:
                transfers.withdraw(item)

    def ask_save_path(self, item: Transfer) -> Path | None:
        """Save…: where to write ``item`` (the download folder and its safe name first)."""
        name = safe_name(item.name)
        chosen = filedialog.asksaveasfilename(
            parent=self.root,
            title=dialog_title(f"Save {name}"),
            initialdir=str(self.presenter.transfers.download_dir),
            initialfile=name,
        )
        self.refocus.refocus()
        return Path(chosen) if chosen else None

    def view_picture(self, item: Transfer) -> None:
        """A click on a thumbnail: the picture full size (the viewer)."""
        from desktopchat.gui.viewer import show_viewer

        if item.data is None:
            self.file_error(f"{item.name} is no longer kept in memory: save it to see it whole.")
            return
        save = (lambda: self.transfer_action(item, Action.SAVE)) if item.incoming else None
        show_viewer(self.root, item.data, item.name, on_save=save)

    # --- Room ▸ Files offered to you ------------------------------------------------

    def auto_accept_setter(self, choice: str) -> Callable[[], None]:
        """The menu item for ``choice``: "ask" (the default) or "auto" (a folder)."""
        return lambda: self.set_auto_accept(choice)

    def set_auto_accept(self, choice: str, folder: Path | None = None) -> None:
        """Ask about every offer, or save offers into ``folder`` (asked for when None)."""
        transfers = self.presenter.transfers
        if choice == "auto" and folder is None:
            chosen = filedialog.askdirectory(
                parent=self.root,
                title=dialog_title("Save offered files into"),
                initialdir=str(transfers.auto_dir or transfers.download_dir),
                mustexist=True,
            )
            self.refocus.refocus()
            folder = Path(chosen) if chosen else None
        if choice == "auto" and folder is not None:
            transfers.auto_dir = folder
            self.file_note(
                f"Files offered to you from now on are saved into {shown_path(folder)}, "
                "without asking (programs still wait for Save…). "
                "Room ▸ Files offered to you ▸ Ask me each time turns this off."
            )
        elif choice == "ask":
            transfers.auto_dir = None
        auto = transfers.auto_dir
        self.root.setvar(radio_variable(AUTO), "auto" if auto is not None else "ask")
        self.settings = replace(self.settings, auto_accept_dir=str(auto) if auto else "")

    def choose_download_folder(self) -> None:
        """Room ▸ Files offered to you ▸ Download folder…: where Open writes."""
        transfers = self.presenter.transfers
        chosen = filedialog.askdirectory(
            parent=self.root,
            title=dialog_title("Download folder"),
            initialdir=str(transfers.download_dir),
            mustexist=True,
        )
        self.refocus.refocus()
        if chosen:
            transfers.download_dir = Path(chosen)
            self.settings = replace(self.settings, download_dir=chosen)
            self.file_note(f"Open saves files into {shown_path(Path(chosen))} from now on.")

    # --- sending --------------------------------------------------------------------------

    def send_file_dialog(self) -> None:
        """Room ▸ Send file… and the paperclip: files for the shown tab's person or the room."""
        to = recipient(self.presenter)
        chosen = filedialog.askopenfilenames(
            parent=self.root,
            title=dialog_title(f"Send files to {to}" if to else "Send files to the room"),
            initialdir=str(Path.home()),
        )
        self.refocus.refocus()
        if chosen:
            self.send_files([Path(p) for p in self.root.tk.splitlist(chosen)], to)

    def send_files(
        self, paths: Sequence[Path], to: str | None = None, *, confirmed: bool = False
    ) -> None:
        """Offer ``paths`` to ``to`` (None: the room), after the checks of the module docstring.

        ``confirmed``: the person already said yes to these files (a paste asks "Send N
        files?"), so more than ASK_ABOVE of them are not asked about again.
        """
        transfers = self.presenter.transfers
        if self.presenter.client is None:
            self.file_error("Not in a room: join or host one before sending files.")
            return
        paths = list(paths)
        if len(paths) > ASK_ABOVE and not confirmed and not self._confirm_many(paths, to):
            return
        good, problems = transfers.check(paths)
        for problem in problems:
            self.file_error(problem)
        for path in good:
            size = path.stat().st_size
            if size >= ANNOUNCE_HASHING:
                self.file_note(f"Checking {path.name} ({size_text(size)}) before offering it…")
        transfers.offer(good, to)

    def _confirm_many(self, paths: list[Path], to: str | None) -> bool:
        names = "\n".join(p.name for p in paths[:10])
        more = f"\n… and {len(paths) - 10} more" if len(paths) > 10 else ""
        answer = messagebox.askokcancel(
            dialog_title("Send files"),
            f"Send {len(paths)} files to {to or 'the room'}?",
            detail=names + more,
            parent=self.root,
        )
        self.refocus.refocus()
        return bool(answer)

    # --- lines -------------------------------------------------------------------------------

    def file_error(self, text: str) -> None:
        """A red line where the user is looking (the shown tab)."""
        self.presenter.conversations.error(Line(Kind.ERROR, text, time.time()))

    def file_note(self, text: str) -> None:
        """A grey line in the room's transcript."""
        self.presenter.conversations.view.show(Line(Kind.EVENT, text, time.time()))


def _alive(widgets: TransferLine) -> bool:
    try:
        return bool(widgets.winfo_exists())
    except tk.TclError:
        return False
