"""A small read-only text window (Help ▸ Protocol) and the text it shows.

Role: show a document in a scrolled, read-only Text in its own Toplevel; no
modal grab, Escape or the close button closes it. :func:`protocol_text` returns
``docs/PROTOCOL.md`` when the app runs from a source checkout, else the short
built-in summary below (wheels and the executable do not ship ``docs/``).
"""

from __future__ import annotations

import tkinter as tk
from pathlib import Path
from tkinter import font as tkfont
from tkinter import messagebox, ttk

from desktopchat import __version__

__all__ = ["PROTOCOL_SUMMARY", "protocol_text", "show_text_window"]

PROTOCOL_SUMMARY = """\
desktopchat wire protocol (compatible with the classic socket-chat tutorial)

Frame: a 10-byte ASCII header with the payload length in decimal, left-justified
and space-padded, then that many bytes of UTF-8.

1. The client sends one frame: its name.
2. If the room has a password the server sends the pair (*auth, password required)
   and the client answers with one frame: the password.
3. The server answers (*welcome, greeting), (*users, names separated by spaces),
   then (*history, N) and N history pairs; everyone else gets (*join, name).
4. The client sends message frames. A message starting with / is a command:
   /who, /msg NAME TEXT (private), /me TEXT (action), /nick NEW.
5. The server sends everything else as pairs (sender, text). A sender starting
   with * is a room event (*join, *leave, *nick, *action, *info, *error), one
   starting with @ is a private message from that user. Your own messages are
   not echoed back.

Full text: docs/PROTOCOL.md in the source repository.
"""


def protocol_text() -> str:
    """Return docs/PROTOCOL.md if it is next to the package, else the built-in summary."""
    candidate = Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md"
    try:
        return candidate.read_text(encoding="utf-8")
    except OSError:
        return PROTOCOL_SUMMARY


def show_text_window(
    master: tk.Misc, title: str, text: str, *, text_font: tkfont.Font | None = None
) -> tk.Toplevel:
    """Open a read-only window showing ``text``; return it."""
    win = tk.Toplevel(master)
    win.title(title)
    frame = ttk.Frame(win, padding=4)
    frame.pack(fill="both", expand=True)
    body = tk.Text(
        frame,
        width=84,  # the docs are wrapped near 80 columns
        height=30,
        wrap="word",
        font=text_font if text_font is not None else "TkFixedFont",
        background="white",
        relief="flat",
        padx=8,
        pady=6,
    )
    bar = ttk.Scrollbar(frame, orient="vertical", command=body.yview)
    body.configure(yscrollcommand=bar.set)
    body.insert("1.0", text)
    body.configure(state="disabled")
    body.grid(row=0, column=0, sticky="nsew")
    bar.grid(row=0, column=1, sticky="ns")
    ttk.Button(frame, text="Close", command=win.destroy).grid(
        row=1, column=0, columnspan=2, sticky="e", pady=(4, 0)
    )
    frame.rowconfigure(0, weight=1)
    frame.columnconfigure(0, weight=1)
    win.bind("<Escape>", lambda _e: win.destroy())
    win.protocol("WM_DELETE_WINDOW", win.destroy)
    return win


def show_about(parent: tk.Misc) -> None:
    """Help ▸ About: the version and what the program is for."""
    messagebox.showinfo(
        "About desktopchat",
        f"desktopchat {__version__}\n\n"
        "A chat room for a small group on one network.\n"
        "Host a room from the Room menu, or join one with its address.",
        parent=parent,
    )
