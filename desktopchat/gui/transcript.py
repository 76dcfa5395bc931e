"""The chat transcript: a read-only Text with timestamps, colours and bounded scrollback.

Role: draw what happened in the room, one *entry* per :class:`~.lines.Line`.
:meth:`Transcript.show` only queues the entry (as :func:`.render.render` lays
it out); :meth:`Transcript.flush` inserts everything queued with a single
``Text.insert`` (the pump calls it once per tick), so a flood costs one Tcl
round trip per batch rather than one per message.

Invariants and decisions:

* The widget is read-only for the user (``state="disabled"``), but text can
  still be selected and copied (Ctrl+C); only the methods here enable it for
  a moment.
* What a line looks like, and why no member can forge another's line, is
  :mod:`.render`'s business: sender from the event, further lines after a
  gutter mark, long lines folded, "show more" past 20 rows or 2,000
  characters, escapes for controls and bidi characters.
* A sender's name has one colour for the life of the name: the CRC-32 of its
  skeleton (``protocol.name_skeleton``: case and look-alike letters folded, so
  the colour follows what the name looks like) picks one of ``render.NAME_SLOTS`` slots
  (``hash()`` is salted per process, CRC-32 is not, so alice is the same colour
  tomorrow). Colours come from the theme's :class:`~.palette.Palette` (a
  tag per role and per name slot, reconfigured on a theme switch, so the
  lines already shown change colour too).
* Scrollback is capped at ``max_entries`` entries (default 5,000), however
  many rows each takes: whole entries are deleted from the top after each
  flush, so one message cannot push others out. The text hidden behind "show
  more" is kept for the newest entries only, :data:`KEPT_CHARS` in all.
* Auto-scroll only when the view was already at the bottom before the insert;
  someone reading older lines is not yanked down. A resize or a text-size
  change keeps the newest line in view too; scrolled up, a "Jump to latest"
  button shows (:mod:`.follow`).
* Links are underlined and open on a click (:mod:`.linkclick`); the right
  button (or Shift+F10) opens Copy / Copy link / Select all / Quote
  (:mod:`.textmenu`); Ctrl+A selects everything.
* An own line carries a state marker tagged with its cid ("(queued)",
  "(sending…)", "(not sent: reason)", nothing once sent); :meth:`Transcript.mark`
  rewrites it when the presenter learns more.
* Save transcript (:meth:`Transcript.get_text`) writes what is shown: a
  further line keeps its gutter mark behind an indent, a folded line is one
  line again.
"""

from __future__ import annotations

import time
import tkinter as tk
from collections import deque
from dataclasses import dataclass
from tkinter import font as tkfont
from tkinter import ttk

from desktopchat.gui import render as rd
from desktopchat.gui import theme
from desktopchat.gui.follow import FollowBottom
from desktopchat.gui.keyfocus import ring
from desktopchat.gui.lines import Kind, Line, SendState
from desktopchat.gui.linkclick import LinkClicks, hooks_for
from desktopchat.gui.mentions import tag_mentions
from desktopchat.gui.palette import Palette
from desktopchat.gui.render import GUTTER
from desktopchat.gui.textmenu import TranscriptMenu

__all__ = ["DEFAULT_MAX_ENTRIES", "Transcript"]

#: Entries kept before the oldest are dropped: a day of busy chat.
DEFAULT_MAX_ENTRIES = 5000

#: Characters of collapsed entries kept for "show more" (the newest entries' first).
KEPT_CHARS = 4_000_000

#: A saved further line starts under the text, as in the window.
SAVE_INDENT = " " * len("[00:00] ")
NOT_KEPT = "⋯ (the rest of this message is no longer kept)"
#: Tags that describe a row (kept when a state marker is rewritten).
_ROW_TAGS = frozenset(
    {"line", "own", "private", "markerline", rd.CONT, rd.FOLD_FIRST, rd.FOLD_CONT}
)

Args = list[str | rd.Tags]


@dataclass(slots=True, eq=False)
class _Entry:
    """One line as drawn: its rows, and what a redraw needs."""

    rows: int
    line: Line | None  # kept while part of it waits behind "show more"
    budget: rd.Budget
    cid: int | None
    state: SendState | None
    reason: str = ""


class Transcript(ttk.Frame):
    """Read-only, scrolled, bounded transcript of the room."""

    def __init__(
        self,
        master: tk.Misc,
        *,
        text_font: tkfont.Font,
        max_entries: int = DEFAULT_MAX_ENTRIES,
    ) -> None:
        super().__init__(master)
        self.max_entries = max_entries
        self._font = text_font
        self._bold = tkfont.Font(font=text_font)
        self._bold.configure(weight="bold")
        self._italic = tkfont.Font(font=text_font)
        self._italic.configure(slant="italic")
        self.text = tk.Text(
            self,
            # Small requested size: the window's geometry decides, and the user
            # list beside it keeps its natural width when the window is narrow.
            width=30,
            height=8,
            wrap="word",
            state="disabled",
            font=text_font,
            relief="flat",
            borderwidth=0,
            padx=6,
            pady=4,
            spacing1=1,
            spacing3=1,
            takefocus=True,
            undo=False,
            cursor="xterm",
        )
        self.scrollbar = ttk.Scrollbar(self, orient="vertical", command=self.text.yview)
        self.text.configure(yscrollcommand=self.scrollbar.set)
        self.text.grid(row=0, column=0, sticky="nsew")
        self.scrollbar.grid(row=0, column=1, sticky="ns")
        self.rowconfigure(0, weight=1)
        self.columnconfigure(0, weight=1)
        self._pending: list[tuple[_Entry, Args]] = []
        self._entries: deque[_Entry] = deque()
        self._by_cid: dict[int, _Entry] = {}
        self._kept: deque[_Entry] = deque()  # entries that may hold their line, oldest first
        self._kept_chars = 0
        self._divider: _Entry | None = None  # the one "new messages" line
        self._configure_tags()
        # Read-only but copyable: Ctrl+C works through the class binding; make
        # the widget focusable by click so a selection can be copied.
        self.text.bind("<Button-1>", lambda _e: self.text.focus_set(), add=True)
        self.text.tag_bind("more", "<Button-1>", self._on_more)
        self.text.tag_bind("more", "<Enter>", lambda _e: self.text.configure(cursor="hand2"))
        self.text.tag_bind("more", "<Leave>", lambda _e: self.text.configure(cursor="xterm"))
        ring(self.text)
        # Links, the context menu and "Jump to latest" (the window's hooks decide
        # what a link or Quote does: linkclick.hooks_for).
        self.hooks = hooks_for(self)
        self.links = LinkClicks(self.text, self.hooks)
        self.menu = TranscriptMenu(self.text, self.hooks)
        self.follow = FollowBottom(self, self.text, self.scrollbar)

    # --- styling ------------------------------------------------------------

    def _configure_tags(self) -> None:
        # Later tags win where two set the same option: the gutter's grey loses
        # to a name colour, every colour loses to the escape style. Colours are
        # set (and reset on a theme switch) by apply_palette.
        t = self.text
        t.tag_configure("time")
        t.tag_configure("name", font=self._bold)
        t.tag_configure("gutter", font=self._bold)
        for slot in range(rd.NAME_SLOTS):
            t.tag_configure(f"c{slot}")
        t.tag_configure("own")
        t.tag_configure("ownname", font=self._bold)
        t.tag_configure("private")
        t.tag_configure("privmark", font=self._bold)
        t.tag_configure("action", font=self._italic)
        t.tag_configure("event", font=self._italic)
        t.tag_configure("marker", font=self._bold)
        t.tag_configure("markerline", justify="center", spacing1=6, spacing3=4)
        t.tag_configure("error", font=self._italic)
        t.tag_configure("queued", font=self._italic)
        t.tag_configure("notsent", font=self._italic)
        t.tag_configure("cut")
        t.tag_configure("more", underline=True)
        # attention.py's "— new messages —" divider and the highlight of our name.
        t.tag_configure("newmessages", font=self._bold)
        t.tag_configure("mention")
        t.tag_configure("escape")
        theme.subscribe(self, self.apply_palette)
        self._set_hanging_indent()

    def apply_palette(self, p: Palette) -> None:
        """Draw with the colours of ``p`` (every line shown, and every line to come)."""
        t = self.text
        t.configure(
            background=p.background,
            foreground=p.foreground,
            selectbackground=p.selection_background,
            selectforeground=p.selection_foreground,
            inactiveselectbackground=p.selection_background,
            insertbackground=p.cursor,
            highlightcolor=p.focus,
            highlightbackground=p.background,
        )
        for tag, colour in (
            ("time", p.time),
            ("gutter", p.gutter),
            ("ownname", p.own_name),
            ("privmark", p.privmark),
            ("event", p.event),
            ("marker", p.marker),
            ("error", p.error),
            ("queued", p.queued),
            ("notsent", p.error),
            ("cut", p.gutter),
            ("more", p.link),
        ):
            t.tag_configure(tag, foreground=colour)
        for slot in range(rd.NAME_SLOTS):
            t.tag_configure(f"c{slot}", foreground=p.name_colour(slot))
        t.tag_configure("own", background=p.own_band)
        t.tag_configure("private", background=p.private_band)
        t.tag_configure("escape", foreground=p.escape, background=p.escape_band)
        t.tag_configure("newmessages", foreground=p.divider, background=p.divider_band)
        t.tag_configure("mention", foreground=p.mention, background=p.mention_band)

    def sync_fonts(self) -> None:
        """Follow a size change of the main font (View ▸ Larger/Smaller text)."""
        self.follow.keep()  # the newest line stays in view if it was
        size = self._font.cget("size")
        self._bold.configure(size=size)
        self._italic.configure(size=size)
        self._set_hanging_indent()

    def _set_hanging_indent(self) -> None:
        # Wrapped and folded text starts under the text, not under the time; a
        # further line's text starts after its gutter mark.
        indent = self._font.measure("[00:00] ")
        text = indent + self._bold.measure(GUTTER)
        self.text.tag_configure("line", lmargin2=indent)
        self.text.tag_configure(rd.CONT, lmargin1=indent, lmargin2=text)
        # A fold goes on where the row above stopped: no gap above it.
        self.text.tag_configure(rd.FOLD_FIRST, lmargin1=indent, lmargin2=indent, spacing1=0)
        self.text.tag_configure(rd.FOLD_CONT, lmargin1=text, lmargin2=text, spacing1=0)

    # --- queueing lines -----------------------------------------------------

    def show(self, line: Line) -> None:
        """Queue ``line`` (drawn at the next :meth:`flush`)."""
        drawn = rd.render(line)
        kept = line if drawn.hidden else None
        entry = _Entry(drawn.rows, kept, rd.PREVIEW, line.cid, line.state)
        if line.cid is not None:
            self._by_cid[line.cid] = entry
        if drawn.hidden:
            self._keep(entry)
        self._pending.append((entry, tag_mentions(drawn.args, line.mention)))

    def add_event(self, text: str) -> None:
        """Queue a grey italic line now (the window's own notices)."""
        self.show(Line(Kind.EVENT, text, time.time()))

    def add_error(self, text: str) -> None:
        """Queue a red italic line now."""
        self.show(Line(Kind.ERROR, text, time.time()))

    def _keep(self, entry: _Entry) -> None:
        assert entry.line is not None
        self._kept.append(entry)
        self._kept_chars += len(entry.line.text)
        while self._kept_chars > KEPT_CHARS and len(self._kept) > 1:
            self._forget(self._kept.popleft())

    def _forget(self, entry: _Entry) -> None:
        if entry.line is not None:
            self._kept_chars -= len(entry.line.text)
            entry.line = None

    # --- applying -----------------------------------------------------------

    @property
    def pending(self) -> int:
        """Entries queued but not yet inserted."""
        return len(self._pending)

    def flush(self) -> None:
        """Insert every queued entry at once, trim the top, keep the view sensible."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        if len(pending) > self.max_entries:  # the oldest would be trimmed at once
            for entry, _ in pending[: -self.max_entries]:
                self._drop(entry)
            pending = pending[-self.max_entries :]
        args = [item for _, part in pending for item in part]
        t = self.text
        at_bottom = self.at_bottom()
        t.configure(state="normal")
        try:
            t.insert("end-1c", *args)  # type: ignore[arg-type]
            self._entries.extend(entry for entry, _ in pending)
            self._trim()
        finally:
            t.configure(state="disabled")
        if at_bottom:
            t.see("end")

    def _drop(self, entry: _Entry) -> str | None:
        """Forget a deleted entry; the name of its marker tag, if no newer line uses it."""
        self._forget(entry)
        if entry.cid is None or self._by_cid.get(entry.cid) is not entry:
            return None
        del self._by_cid[entry.cid]
        return f"m{entry.cid}"

    def _trim(self) -> None:
        # Deleting lines above the view keeps the view on the same text (Tk
        # anchors it to the content), so someone reading older lines is not moved.
        excess = len(self._entries) - self.max_entries
        if excess <= 0:
            return
        rows = 0
        unused: list[str] = []
        for _ in range(excess):
            entry = self._entries.popleft()
            rows += entry.rows
            if (tag := self._drop(entry)) is not None:
                unused.append(tag)
        self.text.delete("1.0", f"{rows + 1}.0")
        if unused:
            self.text.tag_delete(*unused)
        while self._kept and self._kept[0].line is None:
            self._kept.popleft()

    def at_bottom(self) -> bool:
        """True when the end is in view (then new lines scroll into view).

        Exactly 1.0: with 5,000 lines, one line scrolled up is already 0.9998.
        An unmapped widget reports (0.0, 1.0), so the first lines count as "at
        the bottom" and the view follows them.
        """
        return self.text.yview()[1] >= 1.0

    def line_count(self) -> int:
        """Rows held (an entry with further or folded lines counts each)."""
        # The Text always ends with one newline of its own; "end-1c" is after
        # our last "\n", on an empty last line.
        return int(self.text.index("end-1c").split(".")[0]) - 1

    def entry_count(self) -> int:
        """Entries held (what ``max_entries`` caps)."""
        return len(self._entries)

    def mark(self, cid: int, state: SendState, reason: str = "") -> None:
        """Rewrite the state marker of own line ``cid`` (the newest line with that cid)."""
        self.flush()
        entry = self._by_cid.get(cid)
        if entry is not None:
            entry.state, entry.reason = state, reason
        t = self.text
        ranges = t.tag_ranges(f"m{cid}")
        if not ranges:
            return
        start, end = ranges[-2], ranges[-1]  # a new client numbers from 1 again
        row = tuple(x for x in t.tag_names(start) if x in _ROW_TAGS)
        at_bottom = self.at_bottom()
        t.configure(state="normal")
        try:
            t.delete(start, end)
            args = rd.marker_args(cid, state, reason, row)
            if args:
                t.insert(start, *args)  # type: ignore[arg-type]
        finally:
            t.configure(state="disabled")
        if at_bottom:  # a longer marker may wrap the last line below the view
            t.see("end")

    # --- the "new messages" divider ---------------------------------------------

    def set_divider(self, line: Line, tag: str) -> None:
        """Queue ``line`` (a marker, drawn with ``tag`` too) as the one divider: an earlier goes."""
        self.flush()
        old, self._divider = self._divider, None
        if old is not None and old in self._entries:
            first = 1
            for entry in self._entries:
                if entry is old:
                    break
                first += entry.rows
            self._entries.remove(old)
            self.text.configure(state="normal")
            try:
                self.text.delete(f"{first}.0", f"{first + old.rows}.0")
            finally:
                self.text.configure(state="disabled")
        drawn = rd.render(line)
        entry = _Entry(drawn.rows, None, rd.PREVIEW, None, None)
        args = [a if isinstance(a, str) else (*a, tag) for a in drawn.args]
        self._pending.append((entry, args))
        self._divider = entry

    # --- show more ----------------------------------------------------------

    def _on_more(self, event: tk.Event[tk.Text]) -> None:
        self.show_more(int(self.text.index(f"@{event.x},{event.y}").split(".")[0]))

    def _entry_at(self, row: int) -> tuple[_Entry, int] | None:
        first = 1
        for entry in self._entries:
            if row < first + entry.rows:
                return entry, first
            first += entry.rows
        return None

    def show_more(self, row: int) -> bool:
        """Show more of the entry drawn on Text line ``row``; False if it has no more."""
        self.flush()
        found = self._entry_at(row)
        if found is None:
            return False
        entry, first = found
        t = self.text
        top = t.index("@0,0")
        t.configure(state="normal")
        try:
            if entry.line is None:
                return self._not_kept(first, entry)
            drawn = rd.render(entry.line, entry.budget.more(), entry.state, entry.reason)
            drawn.args[:] = tag_mentions(drawn.args, entry.line.mention)
            t.delete(f"{first}.0", f"{first + entry.rows}.0")
            t.insert(f"{first}.0", *drawn.args)  # type: ignore[arg-type]
        finally:
            t.configure(state="disabled")
        entry.rows, entry.budget = drawn.rows, entry.budget.more()
        if not drawn.hidden:
            self._forget(entry)
        t.yview(top)  # the rows above the click are the same: stay on them
        return True

    def _not_kept(self, first: int, entry: _Entry) -> bool:
        t = self.text
        link = t.tag_nextrange("more", f"{first}.0", f"{first + entry.rows}.0")
        if not link:
            return False
        tags = tuple(x for x in t.tag_names(link[0]) if x != "more")
        t.delete(link[0], link[1])
        t.insert(link[0], NOT_KEPT, ("event", *tags))
        return True

    # --- the whole text -----------------------------------------------------

    def clear(self) -> None:
        """Forget everything shown and queued."""
        if self._by_cid:
            self.text.tag_delete(*(f"m{cid}" for cid in self._by_cid))
        self._pending, self._entries, self._by_cid = [], deque(), {}
        self._divider = None
        self._kept, self._kept_chars = deque(), 0
        self.text.configure(state="normal")
        self.text.delete("1.0", "end")
        self.text.configure(state="disabled")

    def get_text(self) -> str:
        """The transcript as plain text, as Save transcript writes it.

        A further line of an entry keeps its gutter mark and gets an indent,
        so it cannot pass for an entry of its own; a folded line is joined
        again; escapes stay escapes.
        """
        self.flush()
        t = self.text
        folds: set[int] = set()
        for tag in (rd.FOLD_FIRST, rd.FOLD_CONT):
            ranges = [str(index).split(".") for index in t.tag_ranges(tag)]
            for (first, _), (last, column) in zip(ranges[::2], ranges[1::2], strict=True):
                # A range ends after a row's newline, at column 0 of the next line.
                folds.update(range(int(first), int(last) + (column != "0")))
        out: list[str] = []
        for number, row in enumerate(t.get("1.0", "end-1c").split("\n"), start=1):
            if number in folds and out:
                out[-1] += row
            elif row.startswith(GUTTER):
                out.append(SAVE_INDENT + row)
            else:
                out.append(row)
        return "\n".join(out)
