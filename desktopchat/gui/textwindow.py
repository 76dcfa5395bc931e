"""Read-only text windows (the Help menu's pages) and the protocol text.

Role: show a document in a scrolled, read-only Text in its own Toplevel; no
modal grab, Escape or the close button closes it; the title says what it is
("Help: Getting started — desktopchat"); the colours follow the theme. The
pages' words are :mod:`.helptext`'s. :func:`protocol_text` returns
``docs/PROTOCOL.md`` when the app runs from a source checkout, else the short
built-in summary below (wheels and the executable do not ship ``docs/``).
"""

from __future__ import annotations

import tkinter as tk
from pathlib import Path
from tkinter import font as tkfont
from tkinter import ttk

from desktopchat.gui import helptext, theme
from desktopchat.gui.palette import Palette
from desktopchat.gui.title import dialog_title
from desktopchat.gui.wmclass import WINDOW_CLASS

__all__ = ["PROTOCOL_SUMMARY", "protocol_text", "show_about", "show_help", "show_text_window"]

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
    master: tk.Misc,
    title: str,
    text: str,
    *,
    text_font: tkfont.Font | None = None,
    size: tuple[int, int] = (84, 30),
) -> tk.Toplevel:
    """Open a read-only window titled ``title — desktopchat`` showing ``text``; return it.

    ``text`` may use :mod:`.helptext`'s markup: ``# title``, ``## heading``,
    ``key<TAB>meaning`` rows. The window follows the theme (light/dark).
    """
    win = tk.Toplevel(master, class_=WINDOW_CLASS)
    win.title(dialog_title(title))
    frame = ttk.Frame(win, padding=4)
    frame.pack(fill="both", expand=True)
    base = text_font if text_font is not None else tkfont.nametofont("TkTextFont")
    body = tk.Text(
        frame,
        width=size[0],  # characters: the docs are wrapped near 80 columns
        height=size[1],
        wrap="word",
        font=base,
        relief="flat",
        highlightthickness=0,
        padx=12,
        pady=8,
    )
    bar = ttk.Scrollbar(frame, orient="vertical", command=body.yview)
    body.configure(yscrollcommand=bar.set)
    _insert_marked_up(body, base, text)
    body.configure(state="disabled")
    body.grid(row=0, column=0, sticky="nsew")
    bar.grid(row=0, column=1, sticky="ns")
    close = ttk.Button(frame, text="Close", command=win.destroy)
    close.grid(row=1, column=0, columnspan=2, sticky="e", pady=(4, 0))
    frame.rowconfigure(0, weight=1)
    frame.columnconfigure(0, weight=1)
    win.bind("<Escape>", lambda _e: win.destroy())
    win.protocol("WM_DELETE_WINDOW", win.destroy)
    theme.subscribe(body, lambda p: _recolour(body, p))
    close.focus_set()
    return win


def _paragraphs(text: str) -> list[str]:
    """Join hard-wrapped lines: a plain line, or an indented one after a bullet, goes on
    the line before it (the window wraps to its own width); code blocks stay as they are."""
    out: list[str] = []
    fenced = False
    joinable = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            out.append(line)
            joinable = False
            continue
        plain = (
            bool(line.strip()) and not line.startswith(("#", "- ", "* ", "|")) and "\t" not in line
        )
        if not fenced and plain and joinable and out:
            out[-1] += " " + line.strip()
            continue
        out.append(line)
        joinable = not fenced and (plain or line.startswith(("- ", "* ")))
    return out


def _insert_marked_up(body: tk.Text, base: tkfont.Font, text: str) -> None:
    size = int(base.actual("size"))
    family = base.actual("family")
    body.tag_configure("title", font=(family, size + 5, "bold"), spacing3=6)
    body.tag_configure("heading", font=(family, size + 2, "bold"), spacing1=10, spacing3=4)
    indent = base.measure("0" * 22)
    body.tag_configure("row", tabs=(indent,), lmargin2=indent)
    body.tag_configure("bullet", lmargin2=base.measure("• "), spacing1=2)
    body.tag_configure("code", font="TkFixedFont", wrap="none")
    fenced = False
    for line in _paragraphs(text):
        if line.startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            body.insert("end", line + "\n", "code")
        elif line.startswith("# "):
            body.insert("end", line[2:] + "\n", "title")
        elif line.startswith("## ") or line.startswith("### "):
            body.insert("end", line.lstrip("#").strip() + "\n", "heading")
        elif line.startswith(("- ", "* ")):
            body.insert("end", "• " + line[2:] + "\n", "bullet")
        elif "\t" in line:
            body.insert("end", line + "\n", "row")
        else:
            body.insert("end", line + "\n")


def _recolour(body: tk.Text, p: Palette) -> None:
    body.configure(
        background=p.background,
        foreground=p.foreground,
        selectbackground=p.selection_background,
        selectforeground=p.selection_foreground,
        inactiveselectbackground=p.selection_background,
    )


def show_help(master: tk.Misc, title: str, text: str) -> tk.Toplevel:
    """A Help ▸ … window: "Help: TITLE — desktopchat"."""
    return show_text_window(master, f"Help: {title}", text)


def show_about(parent: tk.Misc) -> tk.Toplevel:
    """Help ▸ About: the version and what the program is for."""
    return show_text_window(parent, "About", helptext.about(), size=(64, 9))
