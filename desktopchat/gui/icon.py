"""Give every desktopchat window the app icon (Tk ``iconphoto``).

Role: load the PNGs that :func:`desktopchat.resources.icon_paths` finds
(largest first) and set them as the default icon of the application, so the
root and every later Toplevel (dialogs) carry it, however the app was started
(source checkout, wheel or frozen executable).

A missing or unreadable icon is logged and ignored: an icon is never a reason
for the chat not to open. The PhotoImages are kept on the root (Tk frees an
image whose Python object is garbage-collected).
"""

from __future__ import annotations

import logging
import tkinter as tk

from desktopchat import resources

__all__ = ["set_app_icon"]

log = logging.getLogger(__name__)


def set_app_icon(root: tk.Tk) -> list[tk.PhotoImage]:
    """Set the application icon on ``root`` and its future toplevels; return the images."""
    try:
        images = [tk.PhotoImage(master=root, file=str(p)) for p in resources.icon_paths()]
    except (OSError, tk.TclError) as exc:
        log.warning("no window icon: %s", exc)
        return []
    if images:
        root.iconphoto(True, *images)
        log.debug("icon loaded from %s", resources.assets_dir())
    root._desktopchat_icons = images  # type: ignore[attr-defined]  # keep them alive
    return images
