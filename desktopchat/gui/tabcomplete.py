"""The message box's keys for completion: Tab (names, ``:shortcodes``) and ``:``.

Role: the Tk side of :mod:`.completion`. :func:`attach` binds, on one
message box:

* Tab: complete the word before the cursor (member names from ``names()``,
  or a ``:shortcode`` to its emoji); Tab again cycles; with nothing to
  complete Tab does nothing (it never inserts a tab character);
* ``:``: typed after a known ``:name``, the whole ``:name:`` becomes its emoji;
* any other key ends a Tab cycle.

Offsets are converted for Tk 8.6, which counts an emoji as two characters
(:func:`.completion.tk_length`).
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Sequence

from desktopchat.gui.completion import Completer, Edit, shortcode_edit, tk_length

__all__ = ["attach"]


def _before(box: tk.Text) -> str:
    return str(box.get("1.0", "insert"))


def _apply(box: tk.Text, before: str, edit: Edit) -> None:
    replaced = tk_length(before[edit.start :])
    box.delete(f"insert-{replaced}c", "insert")
    box.insert("insert", edit.text)
    box.see("insert")


def attach(box: tk.Text, names: Callable[[], Sequence[str]]) -> Completer:
    """Bind Tab and ``:`` completion on ``box``; return its completer."""
    completer = Completer()

    def tab(_event: tk.Event[tk.Text]) -> str:
        if box.tag_ranges("sel"):
            box.tag_remove("sel", "1.0", "end")
        before = _before(box)
        edit = completer.tab(before, names())
        if edit is not None:
            _apply(box, before, edit)
        return "break"

    def colon(_event: tk.Event[tk.Text]) -> str | None:
        completer.reset()
        before = _before(box) + ":"
        edit = shortcode_edit(before)
        if edit is None:
            return None  # Tk inserts the colon as usual
        _apply(box, before[:-1], Edit(edit.start, edit.text))
        return "break"

    box.bind("<Tab>", tab)
    box.bind("<KeyPress-colon>", colon)
    box.bind("<KeyPress>", lambda _e: completer.reset(), add=True)
    box.bind("<Button-1>", lambda _e: completer.reset(), add=True)
    return completer
