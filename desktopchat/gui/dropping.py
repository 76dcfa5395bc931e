"""Drag and drop of files onto the window (tkinterdnd2, when it can be loaded).

Tk has no drop target of its own on X11; the ``tkinterdnd2`` package brings
the tkdnd Tk extension (XDND on X11, OLE on Windows, Cocoa on macOS) with
its binaries. :func:`install_drop` loads it into the existing root (lazily:
only here, after the window is shown, so start-up does not pay for it),
registers the window for dropped files and hands each drop's paths to
``on_files`` (the window's ``send_files``).

Decisions:

* No package, no binary for this platform or a Tk the extension refuses:
  no drop target and one log line; everything else works (Room ▸ Send file…,
  the paperclip, pasting a path).
* The whole window is one drop target (the toplevel and the widgets a drop
  lands on most: transcript, message box); a drop on a private tab goes to
  that tab's person, as Send file… does there (``send_files`` decides).
* Only local files: ``file://`` URIs of another host and non-file items
  (folders are handed on: ``send_files`` says why it cannot send them).
"""

from __future__ import annotations

import logging
import tkinter as tk
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["DropTarget", "dropped_paths", "install_drop"]

log = logging.getLogger(__name__)

#: tkdnd's name for "a list of files" (tkinterdnd2.DND_FILES).
DND_FILES = "DND_Files"
#: What a drop answers the source: the files are copied, never moved.
COPY = "copy"


def dropped_paths(root: tk.Misc, data: str) -> list[Path]:
    """The paths of a drop's data: a Tcl list of paths (or file:// URIs) -> local paths."""
    from urllib.request import url2pathname  # slow to import (http, email): only here

    paths: list[Path] = []
    for item in root.tk.splitlist(data):
        text = str(item)
        if text.startswith("file:"):
            parts = urlsplit(text)
            if parts.netloc not in ("", "localhost"):
                continue  # another machine's file
            text = url2pathname(parts.path)  # unquoted; "/C:/x" -> "C:\\x" on Windows
        if text:
            paths.append(Path(text))
    return paths


class DropTarget:
    """The window's registration for dropped files (what :func:`install_drop` made)."""

    def __init__(
        self, root: tk.Tk, widgets: Iterable[tk.Misc], on_files: Callable[[list[Path]], None]
    ) -> None:
        self.root = root
        self.on_files = on_files
        self.widgets = [root, *widgets]
        command = root.register(self._drop)
        for widget in self.widgets:
            widget.tk.call("tkdnd::drop_target", "register", str(widget), (DND_FILES,))
            widget.tk.call("bind", str(widget), "<<Drop:DND_Files>>", f"{command} %D")
            # Tell the source "copy" while over the window (the cursor shows it).
            widget.tk.call("bind", str(widget), "<<DropPosition>>", f"return {COPY}")

    def _drop(self, data: str) -> str:
        paths = dropped_paths(self.root, data)
        log.info("%d item(s) dropped on the window", len(paths))
        if paths:
            # After the drop has been answered: send_files may ask questions.
            self.root.after_idle(self.on_files, paths)
        return COPY


def install_drop(
    root: tk.Tk, widgets: Iterable[tk.Misc], on_files: Callable[[list[Path]], None]
) -> DropTarget | None:
    """Make the window a drop target for files; None when tkinterdnd2 is unavailable here."""
    try:
        from tkinterdnd2 import TkinterDnD
    except ImportError:
        log.info("drag and drop is off: the tkinterdnd2 package is not installed")
        return None
    load = getattr(TkinterDnD, "require", None) or TkinterDnD._require
    try:
        version = load(root)
    except (RuntimeError, tk.TclError) as exc:
        log.info("drag and drop is off: the tkdnd extension did not load (%s)", exc)
        return None
    log.debug("tkdnd %s loaded: files can be dropped on the window", version)
    return DropTarget(root, widgets, on_files)
