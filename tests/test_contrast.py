"""Every text colour the window draws meets WCAG 2.x AA (4.5:1) in both themes.

The colours are read back from the real widgets after each theme is applied
(Text tags, the Text's own colours, the user list's items, the message box,
the status bar's ttk style, dialogs' hint and error labels, a help window),
not from the palette: a colour someone configures by hand is checked too.
The ratio is the WCAG 2.x formula (relative luminance, (L1 + 0.05) / (L2 + 0.05)).
"""

from __future__ import annotations

import re
import tkinter as tk
from tkinter import ttk

import pytest
from guitools import transcript as transcript_text

from desktopchat.gui import palette as pal
from desktopchat.gui.app import ChatApp
from desktopchat.gui.lines import Kind, Line, SendState
from desktopchat.gui.render import NAME_SLOTS, name_slot

AA = 4.5


def test_the_wcag_formula_on_known_pairs() -> None:
    assert pal.contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert pal.contrast("#ffffff", "#ffffff") == pytest.approx(1.0)
    # The numbers: the old timestamps and "(queued)" on white.
    assert pal.contrast("#8a8a8a", "#ffffff") == pytest.approx(3.45, abs=0.01)
    assert pal.contrast("#ffffff", "#9a9a9a") == pytest.approx(2.81, abs=0.01)
    assert pal.luminance("#808080") == pytest.approx(0.2159, abs=0.0001)


def hex_colour(widget: tk.Misc, colour: str) -> str:
    """A configured Tk colour as #rrggbb: as written when it is #rrggbb (the test
    display may have fewer bits per colour), else as the display resolves it."""
    colour = str(colour)
    if re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
        return colour.lower()
    r, g, b = widget.winfo_rgb(colour)
    return f"#{r >> 8:02x}{g >> 8:02x}{b >> 8:02x}"


def names_in_every_slot() -> list[str]:
    names: dict[int, str] = {}
    n = 0
    while len(names) < NAME_SLOTS:
        names.setdefault(name_slot(f"user{n}"), f"user{n}")
        n += 1
    return list(names.values())


def fill(app: ChatApp) -> None:
    """One line of every kind, every name colour, a mark of every state."""
    names = names_in_every_slot()
    for i, name in enumerate(names):
        app.show(Line(Kind.MESSAGE, f"hello {i}\nsecond line", 0.0, sender=name))
    app.show(Line(Kind.ACTION, "waves", 0.0, sender=names[0]))
    app.show(Line(Kind.PRIVATE, "psst", 0.0, sender=names[1], peer="me"))
    app.show(Line(Kind.PRIVATE, "psst", 0.0, sender="me", peer=names[2], own=True))
    for cid, state in enumerate((SendState.QUEUED, SendState.PENDING, SendState.FAILED), 1):
        app.show(Line(Kind.MESSAGE, "mine", 0.0, sender="me", own=True, cid=cid, state=state))
    app.show(Line(Kind.EVENT, "someone joined", 0.0))
    app.show(Line(Kind.ERROR, "refused", 0.0))
    app.show(Line(Kind.MARKER, "— missed while disconnected —", 0.0))
    app.show(Line(Kind.MESSAGE, "x\u202ey " + "long " * 2000, 0.0, sender=names[3]))
    app.transcript.flush()
    app.users_reset(names, "me")


def transcript_pairs(app: ChatApp) -> list[tuple[str, str, str]]:
    """(what, foreground, background) for every text colour the transcript can show."""
    t = app.transcript.text
    base = hex_colour(t, t.cget("background"))
    pairs = [("transcript text", hex_colour(t, t.cget("foreground")), base)]
    bands = {"transcript": base}
    coloured: dict[str, str] = {}
    for tag in t.tag_names():
        if tag == "sel":
            continue
        fg, bg = str(t.tag_cget(tag, "foreground")), str(t.tag_cget(tag, "background"))
        if fg and bg:  # a style of its own (escapes): its text on its box only
            pairs.append((f"tag {tag}", hex_colour(t, fg), hex_colour(t, bg)))
        elif bg:
            bands[f"band {tag}"] = hex_colour(t, bg)
        elif fg:
            coloured[tag] = hex_colour(t, fg)
    assert {"own", "private"} <= {b.split()[-1] for b in bands}, "the bands are missing"
    assert {"time", "queued", "ownname", "c0"} <= set(coloured), "tags are missing"
    for band, bg in bands.items():
        pairs.append((f"transcript text on {band}", pairs[0][1], bg))
        pairs += [(f"tag {tag} on {band}", fg, bg) for tag, fg in coloured.items()]
    selected = (str(t.cget("selectforeground")), str(t.cget("selectbackground")))
    pairs.append(("selection", hex_colour(t, selected[0]), hex_colour(t, selected[1])))
    return pairs


def other_pairs(app: ChatApp) -> list[tuple[str, str, str]]:
    """The user list, the message box, the status bar."""
    lb = app.userlist.listbox
    list_bg = hex_colour(lb, lb.cget("background"))
    pairs = [
        (f"user list item {lb.get(i)}", hex_colour(lb, lb.itemcget(i, "foreground")), list_bg)
        for i in range(lb.size())
    ]
    box = app.input
    pairs.append(
        (
            "message box",
            hex_colour(box, box.cget("foreground")),
            hex_colour(box, box.cget("background")),
        )
    )
    style = ttk.Style(app.root)
    bar_fg = hex_colour(app.root, style.lookup("TLabel", "foreground"))
    bar_bg = hex_colour(app.root, style.lookup("TLabel", "background"))
    pairs.append(("status bar", bar_fg, bar_bg))
    hosting = app.window.hosting_label
    pairs.append(("hosting on …", hex_colour(hosting, str(hosting.cget("foreground"))), bar_bg))
    pairs.append(
        ("user list header", bar_fg, hex_colour(app.root, style.lookup("TFrame", "background")))
    )
    return pairs


def dialog_pairs(app: ChatApp) -> list[tuple[str, str, str]]:
    """The login dialog's hints and error line, and a help window's text."""
    app.show_login("the room refused the name")
    app.root.update()
    assert app.dialog is not None
    style = ttk.Style(app.root)
    background = hex_colour(app.root, style.lookup("TLabel", "background"))
    pairs = []
    stack: list[tk.Misc] = [app.dialog]
    while stack:
        widget = stack.pop()
        stack += widget.winfo_children()
        if isinstance(widget, ttk.Label) and str(widget.cget("foreground")):
            text = str(widget.cget("text"))[:30]
            pairs.append(
                (
                    f"dialog label {text!r}",
                    hex_colour(widget, str(widget.cget("foreground"))),
                    background,
                )
            )
    assert pairs, "the dialog shows no hint or error"
    app.dialog.destroy()
    before = set(app.root.winfo_children())
    app.show_getting_started()
    app.root.update()
    (win,) = [
        w for w in app.root.winfo_children() if w not in before and isinstance(w, tk.Toplevel)
    ]
    texts = [w for w in win.winfo_children()[0].winfo_children() if isinstance(w, tk.Text)]
    for body in texts:
        fg, bg = str(body.cget("foreground")), str(body.cget("background"))
        pairs.append(("help text", hex_colour(body, fg), hex_colour(body, bg)))
    win.destroy()
    return pairs


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_every_text_colour_meets_4_5_to_1_in_both_themes(app: ChatApp, mode: str) -> None:
    app.set_theme(mode)
    fill(app)
    app.root.update()
    assert "hello 3" in transcript_text(app)
    pairs = transcript_pairs(app) + other_pairs(app) + dialog_pairs(app)
    low = [
        f"{what}: {fg} on {bg} = {pal.contrast(fg, bg):.2f}"
        for what, fg, bg in pairs
        if pal.contrast(fg, bg) < AA
    ]
    assert not low, "\n".join(low)
    assert len(pairs) > 60  # every tag on every band was seen


def test_both_palettes_meet_the_bar_on_every_band() -> None:
    # The palette itself (what a new tag would use): names and roles on each band.
    roles = ["foreground", "time", "own_name", "event", "marker", "error", "queued"]
    roles += ["privmark", "gutter", "link", "mention"]
    for p in (pal.LIGHT, pal.DARK):
        bands = (p.background, p.own_band, p.private_band, p.mention_band, p.search_band)
        for colour in (*p.names, *(getattr(p, role) for role in roles)):
            for band in bands:
                assert pal.contrast(colour, band) >= AA, (p.mode, colour, band)
        assert pal.contrast(p.escape, p.escape_band) >= AA
        for colour in (*p.names, p.own_name, p.foreground):
            assert pal.contrast(colour, p.list_background) >= AA
