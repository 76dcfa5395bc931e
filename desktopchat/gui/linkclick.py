"""Clickable links in a transcript: hand cursor, click to open, what a link opens.

Role: :class:`LinkClicks` binds the "link" tag that ``render.py`` puts on
links (found by the Tk-free :mod:`.links`). The link is read back from the
Text under the pointer, so nothing per link is stored. What a click does is
the window's business, through :class:`TextHooks`:

* a web link goes to ``open_url`` (default: :func:`open_in_browser`, which
  calls :func:`webbrowser.open` on a short-lived thread, because finding and
  starting a browser can block for seconds and the Tk thread never blocks);
* a ``desktopchat://`` invitation goes to ``on_link_join`` (the app puts it
  in the Join dialog), never to a browser.

A click opens only when the button goes up on the link it went down on with
nothing selected: dragging across a link to select text opens nothing.
"""

from __future__ import annotations

import logging
import threading
import tkinter as tk
import weakref
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field

from desktopchat.gui import theme
from desktopchat.gui.links import LINK_TAG, is_join_link, target

__all__ = ["LinkClicks", "TextHooks", "hooks_for", "link_at", "open_in_browser"]

log = logging.getLogger(__name__)


def open_in_browser(url: str) -> None:
    """Open ``url`` in the default browser without blocking the caller."""

    def run() -> None:
        try:
            if not webbrowser.open(url, new=2):
                log.warning("no browser could open %s", url)
        except Exception:  # a broken browser setup must not kill the thread noisily
            log.exception("opening %s failed", url)

    threading.Thread(target=run, name="open-browser", daemon=True).start()


@dataclass(eq=False)
class TextHooks:
    """What the transcripts' links and menus do outside the transcript (set by the app).

    One object is shared by every transcript of a window (the room's and each
    private conversation's: :func:`hooks_for`), so a new transcript gets the
    same behaviour.
    """

    #: Open a web address (a click, or the menu's "Open link").
    open_url: Callable[[str], None] = field(default=open_in_browser)
    #: Join a ``desktopchat://`` invitation; None: such links do nothing.
    on_link_join: Callable[[str], None] | None = None
    #: Put "> quoted text" into the message box; None: no Quote item.
    quote: Callable[[str], None] | None = None

    def activate(self, link: str) -> None:
        """Do what clicking ``link`` (as shown in the transcript) does."""
        if is_join_link(link):
            if self.on_link_join is not None:
                self.on_link_join(link)
        else:
            self.open_url(target(link))


def link_at(text: tk.Text, index: str) -> str | None:
    """The link drawn at ``index`` of ``text`` (as shown), or None."""
    if LINK_TAG not in text.tag_names(index):
        return None
    found = text.tag_prevrange(LINK_TAG, f"{index}+1c")
    if not found:
        return None
    return str(text.get(found[0], found[1]))


class LinkClicks:
    """The mouse side of the links in one transcript Text."""

    def __init__(self, text: tk.Text, hooks: TextHooks) -> None:
        self.text = text
        self.hooks = hooks
        self._pressed: str | None = None
        text.tag_configure(LINK_TAG, underline=True)
        theme.subscribe(text, lambda p: text.tag_configure(LINK_TAG, foreground=p.link))
        text.tag_bind(LINK_TAG, "<Enter>", lambda _e: text.configure(cursor="hand2"))
        text.tag_bind(LINK_TAG, "<Leave>", lambda _e: text.configure(cursor="xterm"))
        text.tag_bind(LINK_TAG, "<ButtonPress-1>", self._press)
        text.tag_bind(LINK_TAG, "<ButtonRelease-1>", self._release)

    def _at(self, event: tk.Event[tk.Text]) -> str | None:
        index = self.text.index(f"@{event.x},{event.y}")
        found = self.text.tag_prevrange(LINK_TAG, f"{index}+1c")
        return str(found[0]) if found and LINK_TAG in self.text.tag_names(index) else None

    def _press(self, event: tk.Event[tk.Text]) -> None:
        self._pressed = self._at(event)

    def _release(self, event: tk.Event[tk.Text]) -> None:
        pressed, self._pressed = self._pressed, None
        if pressed is None or pressed != self._at(event) or self.text.tag_ranges("sel"):
            return
        link = link_at(self.text, pressed)
        if link is not None:
            self.hooks.activate(link)


_HOOKS: weakref.WeakKeyDictionary[tk.Misc, TextHooks] = weakref.WeakKeyDictionary()


def hooks_for(widget: tk.Misc) -> TextHooks:
    """The one :class:`TextHooks` of ``widget``'s window (made on first use)."""
    root = widget.nametowidget(".")
    hooks = _HOOKS.get(root)
    if hooks is None:
        hooks = _HOOKS[root] = TextHooks()
    return hooks
