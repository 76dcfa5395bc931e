"""An offer's line in a transcript: the words, then a row of live widgets.

Role: draw what ``transferrules.py`` says about one
:class:`~.transferrules.Transfer`. :func:`show_offer` writes the offer as a
transcript entry ("* ann offers photo.png (1.2 MB, PNG image)") whose last
row holds a :class:`TransferLine` -- the status words, a progress bar while
bytes come, and the line's buttons (Save… / Open / Decline, Cancel, Open
file / Show in folder, Withdraw) -- embedded in the Text; a picture's entry
has one more row for its thumbnail (``pictures.embed_thumbnail``) once its
bytes are in. :meth:`TransferLine.update` redraws from the transfer.

Decisions:

* The entry's rows are part of its text (further rows after the gutter mark),
  so the transcript's bookkeeping (trimming whole entries, "show more") stays
  true; the widgets sit at the end of those rows. When the transcript drops
  the entry, Tk destroys the widgets with it; updates to a destroyed line do
  nothing.
* The buttons are ttk buttons: Tab reaches them, Space presses them. Every
  text from the network is escaped (``escape_all``) before it is shown.
* The widgets take the transcript's colours from the palette (a ttk style per
  theme), so the line does not look pasted on in either theme.
"""

from __future__ import annotations

import contextlib
import logging
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from desktopchat.escapes import escape_all
from desktopchat.gui import theme
from desktopchat.gui.lines import Kind, Line
from desktopchat.gui.palette import Palette
from desktopchat.gui.transcript import Transcript
from desktopchat.gui.transferrules import Action, Transfer, actions, fraction, status_text

__all__ = ["STYLE", "TransferLine", "show_offer"]

log = logging.getLogger(__name__)

#: The ttk style prefix of a transfer line's widgets.
STYLE = "Transfer"
#: Width of the progress bar (pixels).
BAR_LENGTH = 180
#: Widest the status words get before they wrap (pixels).
STATUS_WIDTH = 400
#: Widest the note under the row gets (pixels).
NOTE_WIDTH = 520

OnAction = Callable[[Transfer, Action], None]


class TransferLine(ttk.Frame):
    """The widgets at the end of one offer's entry (see the module docstring)."""

    def __init__(self, text: tk.Text, item: Transfer, on_action: OnAction, band: str = "") -> None:
        style = f"{STYLE}{band}"  # the row's band: "" (plain), "Own" or "Private"
        super().__init__(text, style=f"{style}.TFrame", padding=(0, 2, 0, 2))
        self.item = item
        self._on_action = on_action
        self.thumbnail_mark: str | None = None  # where a picture's thumbnail goes
        self.has_thumbnail = False
        self.buttons: dict[Action, ttk.Button] = {}
        # The buttons, the bar and the status in a row; a note (a program) under it.
        self.row = ttk.Frame(self, style=f"{style}.TFrame")
        self.row.pack(side="top", anchor="w")
        self.bar = ttk.Progressbar(self.row, length=BAR_LENGTH, maximum=1000, mode="determinate")
        # Wrapped, so the widgets fit beside the gutter: a wider window would go
        # to a display line of its own, away from its row's mark.
        self.status = ttk.Label(self.row, style=f"{style}.TLabel", wraplength=STATUS_WIDTH)
        self.note = ttk.Label(self, style=f"{style}Note.TLabel", wraplength=NOTE_WIDTH)
        self._layout: tuple[object, ...] | None = None
        self.update_from(item)

    def update_from(self, item: Transfer) -> None:
        """Redraw the status, the bar and the buttons from ``item``."""
        with contextlib.suppress(tk.TclError):  # the transcript dropped the line
            if not self.winfo_exists():
                return
            self._redraw(item)

    def _redraw(self, item: Transfer) -> None:
        wanted = actions(item)
        part = fraction(item)
        words = status_text(item)
        layout = (wanted, part is not None, bool(words), bool(item.note))
        if layout != self._layout:  # progress alone changes only the bar and the words
            self._layout = layout
            self._lay_out(wanted, part is not None, bool(words), bool(item.note))
        if part is not None:
            self.bar.configure(value=round(part * 1000))
        self.status.configure(text=escape_all(words))
        self.note.configure(text=escape_all(item.note))

    def _lay_out(self, wanted: tuple[Action, ...], bar: bool, words: bool, note: bool) -> None:
        if wanted != tuple(self.buttons):
            for button in self.buttons.values():
                button.destroy()
            self.buttons = {}
            for action in wanted:
                self.buttons[action] = ttk.Button(
                    self.row,
                    text=action.value,
                    command=lambda a=action: self._on_action(self.item, a),  # type: ignore[misc]
                )
        for widget in (*self.buttons.values(), self.bar, self.status):
            widget.pack_forget()
        for button in self.buttons.values():
            button.pack(side="left", padx=(0, 4))
        if bar:
            self.bar.pack(side="left", padx=(4, 8))
        if words:
            self.status.pack(side="left")
        if note:
            self.note.pack(side="top", anchor="w")
        else:
            self.note.pack_forget()

    @property
    def shown_actions(self) -> tuple[Action, ...]:
        """The buttons shown now, in order."""
        return tuple(self.buttons)


def apply_styles(root: tk.Misc, p: Palette) -> None:
    """The transfer widgets' colours for palette ``p`` (the transcript's background)."""
    style = ttk.Style(root)
    wanted: dict[str, dict[str, str]] = {}
    for band, colour in (("", p.background), ("Own", p.own_band), ("Private", p.private_band)):
        wanted[f"{STYLE}{band}.TFrame"] = {"background": colour}
        wanted[f"{STYLE}{band}.TLabel"] = {"background": colour, "foreground": p.event}
        wanted[f"{STYLE}{band}Note.TLabel"] = {"background": colour, "foreground": p.error}
    for name, options in wanted.items():
        # Configuring a style makes ttk send <<ThemeChanged>>, which re-applies the
        # palette (theme.py): only a real change may configure, or they call each other.
        if any(str(style.lookup(name, key)) != value for key, value in options.items()):
            style.configure(name, **options)


def show_offer(
    transcript: Transcript, line: Line, item: Transfer, on_action: OnAction
) -> TransferLine:
    """Add ``line`` (an offer) to ``transcript`` with its widgets; return them.

    The line gets one further row for the widgets, and a picture one more for
    its thumbnail (filled in by :meth:`add_thumbnail`).
    """
    from dataclasses import replace

    from desktopchat.gui.transferrules import wants_preview

    picture = wants_preview(item.mime, item.size) and (item.incoming or item.data is not None)
    rows = 2 if picture else 1
    transcript.flush()
    at_bottom = transcript.at_bottom()
    transcript.show(replace(line, text=line.text + "\n" * rows))
    transcript.flush()
    text = transcript.text
    _styles_for(text)
    band = "Private" if line.kind is Kind.PRIVATE else "Own" if line.own else ""
    widgets = TransferLine(text, item, on_action, band)
    last = int(text.index("end-1c").split(".")[0]) - 1  # the entry's last row
    text.configure(state="normal")
    try:
        text.window_create(f"{last}.end", window=widgets, align="center")
        if rows == 2:
            widgets.thumbnail_mark = f"thumb{id(widgets)}"
            text.mark_set(widgets.thumbnail_mark, f"{last - 1}.end")
            text.mark_gravity(widgets.thumbnail_mark, "left")
    finally:
        text.configure(state="disabled")
    _stay_at_end(text, at_bottom)
    return widgets


def add_thumbnail(
    widgets: TransferLine,
    data: bytes,
    on_open: Callable[[], None],
    on_save: Callable[[], None] | None,
) -> bool:
    """Put the picture's thumbnail on its row (once); False when it cannot be shown."""
    from desktopchat.files.images import ImageError
    from desktopchat.gui.pictures import embed_thumbnail

    mark = widgets.thumbnail_mark
    if widgets.has_thumbnail or mark is None:
        return False
    try:
        text = widgets.master
        if not widgets.winfo_exists() or not isinstance(text, tk.Text):
            return False
        at_bottom = text.yview()[1] >= 1.0
        embed_thumbnail(text, mark, data, widgets.item.name, on_open=on_open, on_save=on_save)
    except ImageError as exc:
        log.info("no thumbnail for %s: %s", widgets.item.name, exc)
        return False
    except tk.TclError:  # the line is gone
        return False
    widgets.has_thumbnail = True
    _stay_at_end(text, at_bottom)
    return True


def _stay_at_end(text: tk.Text, at_bottom: bool) -> None:
    """Keep the newest line in view if it was, once the new widgets have their size."""
    if at_bottom:
        text.update_idletasks()  # an embedded window is sized at idle time
        text.yview_moveto(1.0)


def _styles_for(text: tk.Text) -> None:
    if getattr(text, "_transfer_styled", False):
        return
    text._transfer_styled = True  # type: ignore[attr-defined]
    theme.subscribe(text, lambda p: apply_styles(text, p))
