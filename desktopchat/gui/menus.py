"""The menu bar, built from one table (IDLE's ``mainmenu.menudefs`` habit).

Role: turn a table of ``(menu label, [MenuItem | None, ...])`` into a Tk menu
bar and bind each item's keyboard shortcut on the toplevel, so the label, the
handler and the accelerator shown in the menu can never drift apart.

``None`` in an item list is a separator. An ``&`` in a label marks the
underlined mnemonic letter (Alt+letter opens the menu). A :class:`MenuItem`
``accelerator`` is the text shown in the menu ("Ctrl+Q"); ``sequences`` are the
Tk event sequences bound to the same handler ("<Control-q>", "<Control-Q>").
An item with a ``group`` is a radio item: the items of one group share the Tcl
variable :func:`radio_variable` names, whose value is the chosen item's
``value`` (the app sets it with ``root.setvar`` to show the current choice).
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = ["MenuItem", "MenuTable", "Submenu", "build_menubar", "radio_variable", "shortcuts"]


@dataclass(frozen=True)
class MenuItem:
    """One command in a menu."""

    label: str
    handler: Callable[[], object]
    accelerator: str = ""
    sequences: tuple[str, ...] = field(default=())
    #: A radio item: its group (one Tcl variable per group) and the value it selects.
    group: str = ""
    value: str = ""


def radio_variable(group: str) -> str:
    """The Tcl variable holding the chosen value of radio ``group``."""
    return f"desktopchat_menu_{group}"


@dataclass(frozen=True)
class Submenu:
    """A cascade inside a menu (View ▸ Theme ▸ …)."""

    label: str
    items: Sequence[MenuItem | None]


#: (menu label, items) in menu-bar order; None = separator.
MenuTable = Sequence[tuple[str, Sequence[MenuItem | Submenu | None]]]


def _mnemonic(label: str) -> tuple[str, int]:
    index = label.find("&")
    if index < 0:
        return label, -1
    return label[:index] + label[index + 1 :], index


def shortcuts(table: MenuTable) -> list[tuple[str, str]]:
    """(accelerator, "Menu ▸ Item") for every item with a shortcut, in menu order."""
    found: list[tuple[str, str]] = []

    def walk(path: str, items: Sequence[MenuItem | Submenu | None]) -> None:
        for item in items:
            if isinstance(item, Submenu):
                walk(f"{path} ▸ {_mnemonic(item.label)[0]}", item.items)
            elif item is not None and item.accelerator:
                found.append((item.accelerator, f"{path} ▸ {_mnemonic(item.label)[0]}"))

    for menu_label, items in table:
        walk(_mnemonic(menu_label)[0], items)
    return found


def build_menubar(root: tk.Tk | tk.Toplevel, table: MenuTable) -> dict[str, tk.Menu]:
    """Create the menu bar on ``root`` from ``table``; return the menus by plain label."""
    menubar = tk.Menu(root, tearoff=False)
    menus: dict[str, tk.Menu] = {}
    for menu_label, items in table:
        menu = tk.Menu(menubar, tearoff=False)
        text, underline = _mnemonic(menu_label)
        menubar.add_cascade(label=text, menu=menu, underline=underline)
        menus[text] = menu
        _add_items(root, menu, items)
    root.configure(menu=menubar)
    return menus


def _add_items(
    root: tk.Tk | tk.Toplevel, menu: tk.Menu, items: Sequence[MenuItem | Submenu | None]
) -> None:
    for item in items:
        if item is None:
            menu.add_separator()
            continue
        if isinstance(item, Submenu):
            submenu = tk.Menu(menu, tearoff=False)
            text, underline = _mnemonic(item.label)
            menu.add_cascade(label=text, menu=submenu, underline=underline)
            _add_items(root, submenu, item.items)
            continue
        item_text, item_underline = _mnemonic(item.label)
        handler = item.handler
        if item.group:
            menu.add_radiobutton(
                label=item_text,
                command=handler,
                accelerator=item.accelerator,
                underline=item_underline,
                # A Tcl variable by name: no Python Variable object to keep alive.
                variable=radio_variable(item.group),  # type: ignore[arg-type]
                value=item.value,
            )
        else:
            menu.add_command(
                label=item_text,
                command=handler,
                accelerator=item.accelerator,
                underline=item_underline,
            )
        for sequence in item.sequences:
            root.bind(sequence, _key_handler(handler))


def _key_handler(handler: Callable[[], object]) -> Callable[[tk.Event[tk.Misc]], str]:
    def on_key(_event: tk.Event[tk.Misc]) -> str:
        handler()
        return "break"

    return on_key
