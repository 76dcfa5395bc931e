"""Pictures in the window: Tk images from PNG bytes, clickable thumbnails in a Text, Save….

Role: the Tk side of :mod:`desktopchat.files.images`. :func:`photo` makes a
``tk.PhotoImage`` from PNG bytes; :func:`embed_thumbnail` puts a picture's
thumbnail into a Text (the transcript) at an index: a click opens the
viewer (:mod:`.viewer`), the right button offers View / Save…; the mouse
pointer becomes a hand over it. :func:`save_picture` is the default Save….

Decisions:

* Tk forgets an image whose last Python reference goes, even while a widget
  shows it (a blank square). Every embedded thumbnail is kept in a registry
  on its Text until the transcript drops the line that holds it (looked at
  whenever a new one comes), so neither a leak nor a blank appears.
* The thumbnail fits :data:`THUMBNAIL_BOX` and is never enlarged. In the
  Text it is one image character: copying the line copies no picture (the
  offer line beside it names the file).
* A transcript is read-only (``state="disabled"``): the image goes in with
  the state set to normal for that one insert, as transcript.py does.
* Decoding happens off the Tk thread (:mod:`.thumbmaker`): a grey
  placeholder of the thumbnail's size is inserted at once (the header is
  read first: a file that is no picture inserts nothing and raises), the
  picture replaces it when decoded. A picture that turns out damaged keeps
  the placeholder and says why in the log (``Thumbnail.failed``).
* The full bytes are not kept here: the caller either hands them over
  (``data`` is then kept for the viewer) or gives ``on_open`` and finds them
  itself (the transfer state drops old preview bytes and fetches again).
"""

from __future__ import annotations

import itertools
import logging
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from tkinter import filedialog, messagebox

from desktopchat.files.images import fitted_size, image_size
from desktopchat.files.names import safe_name
from desktopchat.gui.thumbmaker import maker_for
from desktopchat.gui.title import dialog_title

__all__ = [
    "PLACEHOLDER",
    "THUMBNAIL_BOX",
    "Thumbnail",
    "embed_thumbnail",
    "photo",
    "save_picture",
    "thumbnails_in",
]

log = logging.getLogger(__name__)

#: The largest thumbnail in the transcript (width, height), in pixels.
THUMBNAIL_BOX = (320, 240)
#: The placeholder's colour while the picture is decoded (readable in both themes).
PLACEHOLDER = "#9a9a9a"

_TAG_PREFIX = "picture-"
_numbers = itertools.count(1)


def photo(master: tk.Misc, png: bytes) -> tk.PhotoImage:
    """A Tk image of ``png`` (PNG bytes); keep a reference as long as it is shown."""
    return tk.PhotoImage(master=master, data=png, format="png")


@dataclass(eq=False)
class Thumbnail:
    """One picture's thumbnail embedded in a Text (see :func:`embed_thumbnail`)."""

    text: tk.Text
    image: tk.PhotoImage
    tag: str
    name: str
    on_open: Callable[[], None]
    on_save: Callable[[], None] | None = None
    menu: tk.Menu | None = field(default=None, repr=False)
    #: True once the picture replaced the placeholder.
    ready: bool = False
    #: Why the picture could not be decoded ("" while it is being, or once shown).
    failed: str = ""

    @property
    def index(self) -> str | None:
        """Where the image is in the Text now, or None once the line is gone."""
        ranges = self.text.tag_ranges(self.tag)
        return str(ranges[0]) if ranges else None

    def open(self) -> None:
        """Open the picture in the viewer (what a click does)."""
        self.on_open()

    def decoded(self, png: bytes | None, error: str) -> None:
        """The worker's result (on the Tk thread): the thumbnail replaces the placeholder."""
        if png is None:
            self.failed = error
            log.info("no thumbnail for %s: %s", self.name, error)
            return
        if self.index is None:
            return  # its line is gone
        self.image = photo(self.text, png)  # the reference that keeps it drawn
        self.text.image_configure(self.tag, image=self.image)
        self.ready = True

    def context_menu(self) -> tk.Menu:
        """The right-click menu: View, Save… (when saving is possible)."""
        if self.menu is None:
            self.menu = tk.Menu(self.text, tearoff=False)
        menu = self.menu
        menu.delete(0, "end")
        menu.add_command(label="View picture", command=self.open)
        if self.on_save is not None:
            menu.add_command(label="Save picture…", command=self.on_save)
        return menu


def thumbnails_in(text: tk.Text) -> list[Thumbnail]:
    """The thumbnails ``text`` still shows, oldest first (those of dropped lines forgotten)."""
    registry: dict[str, Thumbnail] = text.__dict__.setdefault("_desktopchat_thumbnails", {})
    for tag, thumb in list(registry.items()):
        if not text.tag_ranges(tag):  # the transcript dropped that line: let Tk free it
            del registry[tag]
            if thumb.menu is not None:
                thumb.menu.destroy()
    return list(registry.values())


def embed_thumbnail(
    text: tk.Text,
    index: str,
    data: bytes,
    name: str,
    *,
    on_open: Callable[[], None] | None = None,
    on_save: Callable[[], None] | None = None,
    box: tuple[int, int] = THUMBNAIL_BOX,
) -> Thumbnail:
    """Insert the thumbnail of picture ``data`` (PNG, GIF or JPEG bytes) into ``text`` at ``index``.

    A click calls ``on_open`` (default: the viewer on ``data``, which is then
    kept), the right button shows View / Save…; ``on_save`` default: a
    save dialog writing ``data``. Raises :class:`~desktopchat.files.images.ImageError`
    when ``data`` is not a picture we show (nothing is inserted then).

    The header is read here; the picture itself is decoded on a worker thread
    (:mod:`.thumbmaker`): until then a grey placeholder of the thumbnail's
    size holds its place, so the transcript's layout does not move.
    """
    width, height = fitted_size(image_size(data), *box)
    image = tk.PhotoImage(master=text, width=width, height=height)
    image.put(PLACEHOLDER, to=(0, 0, width, height))
    tag = f"{_TAG_PREFIX}{next(_numbers)}"
    if on_open is None:
        from desktopchat.gui.viewer import show_viewer

        def on_open() -> None:
            show_viewer(text.winfo_toplevel(), data, name, on_save=on_save)

    if on_save is None:

        def on_save() -> None:
            save_picture(text, data, name)

    thumb = Thumbnail(text, image, tag, name, on_open, on_save)
    thumbnails_in(text)  # forget the ones whose lines are gone
    disabled = str(text.cget("state")) == "disabled"
    text.configure(state="normal")
    try:
        position = text.index(index)
        text.image_create(position, image=image, name=tag, padx=2, pady=2)
        text.tag_add(tag, position)
    finally:
        if disabled:
            text.configure(state="disabled")
    text.__dict__["_desktopchat_thumbnails"][tag] = thumb
    _bind(thumb)
    maker_for(text).make(data, box, thumb.decoded)
    return thumb


def _bind(thumb: Thumbnail) -> None:
    text, tag = thumb.text, thumb.tag
    cursor = str(text.cget("cursor"))

    def click(_event: tk.Event[tk.Text]) -> str:
        thumb.open()
        return "break"

    def menu(event: tk.Event[tk.Text]) -> str:
        thumb.context_menu().tk_popup(event.x_root, event.y_root)
        return "break"

    text.tag_bind(tag, "<ButtonRelease-1>", click)
    text.tag_bind(tag, "<Button-3>", menu)
    text.tag_bind(tag, "<Enter>", lambda _e: text.configure(cursor="hand2"))
    text.tag_bind(tag, "<Leave>", lambda _e: text.configure(cursor=cursor))


def _start_folder() -> Path:
    downloads = Path.home() / "Downloads"
    return downloads if downloads.is_dir() else Path.home()


def save_picture(
    parent: tk.Misc,
    data: bytes,
    name: str,
    *,
    ask: Callable[..., str] = filedialog.asksaveasfilename,
) -> Path | None:
    """Save… a picture's bytes: ask where (Downloads, the sanitised name), write; the path or None.

    ``ask`` is the file dialog (tests pass their own). A failed write is
    shown in a message box with the reason; nothing is half written under
    the chosen name (the bytes go to a temporary name first).
    """
    suggested = safe_name(name)
    chosen = ask(
        parent=parent.winfo_toplevel(),
        title=dialog_title("Save picture"),
        initialdir=str(_start_folder()),
        initialfile=suggested,
        defaultextension=Path(suggested).suffix,
    )
    if not chosen:
        return None
    target = Path(chosen)
    partial = target.with_name(target.name + ".part")
    try:
        partial.write_bytes(data)
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        log.warning("saving a picture to %s failed: %s", target, exc)
        messagebox.showerror(
            dialog_title("Save picture"),
            f"The picture could not be saved to {target}.",
            detail=f"{exc.strerror or exc}. Choose another folder.",
            parent=parent.winfo_toplevel(),
        )
        return None
    return target
