"""The user list: who is in the room, sorted, with ourselves marked.

Role: a Listbox fed by the app from ``UserList``/``Joined``/``Left``/
``NickChanged`` events. Against the tutorial's server, which sends none of
those, the app adds every name it sees talking (:meth:`UserPanel.seen`), plus
our own name, so the list is still useful (it just never shrinks there).

Invariants: names are unique case-insensitively (``protocol.name_key``), the
list is sorted case-insensitively with our own name first and marked
" (you)"; each name has its transcript colour and shows line breaks and
controls as escapes, as the transcript does; double-clicking (or Return
on) a name calls ``on_pick(name)``. A member whose connection the room
says is not encrypted is shown "name (unencrypted)". A name too long for the list's width
(the sash beside it widens the list) ends in "…", and resting the pointer on
it shows the whole name in a tooltip.

A big room (docs/PROTOCOL.md, "Big rooms") gives the list its count and the
names a page at a time: the header shows the room's count, the list the names
it has and a last row "… N more"; scrolling to that row (or picking it) calls
``on_more(position)`` for the next page. Names it holds stay true: joins and
leaves in bulk (:meth:`UserPanel.came`, :meth:`UserPanel.went`) move the count
with them.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Iterable, Sequence, Set
from tkinter import font as tkfont
from tkinter import ttk

from desktopchat.escapes import escape_all
from desktopchat.gui import theme
from desktopchat.gui.palette import Palette
from desktopchat.gui.render import name_slot
from desktopchat.gui.tooltip import Tooltip
from desktopchat.protocol import name_key

__all__ = ["ELLIPSIS", "UserPanel", "ellipsize"]

_YOU = " (you)"
_PLAIN = " (unencrypted)"
#: Ends a name shortened to fit the list (the tooltip shows it whole).
ELLIPSIS = "…"


def ellipsize(text: str, room: int, measure: Callable[[str], int]) -> str:
    """``text``, or its longest start + "…" that fits in ``room`` pixels."""
    if measure(text) <= room:
        return text
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if measure(text[:middle] + ELLIPSIS) <= room:
            low = middle
        else:
            high = middle - 1
    return text[:low] + ELLIPSIS


class UserPanel(ttk.Frame):
    """A titled, scrolled Listbox of names."""

    def __init__(
        self,
        master: tk.Misc,
        *,
        on_pick: Callable[[str], None],
        list_font: tkfont.Font,
    ) -> None:
        super().__init__(master)
        self._on_pick = on_pick
        self._names: dict[str, str] = {}  # name_key -> name as shown
        self._own: str | None = None
        self._plain: set[str] = set()  # name_keys of members without encryption
        self._total: int | None = None  # a big room's count; None: all names are here
        self._loaded = 0  # the room's names up to this position came in pages
        self._asked_at: int | None = None  # the position on_more last asked from
        #: Called with the position of the next page of names (a big room).
        self.on_more: Callable[[int], None] | None = None
        self.header = ttk.Label(self, text="In the room", anchor="w", padding=(4, 2))
        self.listbox = tk.Listbox(
            self,
            activestyle="none",
            exportselection=False,
            font=list_font,
            width=14,
            relief="flat",
            borderwidth=0,
            highlightthickness=0,
        )
        self.scrollbar = ttk.Scrollbar(self, orient="vertical", command=self.listbox.yview)
        self.listbox.configure(yscrollcommand=self._scrolled)
        self.header.grid(row=0, column=0, columnspan=2, sticky="ew")
        self.listbox.grid(row=1, column=0, sticky="nsew")
        self.scrollbar.grid(row=1, column=1, sticky="ns")
        self.rowconfigure(1, weight=1)
        self.columnconfigure(0, weight=1)
        self.listbox.bind("<Double-Button-1>", self._picked)
        self.listbox.bind("<Return>", self._picked)
        self._font = list_font
        self._width = 1  # the list's width in pixels, once laid out
        self._shown: list[tuple[str, str]] = []  # (whole, as shown) per row
        self.listbox.bind("<Configure>", self._resized, add=True)
        self.tooltip = Tooltip(self.listbox, self.full_text_at)
        self._palette = theme.palette(self)
        theme.subscribe(self, self.apply_palette)

    # --- model --------------------------------------------------------------

    def names(self) -> list[str]:
        """Names in display order (without the " (you)" marker)."""
        return self._ordered()

    def set_own(self, name: str | None) -> None:
        """Set (or forget) our own name; it is always in the list while set."""
        if self._own is not None:
            self._names.pop(name_key(self._own), None)
        self._own = name
        if name is not None:
            self._names[name_key(name)] = name
        self._render()

    def set_names(self, names: Iterable[str], unencrypted: Iterable[str] = ()) -> None:
        """Replace the whole list (a ``*users`` event; ``unencrypted``: those to mark)."""
        self._names = {name_key(n): n for n in names}
        self._plain = {name_key(n) for n in unencrypted}
        self._total, self._loaded, self._asked_at = None, 0, None
        if self._own is not None:
            self._names.setdefault(name_key(self._own), self._own)
        self._render()

    def page(self, names: Sequence[str], start: int, total: int, unencrypted: Set[str]) -> None:
        """A page of a big room's names (from position ``start``; the first replaces all)."""
        if start == 0:
            self.set_names(names, unencrypted)
        else:
            self._names.update((name_key(n), n) for n in names)
            self._plain.update(name_key(n) for n in unencrypted)
        self._loaded = max(self._loaded, start + len(names))
        self._total = total
        self._render()

    def came(self, names: Sequence[str], total: int) -> None:
        """Several joined (a big room); ``names``: those the room listed, ``total``: its count."""
        self._names.update((name_key(n), n) for n in names)
        self._total = total if total > len(self._names) or self._total is not None else None
        self._render()

    def went(self, names: Sequence[str], total: int) -> None:
        """Several left (a big room: every name is listed); ``total``: the count now."""
        own = name_key(self._own) if self._own is not None else None
        for key in {name_key(n) for n in names} - {own}:
            self._names.pop(key, None)
            self._plain.discard(key)
        if self._total is not None:
            self._total = total
        self._render()

    @property
    def total(self) -> int:
        """How many are in the room, as far as the list knows."""
        return len(self._names) if self._total is None else max(self._total, len(self._names))

    def add(self, name: str, unencrypted: bool = False) -> None:
        """Someone joined (``unencrypted``: the room says their connection is not)."""
        if unencrypted:
            self._plain.add(name_key(name))
        if name_key(name) not in self._names or unencrypted:
            if self._total is not None and name_key(name) not in self._names:
                self._total += 1
            self._names[name_key(name)] = name
            self._render()

    def seen(self, name: str) -> None:
        """Someone talked: make sure they are listed (tutorial servers send no joins)."""
        self.add(name)

    def remove(self, name: str) -> None:
        """Someone left."""
        if self._own is not None and name_key(name) == name_key(self._own):
            return
        self._plain.discard(name_key(name))
        if self._total is not None:  # a big room: one fewer, listed here or not
            self._total -= 1
        if self._names.pop(name_key(name), None) is not None or self._total is not None:
            self._render()

    def rename(self, old: str, new: str) -> None:
        """Someone changed name (maybe us: then the own marker follows)."""
        if self._own is not None and name_key(old) == name_key(self._own):
            self._own = new
        self._names.pop(name_key(old), None)
        self._names[name_key(new)] = new
        if name_key(old) in self._plain:
            self._plain.discard(name_key(old))
            self._plain.add(name_key(new))
        self._render()

    def clear(self) -> None:
        """Empty the list (we left the room)."""
        self._names = {}
        self._total, self._loaded, self._asked_at = None, 0, None
        if self._own is not None:
            self._names[name_key(self._own)] = self._own
        self._render()

    # --- view ---------------------------------------------------------------

    def apply_palette(self, p: Palette) -> None:
        """Draw with the colours of ``p`` (names keep their slot, in the new colours)."""
        self._palette = p
        self.listbox.configure(
            background=p.list_background,
            foreground=p.foreground,
            selectbackground=p.selection_background,
            selectforeground=p.selection_foreground,
            highlightcolor=p.focus,
            highlightbackground=p.list_background,
        )
        self._render()

    def _ordered(self) -> list[str]:
        own_key = name_key(self._own) if self._own is not None else None
        others = sorted((n for k, n in self._names.items() if k != own_key), key=name_key)
        return ([self._own] if self._own is not None else []) + others

    def shown_rows(self) -> list[tuple[str, str]]:
        """(the whole text, the text as shown) of every row: a name, escaped, maybe "…"."""
        return list(self._shown)

    def refit(self) -> None:
        """Shorten the names again (the text size changed)."""
        self._render()

    def _resized(self, event: tk.Event[tk.Listbox]) -> None:
        if event.width != self._width:
            self._width = event.width
            self._render()

    def full_text_at(self, _x: int, y: int) -> str | None:
        """The whole name under the pointer, when the list shows it shortened (tooltip)."""
        lb = self.listbox
        if not self._shown:
            return None
        index = int(lb.nearest(y))  # type: ignore[no-untyped-call]
        box = lb.bbox(index)
        if not box or not box[1] <= y < box[1] + box[3]:
            return None
        full, shown = self._shown[index]
        return full if full != shown else None

    def _render(self) -> None:
        lb = self.listbox
        lb.delete(0, "end")
        # Room for text: the list's width less its borders and a margin; before the
        # list has a size (1 px), names are shown whole.
        room = self._width - 2 * (int(lb.cget("borderwidth")) + 2)
        self._shown = []
        for i, name in enumerate(self._ordered()):
            own = self._own is not None and name_key(name) == name_key(self._own)
            full = escape_all(name)  # a plain relay's names may hold anything
            plain = _PLAIN if name_key(name) in self._plain else ""
            suffix = plain + (_YOU if own else "")
            shown = full + suffix
            if self._width > 1:
                measure = self._font.measure
                if plain and room - measure(suffix) < measure("abc" + ELLIPSIS):
                    # Too narrow for the marker whole: the name first, the marker cut.
                    full, suffix = full + plain, _YOU if own else ""
                shown = ellipsize(full, room - measure(suffix), measure) + suffix
            self._shown.append((escape_all(name) + plain + (_YOU if own else ""), shown))
            lb.insert("end", shown)
            # The same colour as the name in the transcript (ours too).
            p = self._palette
            lb.itemconfigure(i, foreground=p.own_name if own else p.name_colour(name_slot(name)))
        missing = self.total - len(self._names)
        if missing > 0:  # a big room: the names not here yet, on the last row
            lb.insert("end", f"… {missing:,} more")
            self._shown.append((f"{missing:,} more: scroll here to list them", f"… {missing:,}"))
        count = self.total
        self.header.configure(text=f"In the room ({count:,})" if count else "In the room")

    def _scrolled(self, first: str | float, last: str | float) -> None:
        """The list scrolled: at its end, a big room's next page is wanted."""
        self.scrollbar.set(first, last)
        if float(last) >= 1.0 and self.total > len(self._names):
            self._want_more()

    def _want_more(self) -> None:
        if self.on_more is not None and self._asked_at != self._loaded:
            self._asked_at = self._loaded  # once per position: an empty page ends it
            self.on_more(self._loaded)

    def _picked(self, _event: tk.Event[tk.Listbox]) -> str:
        selection: tuple[int, ...] = self.listbox.curselection()  # type: ignore[no-untyped-call]
        if selection:
            names = self._ordered()
            index = int(selection[0])
            if index < len(names):
                self._on_pick(names[index])
            elif self.total > len(self._names):  # the "… N more" row
                self._asked_at = None
                self._want_more()
        return "break"
