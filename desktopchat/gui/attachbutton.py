"""The paperclip button beside the message box: Send file… in one click.

Role: :func:`attach_button` makes a small ttk button showing a paperclip
(``assets/paperclip-light.png`` / ``paperclip-dark.png``, drawn by
``tools/make_paperclip.py``: the fonts here have no paperclip glyph) that
follows the theme, with a tooltip. It runs the same command as Room ▸ Send
file…; ``controls.Enabler`` greys it when the room takes no files.
"""

from __future__ import annotations

import logging
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from desktopchat.gui import theme
from desktopchat.gui.palette import Palette
from desktopchat.gui.tooltip import Tooltip
from desktopchat.resources import assets_dir

__all__ = ["TOOLTIP", "attach_button"]

log = logging.getLogger(__name__)

TOOLTIP = "Send files to the room, or to the person of this tab"


def attach_button(master: tk.Misc, command: Callable[[], None]) -> ttk.Button:
    """The paperclip button (image per theme; text "Send file…" when the image is missing)."""
    button = ttk.Button(master, command=command, width=2)
    images: dict[str, tk.PhotoImage] = {}
    try:
        folder = assets_dir()
        for mode in ("light", "dark"):
            images[mode] = tk.PhotoImage(master=master, file=str(folder / f"paperclip-{mode}.png"))
    except (FileNotFoundError, tk.TclError) as exc:
        log.info("no paperclip image (%s): the button says Send file…", exc)
        button.configure(text="Send file…", width=0)
        images.clear()
    button.images = images  # type: ignore[attr-defined]  # Tk forgets unreferenced images

    def recolour(p: Palette) -> None:
        image = images.get(p.mode)
        if image is not None:
            button.configure(image=image)

    theme.subscribe(button, recolour)
    Tooltip(button, lambda _x, _y: TOOLTIP)
    return button
