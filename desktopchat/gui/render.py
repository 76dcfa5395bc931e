"""What one transcript entry becomes: rows of (text, tags) for one ``Text.insert``. No Tk.

The rules that keep a member from forging lines (README, "Security model"):

* The sender comes from the :class:`~.lines.Line` (the event), never from the text.
  An event row starts with :data:`EVENT_MARK`: a member named ``alice:`` cannot
  make its join read ``alice: joined`` like a message.
* Only an entry's first row starts at the left edge with ``[HH:MM]``. A further
  line of a message is a "cont" row: indented, after a gutter mark :data:`GUTTER`.
  A line longer than :data:`FOLD` characters is cut into "fold" rows (indented
  like wrapped text), so Tk never lays out one huge line.
* An entry shows at most :data:`PREVIEW_LINES` rows and :data:`PREVIEW_CHARS`
  characters; the rest waits behind a "show more" link row (each click shows
  :data:`MORE_LINES` rows / :data:`MORE_CHARS` characters more).
* Controls, line separators and bidi controls are drawn as escapes
  (:mod:`desktopchat.escapes`) in the "escape" style, in names too.
* Links in the text (:mod:`.links`: web addresses and ``desktopchat://``
  invitations, at most ``links.MAX_LINKS`` per entry) get the "link" tag.
"""

from __future__ import annotations

import functools
import re
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from desktopchat.escapes import UNSAFE, UNSAFE_IN_TEXT, split_unsafe
from desktopchat.gui.lines import Kind, Line, SendState, state_text
from desktopchat.gui.links import LINK_TAG, MAX_LINKS, split_links
from desktopchat.protocol import name_skeleton

__all__ = [
    "FOLD",
    "GUTTER",
    "NAME_SLOTS",
    "PREVIEW",
    "PREVIEW_CHARS",
    "PREVIEW_LINES",
    "Budget",
    "Rendered",
    "colour_tag",
    "marker_args",
    "name_slot",
    "render",
]

#: Rows a collapsed entry shows (its first line included) before "show more".
PREVIEW_LINES = 20
#: Characters of text a collapsed entry shows before "show more".
PREVIEW_CHARS = 2_000
#: Longest row in the Text: a longer line is folded into rows of this many characters.
FOLD = 2_000
#: A fold prefers to break after a space among a row's last this many characters.
FOLD_SLACK = 200
#: What one click on "show more" adds.
MORE_LINES = 500
MORE_CHARS = 100_000
#: Starts every further line of a multi-line entry.
GUTTER = "│ "
#: Ends a row whose line goes on behind "show more".
CUT = "…"
#: Starts the text of an event row (joins, leaves, renames, notices).
EVENT_MARK = "• "
#: Row tags: a further line ("cont"), a fold of the first line ("fold"), of a further one.
CONT, FOLD_FIRST, FOLD_CONT = "cont", "fold", "contfold"
#: Text that may hold a link (links.py decides); the rest skips the link scan.
_LINK_HINT = re.compile(r"://|www\.", re.IGNORECASE)

#: Name colour slots: each theme's palette has this many name colours
#: (``palette.Palette.names``); a name keeps its slot in every theme.
NAME_SLOTS = 10

Tags = tuple[str, ...]
Segment = tuple[str, Tags]
Pieces = list[tuple[str, bool]]  # (text, is_escape)


@dataclass(frozen=True, slots=True)
class Budget:
    """How much of an entry is shown: rows and characters of text."""

    lines: int
    chars: int

    def more(self) -> Budget:
        """The budget after one more click on "show more"."""
        return Budget(self.lines + MORE_LINES, self.chars + MORE_CHARS)


PREVIEW = Budget(PREVIEW_LINES, PREVIEW_CHARS)


@dataclass(frozen=True, slots=True)
class Rendered:
    """``args`` alternate text and tags, ready for ``Text.insert``; ``rows`` lines in all."""

    args: list[str | Tags]
    rows: int
    hidden: bool  # a "show more" link row ends it


@functools.lru_cache(maxsize=4096)  # a skeleton costs microseconds; a room has few names
def name_slot(name: str) -> int:
    """Return the stable colour slot of ``name``, one per look (as the room has one
    member per look: ``protocol.name_skeleton``); the theme's palette colours it."""
    return zlib.crc32(name_skeleton(name).encode("utf-8")) % NAME_SLOTS


def colour_tag(name: str) -> str:
    """The Text tag that draws in ``name``'s colour."""
    return f"c{name_slot(name)}"


def stamp(when: float) -> str:
    """``[HH:MM] `` in local time."""
    return _minute_stamp(int(when // 60))


@functools.lru_cache(maxsize=256)
def _minute_stamp(minute: int) -> str:
    return time.strftime("[%H:%M] ", time.localtime(minute * 60))


def _escaped(text: str, tags: Tags) -> list[Segment]:
    """One-line text (a name, a reason): every unsafe character as an escape."""
    if UNSAFE.search(text) is None:
        return [(text, tags)]
    return [(p, ("escape", *tags) if esc else tags) for p, esc in split_unsafe(text)]


def marker_args(cid: int, state: SendState | None, reason: str, row: Tags) -> list[str | Tags]:
    """The state marker after own line ``cid`` ("" when it has none)."""
    text = state_text(state, reason)
    if not text:
        return []
    tags = ("notsent" if state is SendState.FAILED else "queued", f"m{cid}", *row)
    args: list[str | Tags] = []
    for piece, piece_tags in _escaped("  " + text, tags):
        args += [piece, piece_tags]
    return args


def _head(line: Line) -> tuple[list[Segment], Tags, Tags]:
    """The segments before the text, the text's style, the gutter's style."""
    name = line.sender
    colour = colour_tag(name)
    name_tags: Tags = ("ownname",) if line.own else ("name", colour)
    gutter: Tags = () if line.own else (colour,)
    match line.kind:
        case Kind.MESSAGE:
            return [*_escaped(name, name_tags), (": ", ())], (), gutter
        case Kind.ACTION:
            head = [("* ", ("action",)), *_escaped(name, name_tags), (" ", ("action",))]
            return head, ("action",), gutter
        case Kind.PRIVATE if line.own:
            peer = ("name", colour_tag(line.peer))
            head = [
                ("→ ", ("privmark",)),
                *_escaped(line.peer, peer),
                (" (private)", ("privmark",)),
            ]
            return [*head, (": ", ())], (), ()
        case Kind.PRIVATE:
            head = [*_escaped(name, ("name", colour)), (" (private)", ("privmark",))]
            return [*head, (": ", ())], (), gutter
        case Kind.EVENT:  # marked: "alice: joined" (a member named "alice:") is no message
            return [(EVENT_MARK, ("event",))], ("event",), ()
        case Kind.ERROR:
            return [], ("error",), ()
    return [], ("marker",), ()


def _row_tags(line: Line) -> Tags:
    if line.kind is Kind.MARKER:
        return ("line", "markerline")
    if line.kind is Kind.PRIVATE:
        return ("line", "private")
    if line.own and line.kind in (Kind.MESSAGE, Kind.ACTION):
        return ("line", "own")
    return ("line",)


def _chunks(logical: str) -> Iterator[tuple[Pieces, int, int]]:
    """Fold one line into rows of at most FOLD characters: (pieces, source length, shown length)."""
    if len(logical) <= FOLD and UNSAFE_IN_TEXT.search(logical) is None:
        yield [(logical, False)], len(logical), len(logical)
        return
    chunk: Pieces = []
    shown = source = 0
    for piece, esc in split_unsafe(logical, UNSAFE_IN_TEXT):
        if esc:
            if shown + len(piece) > FOLD:
                yield chunk, source, shown
                chunk, shown, source = [], 0, 0
            chunk.append((piece, True))
            shown, source = shown + len(piece), source + 1
            continue
        while piece:
            room = FOLD - shown
            if room <= 0:
                yield chunk, source, shown
                chunk, shown, source = [], 0, 0
                continue
            take = len(piece)
            if take > room:
                space = piece.rfind(" ", max(0, room - FOLD_SLACK), room)
                take = space + 1 if space >= 0 else room
            chunk.append((piece[:take], False))
            shown, source, piece = shown + take, source + take, piece[take:]
    yield chunk, source, shown


def _cut(chunk: Pieces, room: int) -> tuple[Pieces, int]:
    """The first ``room`` shown characters of a chunk (an escape is never split)."""
    kept: Pieces = []
    source = 0
    for piece, esc in chunk:
        if len(piece) > room:
            if not esc and room > 0:
                kept.append((piece[:room], False))
                source += room
            break
        kept.append((piece, esc))
        room -= len(piece)
        source += 1 if esc else len(piece)
    return kept, source


def _layout(text: str, budget: Budget) -> tuple[list[tuple[str, Pieces]], str, bool]:
    """(row kind, pieces) per row, the text left hidden, and whether it starts mid-line."""
    rows: list[tuple[str, Pieces]] = []
    used = source = 0
    for number, logical in enumerate(text.split("\n")):
        if number:
            source += 1  # the newline
        kinds = ("first", FOLD_FIRST) if number == 0 else (CONT, FOLD_CONT)
        for index, (chunk, chunk_source, shown) in enumerate(_chunks(logical)):
            if rows and (len(rows) >= budget.lines or used >= budget.chars):
                return rows, text[source:], index > 0
            kind = kinds[1] if index else kinds[0]
            room = budget.chars - used
            if rows and shown > room:
                kept, kept_source = _cut(chunk, room)
                if kept:
                    rows.append((kind, kept))
                return rows, text[source + kept_source :], bool(kept) or index > 0
            rows.append((kind, chunk))
            used, source = used + shown, source + chunk_source
    return rows, "", False


def _add_text(args: list[str | Tags], text: str, tags: Tags, links_left: int) -> int:
    """Append ``text`` with its links tagged "link"; the links still allowed after it."""
    if links_left <= 0 or _LINK_HINT.search(text) is None:  # most text: no link at all
        args += [text, tags]
        return links_left
    for part, is_link in split_links(text, links_left):
        args += [part, (*tags, LINK_TAG) if is_link else tags]
        links_left -= is_link
    return links_left


def more_label(hidden: str, *, cut: bool) -> str:
    """The link's text: how much "show more" would show."""
    whole = hidden.count("\n") + (0 if cut else 1)
    if whole:
        return f"⋯ show more ({whole:,} more line{'s' if whole != 1 else ''})"
    return f"⋯ show more ({len(hidden):,} more characters)"


def render(
    line: Line,
    budget: Budget = PREVIEW,
    state: SendState | None = None,
    reason: str = "",
) -> Rendered:
    """The rows ``line`` is drawn as, within ``budget``; ``state`` is its marker's."""
    base = _row_tags(line)
    head, style, gutter = _head(line)
    text = line.text.replace("\r\n", "\n") if "\r" in line.text else line.text
    if len(text) <= min(FOLD, budget.chars) and UNSAFE_IN_TEXT.search(text) is None:
        rows, hidden, cut = [("first", [(text, False)])], "", False  # most lines: one row
    else:
        rows, hidden, cut = _layout(text, budget)
    args: list[str | Tags] = []
    if line.kind is not Kind.MARKER:
        args += [stamp(line.time), ("time", *base)]
    for piece, tags in head:
        args += [piece, (*tags, *base)]
    row: Tags = base
    links_left = MAX_LINKS
    for number, (kind, pieces) in enumerate(rows):
        if number:
            args += ["\n", row]
            row = (*base, kind)
            if kind == CONT:
                args += [GUTTER, ("gutter", *gutter, *row)]
        for piece, esc in pieces:
            if esc:
                args += [piece, ("escape", *style, *row)]
            else:
                links_left = _add_text(args, piece, (*style, *row), links_left)
    if cut:
        args += [CUT, ("cut", *row)]
    if line.cid is not None:
        args += marker_args(line.cid, state if state is not None else line.state, reason, row)
    args += ["\n", row]
    if hidden:
        more = (*base, CONT)
        args += [GUTTER, ("gutter", *gutter, *more), more_label(hidden, cut=cut), ("more", *more)]
        args += ["\n", more]
    return Rendered(args, len(rows) + (1 if hidden else 0), bool(hidden))
