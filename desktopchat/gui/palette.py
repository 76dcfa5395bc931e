"""Every colour the window draws, one :class:`Palette` per theme. No Tk.

Role: the single place a colour is written down. The transcript's tags, the
user list, the message box, the status bar, dialogs' hints and errors and the
help windows all take their colours from the palette of the current theme
(:func:`desktopchat.gui.theme.palette`), so switching light/dark recolours
everything and no module keeps a hard-coded colour.

Invariants (checked by tests/test_contrast.py on the colours the widgets
actually carry after each theme is applied):

* every text colour has a contrast ratio of at least 4.5:1 (WCAG 2.x AA for
  normal text) against every background it can be drawn on: the transcript's
  own background and each band (own lines, private lines, a mention, a search
  hit);
* each of the :attr:`Palette.names` colours meets the same bar, so a name's
  colour is readable in both themes; a name keeps the same *slot* (index) in
  both themes, so alice is "the blue one" in light and dark alike.

:func:`contrast` and :func:`luminance` are the WCAG 2.x formulas, here so the
tests and any future colour choice use the same arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DARK", "LIGHT", "Palette", "contrast", "luminance", "palette_for"]


@dataclass(frozen=True, slots=True)
class Palette:
    """The colours of one theme (``mode`` is "light" or "dark")."""

    mode: str
    # Surfaces: transcript, user list, message box, help text.
    background: str
    foreground: str
    list_background: str
    selection_background: str
    selection_foreground: str
    cursor: str
    #: The focus ring around the message box, transcript and user list.
    focus: str
    # Bands behind whole lines or words (text colours are readable on all of them).
    own_band: str
    private_band: str
    mention_band: str
    search_band: str
    # Text roles in the transcript.
    time: str
    own_name: str
    event: str
    marker: str
    error: str
    queued: str
    privmark: str
    gutter: str
    link: str
    mention: str
    escape: str
    escape_band: str
    #: The "— new messages —" divider: its text on its own band.
    divider: str
    divider_band: str
    # Outside the transcript: the status bar's "hosting on …", dialogs' hints and errors.
    hosting: str
    hint: str
    form_error: str
    #: Warnings outside the transcript (status bar: the room is unencrypted, a pin changed).
    warning: str
    #: Name colours: hues far enough apart to tell at a glance.
    names: tuple[str, ...]

    def name_colour(self, slot: int) -> str:
        """The colour of name slot ``slot`` (see ``render.name_slot``)."""
        return self.names[slot % len(self.names)]


LIGHT = Palette(
    mode="light",
    background="#ffffff",
    foreground="#1c1c1c",
    list_background="#f7f7f7",
    selection_background="#2f60d8",
    selection_foreground="#ffffff",
    cursor="#1c1c1c",
    focus="#2f60d8",
    own_band="#eef4ff",
    private_band="#fff6d5",
    mention_band="#ffe9c7",
    search_band="#fff176",
    time="#5f5f5f",
    own_name="#000000",
    event="#5c5c5c",
    marker="#4f4f4f",
    error="#b00020",
    queued="#5f5f5f",
    privmark="#6b5000",
    gutter="#666666",
    link="#1a56b0",
    mention="#8a2c00",
    escape="#6a1b9a",
    escape_band="#f1e4f5",
    divider="#ffffff",
    divider_band="#c62828",
    hosting="#1b6e20",
    hint="#555555",
    form_error="#b00020",
    warning="#b00020",
    names=(
        "#1f5fbf",  # blue
        "#b3261e",  # red
        "#2a7230",  # green
        "#8e24aa",  # purple
        "#a84a00",  # dark orange
        "#00695f",  # teal
        "#ad1457",  # magenta
        "#5d4037",  # brown
        "#01679e",  # sky blue
        "#5e35b1",  # deep purple
    ),
)

DARK = Palette(
    mode="dark",
    background="#1e1e1e",
    foreground="#e8e8e8",
    list_background="#252525",
    selection_background="#2f60d8",
    selection_foreground="#ffffff",
    cursor="#e8e8e8",
    focus="#57c8ff",
    own_band="#1f2836",
    private_band="#33301c",
    mention_band="#3d2a14",
    search_band="#3d3500",
    time="#a6a6a6",
    own_name="#ffffff",
    event="#ababab",
    marker="#b8b8b8",
    error="#ff8a80",
    queued="#a6a6a6",
    privmark="#e6c25a",
    gutter="#a8a8a8",
    link="#7fb4ff",
    mention="#ffb86b",
    escape="#e1bee7",
    escape_band="#4a2a55",
    divider="#ffffff",
    divider_band="#a82020",
    hosting="#81c784",
    hint="#b0b0b0",
    form_error="#ff8a80",
    warning="#ff8a80",
    names=(
        "#7fb0ff",  # blue
        "#ff8a80",  # red
        "#81c784",  # green
        "#d19be0",  # purple
        "#ffb74d",  # orange
        "#4dc0b3",  # teal
        "#f48fb1",  # magenta
        "#c8b2aa",  # brown
        "#5ec8f7",  # sky blue
        "#b7a3e0",  # deep purple
    ),
)

_BY_MODE = {"light": LIGHT, "dark": DARK}


def palette_for(mode: str) -> Palette:
    """The palette of ``mode`` ("light" or "dark")."""
    return _BY_MODE[mode]


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of ``#rrggbb``."""
    if len(colour) != 7 or not colour.startswith("#"):
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(first: str, second: str) -> float:
    """WCAG 2.x contrast ratio of two ``#rrggbb`` colours (1.0 to 21.0)."""
    a, b = sorted((luminance(first), luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)
