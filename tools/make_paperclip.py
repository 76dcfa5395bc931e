"""Draw the paperclip of the "Send file…" button beside the message box.

Dev-only (needs Pillow); the generated files are committed. Run from anywhere::

    python tools/make_paperclip.py            # rewrites assets/paperclip-*.png
    python tools/make_paperclip.py --out DIR  # somewhere else (previews)

DejaVu, the only font here, has no paperclip glyph (U+1F4CE shows as a box),
so the button carries a small image instead: a clip of two nested rounded
loops, drawn at 4x and scaled down (anti-aliased), in two colours: dark for
the light theme (``paperclip-light.png``), light for the dark theme
(``paperclip-dark.png``). 18 px tall, the height of a line of the message box.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw

SIZE = (12, 20)
SUPERSAMPLE = 4
COLOURS = {"light": (60, 60, 60, 255), "dark": (225, 225, 225, 255)}


def draw(colour: tuple[int, int, int, int]) -> Image.Image:
    """The paperclip at SIZE, in ``colour`` on transparent."""
    s = SUPERSAMPLE
    image = Image.new("RGBA", (SIZE[0] * s, SIZE[1] * s), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    width = round(1.5 * s)

    def line(x0: float, y0: float, x1: float, y1: float) -> None:
        pen.line((x0 * s, y0 * s, x1 * s, y1 * s), fill=colour, width=width)

    def arc(cx: float, cy: float, r: float, start: int, end: int) -> None:
        box = ((cx - r) * s, (cy - r) * s, (cx + r) * s, (cy + r) * s)
        pen.arc(box, start, end, fill=colour, width=width)

    # Outer loop: up the left, round the bottom, up the right, round the top,
    # then the inner loop down the middle and back up.
    line(2.2, 6.5, 2.2, 15.0)
    arc(6.0, 15.0, 3.8 + 0.75, 0, 180)
    line(9.8, 15.0, 9.8, 4.2)
    arc(7.0, 4.2, 2.8 + 0.75, 180, 360)
    line(4.2, 4.2, 4.2, 13.5)
    arc(5.85, 13.5, 1.65 + 0.75, 0, 180)
    line(7.5, 13.5, 7.5, 6.5)
    return image.resize(SIZE, Image.Resampling.LANCZOS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent.parent / "assets"
    )
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    for theme, colour in COLOURS.items():
        draw(colour).save(out / f"paperclip-{theme}.png")
        print(out / f"paperclip-{theme}.png")


if __name__ == "__main__":
    main()
