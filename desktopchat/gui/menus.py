"""The menu bar, built from one table (IDLE's ``mainmenu.menudefs`` habit).

Role: turn a table of ``(menu label, [MenuItem | None, ...])`` into a Tk menu
bar and bind each item's keyboard shortcut on the toplevel, so the label, the
handler and the accelerator shown in the menu can never drift apart.

``None`` in an item list is a separator. An ``&`` in a label marks the
underlined mnemonic letter (Alt+letter opens the menu). A :class:`MenuItem`
``accelerator`` is the text shown in the menu ("Ctrl+Q"); ``sequences`` are the
Tk event sequences bound to the same handler ("<Control-q>", "<Control-Q>").
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = ["MenuItem", "MenuTable", "build_menubar"]


@dataclass(frozen=True)
class MenuItem:
    """One command in a menu."""

    label: str
    handler: Callable[[], object]
    accelerator: str = ""
    sequences: tuple[str, ...] = field(default=())


#: (menu label, items) in menu-bar order; None = separator.
MenuTable = Sequence[tuple[str, Sequence[MenuItem | None]]]


def _mnemonic(label: str) -> tuple[str, int]:
    index = label.find("&")
    if index < 0:
        return label, -1
    return label[:index] + label[index + 1 :], index


def build_menubar(root: tk.Tk | tk.Toplevel, table: MenuTable) -> dict[str, tk.Menu]:
    """Create the menu bar on ``root`` from ``table``; return the menus by plain label."""
    menubar = tk.Menu(root, tearoff=False)
    menus: dict[str, tk.Menu] = {}
    for menu_label, items in table:
        menu = tk.Menu(menubar, tearoff=False)
        text, underline = _mnemonic(menu_label)
        menubar.add_cascade(label=text, menu=menu, underline=underline)
        menus[text] = menu
        for item in items:
            if item is None:
                menu.add_separator()
                continue
            item_text, item_underline = _mnemonic(item.label)
            handler = item.handler
            menu.add_command(
                label=item_text,
                command=handler,
                accelerator=item.accelerator,
                underline=item_underline,
            )
            for sequence in item.sequences:
                root.bind(sequence, _key_handler(handler))
    root.configure(menu=menubar)
    return menus


def _key_handler(handler: Callable[[], object]) -> Callable[[tk.Event[tk.Misc]], str]:
    def on_key(_event: tk.Event[tk.Misc]) -> str:
        handler()
        return "break"

    return on_key
