"""The picture viewer: one picture in its own window, fitted to the screen or at full size.

Role: :func:`show_viewer` opens a :class:`PictureViewer` (a Toplevel titled
"NAME — desktopchat") for picture bytes (PNG, GIF, JPEG) from the transcript.

Decisions:

* A picture larger than :data:`SCREEN_SHARE` of the screen opens scaled to
  fit it ("Fit"); "Actual size" (the button, the menu, the key 1) shows every
  pixel in a scrolled canvas, "Fit" (F) scales it back. A picture that fits
  opens at its actual size and has nothing to toggle.
* Scrolling: the scroll bars, the mouse wheel (Shift+wheel across), the arrow
  keys, Page Up/Down, Home/End.
* Save… (button, menu, Ctrl+S) calls the caller's save (the transfer's Save,
  which knows the download folder) or :func:`.pictures.save_picture`.
* Esc, Ctrl+W and the close button close it; it is not modal (several can be
  open; the chat goes on). The right button opens a menu with the same items.
* The picture is decoded when the window opens (bounded: files/images.py
  refuses over 40 megapixels); a picture we cannot decode opens no window,
  the error is shown in a message box instead.
"""

from __future__ import annotations

import contextlib
import tkinter as tk
from collections.abc import Callable
from tkinter import messagebox, ttk
from typing import Literal

from desktopchat.files.images import ImageError, image_size, thumbnail, to_png
from desktopchat.gui import theme
from desktopchat.gui.palette import Palette
from desktopchat.gui.pictures import photo, save_picture
from desktopchat.gui.title import dialog_title
from desktopchat.gui.wmclass import WINDOW_CLASS

__all__ = ["SCREEN_SHARE", "PictureViewer", "show_viewer"]

#: The part of the screen (width and height) a picture may fill when it opens.
SCREEN_SHARE = 0.85

#: Room for the toolbar and the window frame below the picture, in pixels.
_CHROME = 80


class PictureViewer(tk.Toplevel):
    """A picture in a scrolled canvas with Fit / Actual size and Save…."""

    def __init__(
        self,
        master: tk.Misc,
        data: bytes,
        name: str,
        *,
        on_save: Callable[[], None] | None = None,
    ) -> None:
        width, height = image_size(data)  # ImageError before any window appears
        self.data = data
        self.name = name
        self.natural = (width, height)
        screen_w, screen_h = master.winfo_screenwidth(), master.winfo_screenheight()
        self.fit_box = (
            max(1, int(screen_w * SCREEN_SHARE)),
            max(1, int(screen_h * SCREEN_SHARE) - _CHROME),
        )
        self.fits = width <= self.fit_box[0] and height <= self.fit_box[1]
        # Decoded before the window exists: a damaged picture opens no window.
        first = photo(master, to_png(data) if self.fits else thumbnail(data, *self.fit_box))
        super().__init__(master, class_=WINDOW_CLASS)
        self.withdraw()
        self.title(dialog_title(name))
        self._save = on_save if on_save is not None else self.save_default
        self._full: tk.PhotoImage | None = first if self.fits else None
        self._fitted: tk.PhotoImage | None = None if self.fits else first
        self.image: tk.PhotoImage | None = None  # the one shown (a reference keeps it alive)
        self.fitted = False
        self._build()
        self.show_actual() if self.fits else self.show_fitted()
        self._size_window()
        self.deiconify()
        self.lift()
        self.canvas.focus_set()

    # --- layout -------------------------------------------------------------

    def _build(self) -> None:
        bar = ttk.Frame(self, padding=(6, 4))
        bar.pack(side="top", fill="x")
        self.zoom_button = ttk.Button(bar, command=self.toggle)
        self.zoom_button.pack(side="left")
        if self.fits:
            self.zoom_button.state(["disabled"])
        ttk.Button(bar, text="Save…", command=self.save).pack(side="left", padx=(6, 0))
        self.size_label = ttk.Label(bar, text=f"{self.natural[0]} x {self.natural[1]} pixels")
        self.size_label.pack(side="left", padx=(12, 0))
        ttk.Button(bar, text="Close", command=self.close).pack(side="right")

        area = ttk.Frame(self)
        area.pack(side="top", fill="both", expand=True)
        self.canvas = tk.Canvas(area, highlightthickness=0, borderwidth=0)
        across = ttk.Scrollbar(area, orient="horizontal", command=self.canvas.xview)
        down = ttk.Scrollbar(area, orient="vertical", command=self.canvas.yview)
        self.canvas.configure(xscrollcommand=across.set, yscrollcommand=down.set)
        self.canvas.grid(row=0, column=0, sticky="nsew")
        down.grid(row=0, column=1, sticky="ns")
        across.grid(row=1, column=0, sticky="ew")
        area.rowconfigure(0, weight=1)
        area.columnconfigure(0, weight=1)
        self.item = self.canvas.create_image(0, 0, anchor="nw")
        theme.subscribe(self.canvas, self.apply_palette)

        self.menu = tk.Menu(self, tearoff=False)
        self._bind_keys()

    def _bind_keys(self) -> None:
        c = self.canvas
        for sequence in ("<Escape>", "<Control-w>", "<Control-W>"):
            self.bind(sequence, lambda _e: self.close())
        for sequence in ("<Control-s>", "<Control-S>"):
            self.bind(sequence, lambda _e: self.save())
        self.bind("<KeyPress-1>", lambda _e: self.show_actual())
        for sequence in ("<KeyPress-f>", "<KeyPress-F>"):
            self.bind(sequence, lambda _e: self.show_fitted())
        self.bind("<Button-3>", self._popup)
        self.protocol("WM_DELETE_WINDOW", self.close)
        for sequence, axis, amount, what in (
            ("<Left>", "x", -1, "units"),
            ("<Right>", "x", 1, "units"),
            ("<Up>", "y", -1, "units"),
            ("<Down>", "y", 1, "units"),
            ("<Prior>", "y", -1, "pages"),
            ("<Next>", "y", 1, "pages"),
        ):
            self.bind(sequence, self._scroller(axis, amount, what))
        self.bind("<Home>", lambda _e: c.yview_moveto(0))
        self.bind("<End>", lambda _e: c.yview_moveto(1))
        c.bind("<Button-4>", lambda _e: self._scroll("y", -3, "units"))
        c.bind("<Button-5>", lambda _e: self._scroll("y", 3, "units"))
        c.bind("<Shift-Button-4>", lambda _e: self._scroll("x", -3, "units"))
        c.bind("<Shift-Button-5>", lambda _e: self._scroll("x", 3, "units"))
        c.bind("<MouseWheel>", lambda e: self._scroll("y", -1 if e.delta > 0 else 1, "units"))
        c.bind("<Shift-MouseWheel>", lambda e: self._scroll("x", -1 if e.delta > 0 else 1, "units"))

    def _scroller(self, axis: str, amount: int, what: str) -> Callable[[tk.Event[tk.Misc]], None]:
        return lambda _event: self._scroll(axis, amount, what)

    def _scroll(self, axis: str, amount: int, what: str) -> None:
        unit: Literal["units", "pages"] = "pages" if what == "pages" else "units"
        if axis == "x":
            self.canvas.xview_scroll(amount, unit)
        else:
            self.canvas.yview_scroll(amount, unit)

    def apply_palette(self, p: Palette) -> None:
        """Draw the area around the picture in the theme's background."""
        self.canvas.configure(background=p.list_background)

    def _size_window(self) -> None:
        """The canvas as large as the picture shown (screen permitting), the window around it."""
        width, height = self.shown_size
        self.canvas.configure(width=width, height=height)
        self.update_idletasks()
        width = min(self.winfo_reqwidth(), self.winfo_screenwidth())
        height = min(self.winfo_reqheight(), self.winfo_screenheight())
        x = max((self.winfo_screenwidth() - width) // 2, 0)
        y = max((self.winfo_screenheight() - height) // 3, 0)
        self.geometry(f"{width}x{height}+{x}+{y}")

    # --- what it shows --------------------------------------------------------

    @property
    def shown_size(self) -> tuple[int, int]:
        """(width, height) of the picture as drawn now."""
        if self.image is None:
            return (0, 0)
        return (self.image.width(), self.image.height())

    def _show(self, image: tk.PhotoImage, fitted: bool) -> None:
        self.image = image
        self.fitted = fitted
        self.canvas.itemconfigure(self.item, image=image)
        self.canvas.configure(scrollregion=(0, 0, image.width(), image.height()))
        self.canvas.xview_moveto(0)
        self.canvas.yview_moveto(0)
        if not self.fits:
            self.zoom_button.configure(text="Actual size" if fitted else "Fit to screen")

    def show_fitted(self) -> None:
        """Scale the picture to fit the screen (only when it is larger)."""
        if self.fits:
            self.show_actual()
            return
        if self._fitted is None:
            self._fitted = photo(self, thumbnail(self.data, *self.fit_box))
        self._show(self._fitted, True)

    def show_actual(self) -> None:
        """Every pixel, scrolled."""
        if self._full is None:
            self._full = photo(self, to_png(self.data))
        self._show(self._full, False)
        if self.fits:
            self.zoom_button.configure(text="Actual size")

    def toggle(self) -> None:
        """Fit ↔ Actual size."""
        self.show_actual() if self.fitted else self.show_fitted()

    # --- actions ----------------------------------------------------------------

    def _popup(self, event: tk.Event[tk.Misc]) -> None:
        menu = self.menu
        menu.delete(0, "end")
        if not self.fits:
            menu.add_command(
                label="Actual size" if self.fitted else "Fit to screen", command=self.toggle
            )
        menu.add_command(label="Save picture…", command=self.save, accelerator="Ctrl+S")
        menu.add_separator()
        menu.add_command(label="Close", command=self.close, accelerator="Esc")
        menu.tk_popup(event.x_root, event.y_root)

    def save(self) -> None:
        """Save… the picture (the caller's save, or a save dialog)."""
        self._save()

    def save_default(self) -> None:
        """Ask where and write the bytes (:func:`.pictures.save_picture`)."""
        save_picture(self, self.data, self.name)

    def close(self) -> None:
        """Close the window (Esc)."""
        with contextlib.suppress(tk.TclError):
            self.destroy()


def show_viewer(
    master: tk.Misc,
    data: bytes,
    name: str,
    *,
    on_save: Callable[[], None] | None = None,
) -> PictureViewer | None:
    """Open the viewer on picture ``data``; None (and a message box) when it cannot be shown."""
    try:
        return PictureViewer(master, data, name, on_save=on_save)
    except ImageError as exc:
        messagebox.showerror(
            dialog_title("Picture"),
            f"{name} cannot be shown.",
            detail=str(exc),
            parent=master.winfo_toplevel(),
        )
        return None
