"""Private conversation tabs beside the room's tab: the widgets.

:class:`TabsMixin` is the window's side of :class:`~.conversations.TabsView`
(mixed into ChatApp): each private conversation is a :class:`PrivateTab` in
the main window's ``ttk.Notebook`` -- a header (who, and whether they are in
the room, with a Close button) over its own bounded
:class:`~.transcript.Transcript`. What opens, closes, counts and is refused is
decided by the Tk-free :class:`~.conversations.Conversations`; this module
only draws it and reports the user's clicks.

Closing a tab: its Close button, a middle click on the tab, or Ctrl+W;
Ctrl+Page Down / Ctrl+Page Up go to the next / previous tab. A closed tab
is hidden (``Notebook.hide``), so its lines are there when it is opened
again.
"""

from __future__ import annotations

import tkinter as tk
from tkinter import font as tkfont
from tkinter import ttk
from typing import TYPE_CHECKING

from desktopchat.escapes import escape_all
from desktopchat.gui.conversations import ROOM
from desktopchat.gui.lines import Line, SendState
from desktopchat.gui.transcript import Transcript
from desktopchat.protocol import name_key

if TYPE_CHECKING:
    from desktopchat.gui.inputbox import InputBox
    from desktopchat.gui.presenter import Presenter
    from desktopchat.gui.pump import EventPump
    from desktopchat.gui.window import MainWindow
    from desktopchat.protocol import events as ev

__all__ = ["PRIVATE_MAX_ENTRIES", "PrivateTab", "TabsMixin"]

#: Scrollback of one private tab (the room's is larger): many tabs stay bounded.
PRIVATE_MAX_ENTRIES = 2000


class PrivateTab(ttk.Frame):
    """One private conversation: a header and its transcript."""

    def __init__(self, master: tk.Misc, tid: int, name: str, text_font: tkfont.Font) -> None:
        super().__init__(master)
        self.tid = tid
        header = ttk.Frame(self, padding=(6, 3))
        header.pack(fill="x", side="top")
        self.title = ttk.Label(header, anchor="w")
        self.title.pack(side="left", fill="x", expand=True)
        self.close_button = ttk.Button(header, text="Close", width=7)
        self.close_button.pack(side="right")
        self.transcript = Transcript(self, text_font=text_font, max_entries=PRIVATE_MAX_ENTRIES)
        self.transcript.pack(fill="both", expand=True)
        self.set_header(f"Private conversation with {escape_all(name)}")

    def set_header(self, header: str) -> None:
        """Show ``header`` above the transcript (already escaped)."""
        self.title.configure(text=header)

    def sync_fonts(self) -> None:
        """Follow a text size change."""
        self.transcript.sync_fonts()


class TabsMixin:
    """The window's private tabs (mixed into ChatApp). See the module docstring."""

    if TYPE_CHECKING:  # provided by ChatApp
        root: tk.Tk
        window: MainWindow
        presenter: Presenter
        input: InputBox
        transcript: Transcript
        pump: EventPump[ev.Event]

    _tabs: dict[int, PrivateTab]
    _dirty_tabs: set[int]

    def setup_tabs(self) -> None:
        """Bind the notebook (call once, after the window and presenter exist)."""
        self._tabs, self._dirty_tabs = {}, set()
        nb = self.window.notebook
        nb.bind("<<NotebookTabChanged>>", self._on_tab_changed, add=True)
        nb.bind("<ButtonRelease-2>", self._on_middle_click, add=True)
        for sequence in ("<Control-w>", "<Control-W>"):
            self.root.bind(sequence, self._on_close_key, add=True)
        self.root.bind("<Control-Prior>", lambda _e: self.next_tab(-1), add=True)
        self.root.bind("<Control-Next>", lambda _e: self.next_tab(1), add=True)

    # --- what the user does -------------------------------------------------------

    def start_private(self, name: str) -> None:
        """Open (or show) the tab for ``name`` (user-list double-click) and type there."""
        own = self.presenter.own_name
        if own is not None and name_key(name) == name_key(own):
            return  # no conversation with ourselves
        self.presenter.conversations.open(name, select=True)
        self.input.focus_set()

    def _on_close_key(self, _event: object) -> str:
        self.close_active_tab()
        return "break"

    def next_tab(self, step: int) -> str:
        """Ctrl+Page Down / Ctrl+Page Up: show the next / previous open tab (wrapping)."""
        nb = self.window.notebook
        tabs = [t for t in nb.tabs() if nb.tab(t, "state") != "hidden"]  # type: ignore[no-untyped-call]
        if len(tabs) > 1:
            current = str(nb.select())  # type: ignore[no-untyped-call]
            index = tabs.index(current) if current in tabs else 0
            nb.select(tabs[(index + step) % len(tabs)])  # type: ignore[no-untyped-call]
        return "break"

    def close_active_tab(self) -> None:
        """Ctrl+W: close the private tab shown (the room's stays)."""
        self.presenter.conversations.close(self.presenter.conversations.active)

    def _on_tab_changed(self, _event: object) -> None:
        self.presenter.conversations.selected(self._shown_tid())
        self.input.focus_set()

    def _on_middle_click(self, event: tk.Event[ttk.Notebook]) -> None:
        try:
            index = self.window.notebook.index(f"@{event.x},{event.y}")  # type: ignore[no-untyped-call]
        except tk.TclError:
            return  # not on a tab
        page = self.root.nametowidget(self.window.notebook.tabs()[index])  # type: ignore[no-untyped-call]
        if isinstance(page, PrivateTab):
            self.presenter.conversations.close(page.tid)

    def _shown_tid(self) -> int:
        selected = self.window.notebook.select()  # type: ignore[no-untyped-call]
        page = self.root.nametowidget(selected) if selected else None
        return page.tid if isinstance(page, PrivateTab) else ROOM

    # --- TabsView (called by the conversations) ---------------------------------------

    def tab_open(self, tid: int, name: str, *, select: bool) -> None:
        """Add or show again the tab ``tid``; select it if asked."""
        nb = self.window.notebook
        page = self._tabs.get(tid)
        if page is None:
            page = PrivateTab(nb, tid, name, self.window.text_font)
            page.close_button.configure(command=lambda: self.presenter.conversations.close(tid))
            self._tabs[tid] = page
        nb.add(page, text=escape_all(name))  # shows a hidden tab again, where it was
        if select:
            nb.select(page)  # type: ignore[no-untyped-call]

    def tab_close(self, tid: int) -> None:
        """Hide tab ``tid`` (its lines stay for when it opens again)."""
        page = self._tabs.get(tid)
        if page is not None:
            self.window.notebook.hide(page)
            self.input.focus_set()

    def tab_forget(self, tid: int) -> None:
        """Drop tab ``tid`` and its lines for good."""
        page = self._tabs.pop(tid, None)
        self._dirty_tabs.discard(tid)
        if page is not None:
            self.window.notebook.forget(page)
            page.destroy()

    def tab_label(self, tid: int, label: str, header: str) -> None:
        """Set the tab's label (name and unread badge) and the header inside it."""
        page = self._tabs.get(tid)
        if page is not None:
            self.window.notebook.tab(page, text=label)  # type: ignore[no-untyped-call]
            page.set_header(header)

    def tab_line(self, tid: int, line: Line) -> None:
        """Queue a line in tab ``tid`` (drawn at the end of the pump's batch)."""
        page = self._tabs.get(tid)
        if page is None:
            return
        page.transcript.show(line)
        if self.pump.handling == 0:
            page.transcript.flush()
        else:
            self._dirty_tabs.add(tid)

    # --- for the view ---------------------------------------------------------------

    def transcript_of(self, tid: int) -> Transcript:
        """The transcript of tab ``tid`` (the room's for ROOM or a forgotten tab)."""
        page = self._tabs.get(tid)
        return page.transcript if page is not None else self.transcript

    def mark_line(self, cid: int, state: SendState, reason: str = "") -> None:
        """Rewrite an own line's marker in whichever tab shows it."""
        self.transcript_of(self.presenter.conversations.tab_of(cid)).mark(cid, state, reason)

    def flush_tabs(self) -> None:
        """Draw what the batch queued in private tabs."""
        while self._dirty_tabs:
            page = self._tabs.get(self._dirty_tabs.pop())
            if page is not None:
                page.transcript.flush()

    def set_font_size(self, size: int) -> None:
        """View ▸ Larger/Smaller text: the room's transcript (actions.py), then every tab."""
        from desktopchat.gui.actions import MenuActions

        MenuActions.set_font_size(self, size)  # type: ignore[arg-type]
        for page in self._tabs.values():
            page.sync_fonts()
