"""The chat transcript: a read-only Text with timestamps, colours and bounded scrollback.

Role: render what happened in the room, one logical line per entry. The app
calls the ``add_*`` methods as events arrive; they only *queue* the line, and
:meth:`Transcript.flush` inserts everything queued with a single ``Text.insert``
call (the pump calls it once per tick), so a flood costs one Tcl round trip per
batch rather than one per message.

Invariants and decisions:

* The widget is read-only for the user (``state="disabled"``), but text can
  still be selected and copied (Ctrl+C) and searched by eye; only ``flush``
  and ``clear`` enable it for a moment.
* Every line starts with a ``[HH:MM]`` timestamp in local time, taken from
  the :class:`~.lines.Line` (the room's clock for room events, so replayed
  lines keep their own times); a long message wraps with a hanging indent.
* A sender's name has one colour for the life of the name: the CRC-32 of its
  skeleton (``protocol.name_skeleton``: case and look-alike letters folded, so
  the colour follows what the name looks like) picks from :data:`PALETTE`
  (``hash()`` is salted per process, CRC-32 is not, so alice is the same colour
  tomorrow). The palette holds only colours readable on a white background.
* Own lines are distinct (bold name, faint blue band); private messages have a
  yellow band and say ``→ bob (private)`` (sent) or ``bob (private)`` (received);
  ``/me`` reads ``* bob waves``; joins, leaves and notices are grey italics.
* Scrollback is capped at ``max_lines`` logical lines (default 5,000): the
  oldest lines are deleted from the top after each flush, so memory is bounded.
* Auto-scroll only when the view was already at the bottom before the insert;
  someone reading older lines is not yanked down.
* An own line carries a state marker tagged with its cid ("(queued)",
  "(sending…)", "(not sent: reason)", nothing once sent); :meth:`Transcript.mark`
  rewrites it when the presenter learns more.
* Any Unicode (emoji included) is inserted as-is; Tk 8.6 renders what its fonts
  have and draws boxes for the rest, it never raises for text.
"""

from __future__ import annotations

import time
import tkinter as tk
import zlib
from collections.abc import Sequence
from tkinter import font as tkfont
from tkinter import ttk

from desktopchat.gui.lines import Kind, Line, SendState, state_text
from desktopchat.protocol import name_skeleton

__all__ = ["DEFAULT_MAX_LINES", "PALETTE", "Transcript", "name_colour"]

#: Lines kept before the oldest are dropped: a day of busy chat, a few MB of Tk memory.
DEFAULT_MAX_LINES = 5000

#: Name colours: hues far enough apart to tell at a glance, all with good
#: contrast on white (WCAG AA for normal text). Our own name is black instead.
PALETTE: tuple[str, ...] = (
    "#1f5fbf",  # blue
    "#b3261e",  # red
    "#2e7d32",  # green
    "#8e24aa",  # purple
    "#c15500",  # dark orange
    "#00796b",  # teal
    "#ad1457",  # magenta
    "#5d4037",  # brown
    "#0277bd",  # sky blue
    "#5e35b1",  # deep purple
)

#: Our own name: not in the palette, so it never looks like someone else's.
OWN_NAME_COLOUR = "#000000"
#: Foreground of event lines (joins, leaves, notices).
EVENT_COLOUR = "#6b6b6b"
#: Band behind our own lines and behind private lines.
OWN_BACKGROUND = "#eef4ff"
PRIVATE_BACKGROUND = "#fff4c2"
ERROR_COLOUR = "#b00020"

# One segment = (text, tags); a line is a sequence of segments.
Segment = tuple[str, tuple[str, ...]]


def name_colour(name: str) -> str:
    """Return the stable palette colour for ``name``, one per look (as the room has one
    member per look: ``protocol.name_skeleton``)."""
    return PALETTE[zlib.crc32(name_skeleton(name).encode("utf-8")) % len(PALETTE)]


def _stamp(when: float) -> str:
    return time.strftime("[%H:%M] ", time.localtime(when))


class Transcript(ttk.Frame):
    """Read-only, scrolled, bounded transcript of the room."""

    def __init__(
        self,
        master: tk.Misc,
        *,
        text_font: tkfont.Font,
        max_lines: int = DEFAULT_MAX_LINES,
    ) -> None:
        super().__init__(master)
        self.max_lines = max_lines
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
            background="white",
            foreground="black",
            relief="flat",
            borderwidth=0,
            padx=6,
            pady=4,
            spacing1=1,
            spacing3=1,
            takefocus=False,
            undo=False,
            cursor="xterm",
        )
        self.scrollbar = ttk.Scrollbar(self, orient="vertical", command=self.text.yview)
        self.text.configure(yscrollcommand=self.scrollbar.set)
        self.text.grid(row=0, column=0, sticky="nsew")
        self.scrollbar.grid(row=0, column=1, sticky="ns")
        self.rowconfigure(0, weight=1)
        self.columnconfigure(0, weight=1)
        self._pending: list[object] = []  # flat (text, tags, text, tags, ...) for one insert
        self._pending_lines = 0
        self._name_tags: set[str] = set()
        self._configure_tags()
        # Read-only but copyable: Ctrl+C works through the class binding; make
        # the widget focusable by click so a selection can be copied.
        self.text.bind("<Button-1>", lambda _e: self.text.focus_set(), add=True)

    # --- styling ------------------------------------------------------------

    def _configure_tags(self) -> None:
        t = self.text
        t.tag_configure("time", foreground="#8a8a8a")
        t.tag_configure("name", font=self._bold)
        t.tag_configure("own", background=OWN_BACKGROUND)
        t.tag_configure("ownname", foreground=OWN_NAME_COLOUR, font=self._bold)
        t.tag_configure("private", background=PRIVATE_BACKGROUND)
        t.tag_configure("privmark", foreground="#7a5c00", font=self._bold)
        t.tag_configure("action", font=self._italic)
        t.tag_configure("event", foreground=EVENT_COLOUR, font=self._italic)
        t.tag_configure("marker", foreground=EVENT_COLOUR, font=self._bold)
        t.tag_configure("markerline", justify="center", spacing1=6, spacing3=4)
        t.tag_configure("error", foreground=ERROR_COLOUR, font=self._italic)
        t.tag_configure("queued", foreground="#9a9a9a", font=self._italic)
        t.tag_configure("notsent", foreground=ERROR_COLOUR, font=self._italic)
        self._set_hanging_indent()

    def sync_fonts(self) -> None:
        """Follow a size change of the main font (View ▸ Larger/Smaller text)."""
        size = self._font.cget("size")
        self._bold.configure(size=size)
        self._italic.configure(size=size)
        self._set_hanging_indent()

    def _set_hanging_indent(self) -> None:
        # Wrapped lines of a message start under its text, not under the time.
        indent = self._font.measure("[00:00] ")
        self.text.tag_configure("line", lmargin2=indent)
        self.text.tag_configure("cont", lmargin1=indent, lmargin2=indent)

    def _name_tag(self, name: str) -> str:
        colour = name_colour(name)
        tag = "c" + colour[1:]
        if tag not in self._name_tags:
            self.text.tag_configure(tag, foreground=colour)
            self._name_tags.add(tag)
        return tag

    # --- queueing lines -----------------------------------------------------

    def _queue(
        self,
        segments: Sequence[Segment],
        line_tags: tuple[str, ...] = (),
        when: float | None = None,
        *,
        stamp: bool = True,
    ) -> None:
        pending = self._pending
        line_tags = ("line", *line_tags)
        if stamp:
            pending.append(_stamp(time.time() if when is None else when))
            pending.append(("time", *line_tags))
        cont: tuple[str, ...] = ()
        for text, tags in segments:
            if not cont and "\n" in text:
                # A message typed with Shift+Enter: its later lines are indented
                # like wrapped ones, under the text rather than under the time.
                head, _, rest = text.partition("\n")
                pending.append(head + "\n")
                pending.append((*tags, *line_tags))
                cont, text = ("cont",), rest
            pending.append(text)
            pending.append((*tags, *line_tags, *cont))
        pending.append("\n")
        pending.append(line_tags)
        self._pending_lines += 1

    def show(self, line: Line) -> None:
        """Queue ``line`` (drawn at the next :meth:`flush`)."""
        when, name = line.time, line.sender
        name_tags = ("ownname",) if line.own else ("name", self._name_tag(name))
        marker: list[Segment] = []
        if line.cid is not None:
            marker = [("  " + state_text(line.state), self._state_tags(line.cid, line.state))]
        match line.kind:
            case Kind.MESSAGE:
                self._queue(
                    [(name, name_tags), (": " + line.text, ()), *marker],
                    ("own",) if line.own else (),
                    when,
                )
            case Kind.ACTION:
                action: list[Segment] = [
                    ("* ", ("action",)),
                    (name, name_tags),
                    (" " + line.text, ("action",)),
                ]
                self._queue([*action, *marker], ("own",) if line.own else (), when)
            case Kind.PRIVATE if line.own:
                segs: list[Segment] = [
                    ("→ ", ("privmark",)),
                    (line.peer, ("name", self._name_tag(line.peer))),
                    (" (private)", ("privmark",)),
                    (": " + line.text, ()),
                ]
                self._queue([*segs, *marker], ("private",), when)
            case Kind.PRIVATE:
                segs = [
                    (name, ("name", self._name_tag(name))),
                    (" (private)", ("privmark",)),
                    (": " + line.text, ()),
                ]
                self._queue(segs, ("private",), when)
            case Kind.EVENT:
                self._queue([(line.text, ("event",))], (), when)
            case Kind.MARKER:  # a divider: centred, no time of its own
                self._queue([(line.text, ("marker",))], ("markerline",), stamp=False)
            case Kind.ERROR:
                self._queue([(line.text, ("error",))], (), when)

    def add_event(self, text: str) -> None:
        """Queue a grey italic line now (the window's own notices)."""
        self._queue([(text, ("event",))])

    def add_error(self, text: str) -> None:
        """Queue a red italic line now."""
        self._queue([(text, ("error",))])

    @staticmethod
    def _state_tags(cid: int, state: SendState | None) -> tuple[str, ...]:
        style = "notsent" if state is SendState.FAILED else "queued"
        return (style, f"m{cid}")

    # --- applying -----------------------------------------------------------

    @property
    def pending(self) -> int:
        """Lines queued but not yet inserted."""
        return self._pending_lines

    def flush(self) -> None:
        """Insert every queued line at once, trim the top, keep the view sensible."""
        if not self._pending:
            return
        t = self.text
        at_bottom = self.at_bottom()
        args, self._pending, self._pending_lines = self._pending, [], 0
        t.configure(state="normal")
        try:
            t.insert("end-1c", *args)  # type: ignore[arg-type]
            self._trim()
        finally:
            t.configure(state="disabled")
        if at_bottom:
            t.see("end")

    def _trim(self) -> None:
        # Deleting lines above the view keeps the view on the same text (Tk
        # anchors it to the content), so someone reading older lines is not moved.
        excess = self.line_count() - self.max_lines
        if excess > 0:
            self.text.delete("1.0", f"{excess + 1}.0")

    def at_bottom(self) -> bool:
        """True when the end is in view (then new lines scroll into view).

        Exactly 1.0: with 5,000 lines, one line scrolled up is already 0.9998.
        An unmapped widget reports (0.0, 1.0), so the first lines count as "at
        the bottom" and the view follows them.
        """
        return self.text.yview()[1] >= 1.0

    def line_count(self) -> int:
        """Logical lines held (a message with newlines counts each)."""
        # The Text always ends with one newline of its own; "end-1c" is after
        # our last "\n", on an empty last line.
        return int(self.text.index("end-1c").split(".")[0]) - 1

    def mark(self, cid: int, state: SendState, reason: str = "") -> None:
        """Rewrite the state marker of own line ``cid``."""
        self.flush()
        t = self.text
        tag = f"m{cid}"
        ranges = t.tag_ranges(tag)
        if not ranges:
            return
        text = state_text(state, reason)
        at_bottom = self.at_bottom()
        t.configure(state="normal")
        try:
            start, end = ranges[0], ranges[-1]
            line_tags = tuple(x for x in t.tag_names(start) if x in ("line", "own", "private"))
            t.delete(start, end)
            if text:
                t.insert(start, "  " + text, (*self._state_tags(cid, state), *line_tags))
        finally:
            t.configure(state="disabled")
        if at_bottom:  # a longer marker may wrap the last line below the view
            t.see("end")

    def clear(self) -> None:
        """Forget everything shown and queued."""
        self._pending, self._pending_lines = [], 0
        self.text.configure(state="normal")
        self.text.delete("1.0", "end")
        self.text.configure(state="disabled")

    def get_text(self) -> str:
        """Return the transcript as plain text (what Save transcript writes)."""
        self.flush()
        return self.text.get("1.0", "end-1c")
