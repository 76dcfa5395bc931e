"""Ctrl+F: the find bar under the transcript.

Role: :class:`FindBar` searches the transcript shown now (``target()``) as
the query is typed: every match gets the "find" tag, the current one
"findcur" too, and the bar says "3 of 12".

Decisions:

* Case-insensitive, literal text (no patterns). Matches are counted from the
  newest: "1 of 12" is the match nearest the bottom, where a chat is read;
  Enter / F3 / Next goes to the next older match, Shift+Enter / Shift+F3 /
  Previous back towards the newest, both wrapping around.
* Matches have the theme's ``search_band`` behind them, the current one the
  selection colours (both readable: palette.py's contrast rule).
* At most :data:`MAX_MATCHES` (the newest) are highlighted and counted
  ("1 of 1000+"), so a one-letter query on a full transcript stays instant.
* Lines that arrive while the bar is open are searched at the next Enter.
* Escape (or ✕) closes the bar, removes the highlight and gives the focus
  back to the message box (``on_close``). The view stays where the last
  match put it; "Jump to latest" brings the newest lines back.
"""

from __future__ import annotations

import re
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from desktopchat.gui import theme
from desktopchat.gui.completion import tk_length

__all__ = ["CURRENT_TAG", "FIND_TAG", "MAX_MATCHES", "FindBar", "find_ranges"]

FIND_TAG, CURRENT_TAG = "find", "findcur"
#: Matches highlighted and counted: the newest ones.
MAX_MATCHES = 1000
_MARK = "findcur"


class FindBar(ttk.Frame):
    """Query entry, match count, Previous / Next, close."""

    def __init__(
        self,
        master: tk.Misc,
        *,
        target: Callable[[], tk.Text],
        on_close: Callable[[], None],
    ) -> None:
        super().__init__(master, padding=(0, 4, 0, 0))
        self._target = target
        self._on_close = on_close
        self._searched: tk.Text | None = None
        self._searched_end = ""
        self._capped = False
        self.query = tk.StringVar(self)
        ttk.Label(self, text="Find:").pack(side="left", padx=(0, 4))
        self.entry = ttk.Entry(self, textvariable=self.query, width=30)
        self.entry.pack(side="left")
        self.count = ttk.Label(self, text="", width=16, anchor="w")
        self.previous_button = ttk.Button(self, text="Newer", width=7, command=self.previous)
        self.next_button = ttk.Button(self, text="Older", width=7, command=self.next)
        self.close_button = ttk.Button(self, text="✕", width=3, command=self.close)
        self.close_button.pack(side="right")
        self.next_button.pack(side="right", padx=(4, 4))
        self.previous_button.pack(side="right")
        self.count.pack(side="left", padx=(8, 0), fill="x", expand=True)
        self.query.trace_add("write", lambda *_: self.search())
        for sequence, command in (
            ("<Return>", self.next),
            ("<KP_Enter>", self.next),
            ("<Shift-Return>", self.previous),
            ("<Shift-KP_Enter>", self.previous),
            ("<Escape>", self.close),
        ):
            self.entry.bind(sequence, _breaking(command))

    # --- opening and closing ------------------------------------------------

    @property
    def is_open(self) -> bool:
        """True while the bar is shown."""
        return bool(self.winfo_manager())

    def open(self, anchor: tk.Widget) -> None:
        """Show the bar below ``anchor`` (the transcript area) and focus the query."""
        if not self.winfo_manager():
            self.pack(side="bottom", fill="x", before=anchor)
        self.entry.focus_set()
        self.entry.select_range(0, "end")
        self.entry.icursor("end")
        self.search()

    def close(self) -> None:
        """Hide the bar, drop the highlight, give the focus back."""
        self._clear()
        if self.winfo_manager():
            self.pack_forget()
        self._on_close()

    # --- searching ----------------------------------------------------------

    def _clear(self) -> None:
        text = self._searched
        self._searched = None
        if text is not None and text.winfo_exists():
            text.tag_remove(FIND_TAG, "1.0", "end")
            text.tag_remove(CURRENT_TAG, "1.0", "end")
            text.mark_unset(_MARK)

    def search(self) -> None:
        """Search for the query anew; the newest match becomes the current one."""
        self._run(keep_current=False)

    def _run(self, *, keep_current: bool) -> None:
        text = self._target()
        current = text.index(_MARK) if keep_current and _MARK in text.mark_names() else None
        self._clear()
        query = self.query.get()
        self._searched, self._searched_end = text, str(text.index("end"))
        if not query:
            self.count.configure(text="")
            return
        p = theme.palette(text)
        text.tag_configure(FIND_TAG, background=p.search_band)
        text.tag_configure(
            CURRENT_TAG, background=p.selection_background, foreground=p.selection_foreground
        )
        text.tag_raise(FIND_TAG)
        text.tag_raise(CURRENT_TAG)
        ranges = find_ranges(str(text.get("1.0", "end-1c")), query)
        self._capped = len(ranges) > 2 * MAX_MATCHES
        ranges = ranges[: 2 * MAX_MATCHES]
        if not ranges:
            self.count.configure(text="No matches")
            return
        text.tag_add(FIND_TAG, *ranges)
        start = ranges[0]
        if current is not None and FIND_TAG in text.tag_names(current):
            start = current
        self._select(text, start)

    def _matches(self, text: tk.Text) -> list[str]:
        """Starts of the highlighted matches, newest first."""
        return [str(i) for i in text.tag_ranges(FIND_TAG)[::2]][::-1]

    def _select(self, text: tk.Text, start: str) -> None:
        text.tag_remove(CURRENT_TAG, "1.0", "end")
        found = text.tag_nextrange(FIND_TAG, start)
        if not found:
            return
        text.tag_add(CURRENT_TAG, found[0], found[1])
        text.mark_set(_MARK, found[0])
        text.mark_gravity(_MARK, "left")
        text.see(found[0])
        matches = self._matches(text)
        number = matches.index(str(text.index(found[0]))) + 1
        total = f"{len(matches):,}+" if self._capped else f"{len(matches):,}"
        self.count.configure(text=f"{number:,} of {total}")

    def _step(self, older: bool) -> None:
        text = self._target()
        if text is not self._searched or str(text.index("end")) != self._searched_end:
            self._run(keep_current=True)  # another tab, or new lines: search again
        text = self._target()
        matches = self._matches(text)
        if not matches or _MARK not in text.mark_names():
            return
        current = str(text.index(_MARK))
        index = matches.index(current) if current in matches else 0
        index = (index + (1 if older else -1)) % len(matches)
        self._select(text, matches[index])

    def next(self) -> None:
        """The next older match (Enter, F3)."""
        self._step(older=True)

    def previous(self) -> None:
        """The next newer match (Shift+Enter, Shift+F3)."""
        self._step(older=False)

    def current_text(self) -> str:
        """The "3 of 12" label's text."""
        return str(self.count.cget("text"))


def find_ranges(content: str, query: str) -> list[str]:
    """Tk index pairs (start, end) of ``query`` in ``content``, newest first.

    At most ``MAX_MATCHES + 1`` matches (one more tells the count is capped).
    Done in Python, not with ``Text.search``: Tk 8.6's backwards
    case-insensitive search crashes the process on a line holding an emoji.
    Columns are counted as Tk 8.6 counts them (an emoji is two).
    """
    pattern = re.compile(re.escape(query), re.IGNORECASE)
    ranges: list[str] = []
    lines = content.split("\n")
    for number in range(len(lines), 0, -1):
        line = lines[number - 1]
        found = list(pattern.finditer(line))
        for match in reversed(found):
            column = tk_length(line[: match.start()])
            ranges += [f"{number}.{column}", f"{number}.{column + tk_length(match.group())}"]
            if len(ranges) > 2 * MAX_MATCHES:
                return ranges
    return ranges


def _breaking(command: Callable[[], None]) -> Callable[[tk.Event[tk.Misc]], str]:
    def handler(_event: tk.Event[tk.Misc]) -> str:
        command()
        return "break"

    return handler
