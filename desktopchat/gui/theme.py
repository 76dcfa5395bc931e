"""Light and dark: the ttk theme and the palette of the window's own colours.

Role: :func:`apply` puts one root window (and every window it owns) into the
"light" or "dark" look, or the one the desktop uses ("system"):

* the ttk widgets get the Sun Valley theme (``sv-ttk``: maintained, a light
  and a dark variant, looks like a current Windows 11 app and fine on Linux);
  we load its Tcl files ourselves, only the variant in use (``sv_ttk.set_theme``
  loads both); without it we fall back to Tk's "clam";
* the widgets that draw their own colours (transcript, user list, message
  box, help text, dialogs' hints) are recoloured from the theme's
  :class:`~.palette.Palette`: each subscribes once (:func:`subscribe`) and is
  called again on every switch, so existing transcript lines change too;
* "system" asks ``darkdetect`` once per :func:`apply` (on Linux it runs
  ``gsettings``; no answer means light); at start-up :func:`prefetch_system`
  asks on a thread while Tk starts, so the answer costs no start-up time.

``sv_ttk`` and ``darkdetect`` are imported inside the functions: loading the
theme costs ~30 ms at start-up (Tcl sources and a sprite sheet), inside the
0.3 s start-to-window budget; asking the desktop (~25 ms, two ``gsettings``
runs on some desktops) overlaps with Tk's own start.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import tkinter as tk
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from tkinter import ttk

from desktopchat.gui.palette import LIGHT, Palette, palette_for
from desktopchat.gui.wmclass import WINDOW_CLASS
from desktopchat.settings import THEMES

__all__ = ["THEMES", "apply", "choice", "palette", "prefetch_system", "resolve", "subscribe"]

log = logging.getLogger(__name__)

Listener = Callable[[Palette], object]

#: A Tcl variable: sv.tcl's common part is loaded in this interpreter.
_SV_LOADED = "::desktopchat_sv_ttk"

#: How long the first "system" waits for the prefetched answer (s) before asking again.
QUERY_WAIT = 2.0


@dataclass(eq=False)
class _State:
    choice: str = "system"
    palette: Palette = LIGHT
    listeners: dict[int, tuple[tk.Misc, Listener]] = field(default_factory=dict)
    watching: bool = False  # the root's <<ThemeChanged>> binding is in place


_STATES: weakref.WeakKeyDictionary[tk.Misc, _State] = weakref.WeakKeyDictionary()


def _state(widget: tk.Misc) -> _State:
    root: tk.Misc = widget.nametowidget(".")
    state = _STATES.get(root)
    if state is None:
        state = _STATES[root] = _State()
    return state


def system_is_dark() -> bool:
    """True when the desktop asks for dark windows (False when it cannot say)."""
    try:
        import darkdetect  # type: ignore[import-untyped]

        return bool(darkdetect.isDark())
    except Exception as exc:  # any failure of the desktop query means "light"
        log.debug("cannot ask the desktop for its theme: %s", exc)
        return False


class _Query:
    """The desktop's answer, asked on a thread of its own (a subprocess on Linux)."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.dark = False
        threading.Thread(target=self._ask, name="theme-query", daemon=True).start()

    def _ask(self) -> None:
        try:
            self.dark = system_is_dark()
        finally:
            self.done.set()


_query: _Query | None = None


def prefetch_system() -> None:
    """Start asking the desktop now, while Tk starts (the first "system" uses the answer)."""
    global _query
    if _query is None:
        _query = _Query()


def resolve(choice: str) -> str:
    """ "light" or "dark" for a View ▸ Theme ``choice`` ("system" asks the desktop)."""
    global _query
    if choice not in THEMES:
        raise ValueError(f"theme must be one of {', '.join(THEMES)}, not {choice!r}")
    if choice == "system":
        query, _query = _query, None  # once: a later switch asks again
        if query is not None and query.done.wait(QUERY_WAIT):
            return "dark" if query.dark else "light"
        return "dark" if system_is_dark() else "light"
    return choice


def palette(widget: tk.Misc) -> Palette:
    """The palette ``widget``'s root window is drawn with now."""
    return _state(widget).palette


def choice(widget: tk.Misc) -> str:
    """The View ▸ Theme choice last applied to ``widget``'s root ("system" before any)."""
    return _state(widget).choice


def subscribe(widget: tk.Misc, listener: Listener) -> None:
    """Call ``listener(palette)`` now and after every theme switch, while ``widget`` lives."""
    state = _state(widget)
    key = id(listener)
    state.listeners[key] = (widget, listener)

    def forget(event: tk.Event[tk.Misc]) -> None:
        if event.widget is widget:
            state.listeners.pop(key, None)

    widget.bind("<Destroy>", forget, add=True)
    listener(state.palette)


def apply(root: tk.Tk, theme_choice: str) -> Palette:
    """Switch ``root`` and its windows to ``theme_choice``; return the palette now in use."""
    mode = resolve(theme_choice)
    state = _state(root)
    state.choice, state.palette = theme_choice, palette_for(mode)
    if not state.watching:
        # sv-ttk answers ttk's <<ThemeChanged>> (sent at idle time) with its own
        # colours for "." and for plain Tk widgets (tk_setPalette): ours go on
        # again after it. Bound on the root's own tag: it fires for every child.
        def changed(event: tk.Event[tk.Misc]) -> None:
            if event.widget is root:
                root.after_idle(_recolour, root)

        root.bind("<<ThemeChanged>>", changed, add=True)
        state.watching = True
    # ttk reports the switch only to windows that exist: make the root's (it is
    # made at idle time otherwise; update_idletasks() would map it too early).
    root.winfo_id()
    _use_ttk_theme(root, mode)
    _recolour(root)
    return state.palette


def _recolour(root: tk.Tk) -> None:
    """The root's background and every subscriber in the current palette's colours."""
    with contextlib.suppress(tk.TclError):  # the window closed meanwhile
        if not root.winfo_exists():
            return
        state = _state(root)
        style = ttk.Style(root)
        background = str(style.lookup("TFrame", "background")) or state.palette.background
        # Plain Tk toplevels (dialogs) get the theme's background, so no strip of a
        # different colour shows around ttk frames.
        root.configure(background=background)
        root.option_add("*Toplevel.background", background)
        root.option_add(f"*{WINDOW_CLASS}.background", background)  # our dialogs' class
        for child in root.winfo_children():  # open dialogs: the strips around their frames
            if isinstance(child, tk.Toplevel):
                child.configure(background=background)
        for widget, listener in list(state.listeners.values()):
            if widget.winfo_exists():
                listener(state.palette)


def _use_ttk_theme(root: tk.Tk, mode: str) -> None:
    try:
        _load_sun_valley(root, mode)
        ttk.Style(root).theme_use(f"sun-valley-{mode}")
    except (ImportError, OSError, tk.TclError) as exc:
        log.warning("the Sun Valley theme is not available (%s): using clam", exc)
        style = ttk.Style(root)
        if "clam" in style.theme_names():
            style.theme_use("clam")


def _load_sun_valley(root: tk.Tk, mode: str) -> None:
    """Load sv-ttk's Tcl theme into ``root``'s interpreter, only the variant in use.

    ``sv_ttk.set_theme`` sources both variants (each a sprite sheet: ~20 ms, a
    start-up cost for the one not shown); here sv.tcl's common part (fonts, menu
    and colour handlers) is run without its two ``source`` lines, and each
    variant is sourced when first used.
    """
    import sv_ttk

    folder = Path(sv_ttk.__file__).parent
    if not root.tk.call("info", "exists", _SV_LOADED):
        common = (folder / "sv.tcl").read_text(encoding="utf-8").splitlines()
        root.tk.eval("\n".join(line for line in common if not line.startswith("source ")))
        root.tk.call("set", _SV_LOADED, 1)
    if f"sun-valley-{mode}" not in ttk.Style(root).theme_names():
        root.tk.call("source", str(folder / "theme" / f"{mode}.tcl"))
