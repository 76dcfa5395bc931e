"""Draw the desktopchat icon and write every size the app and the builds need.

Dev-only (needs Pillow, from the ``dev`` extra); the generated files are
committed, so nobody needs Pillow to run or build the app. Run from anywhere::

    python tools/make_icons.py            # rewrites assets/
    python tools/make_icons.py --out DIR  # somewhere else (tests, previews)

The icon is a blue speech bubble with a tail at its lower left and three white
"typing" dots: readable at 16 px in a title bar, clean at 256 px in a dock.
Each size is drawn on its own at 4x and scaled down with a Lanczos filter (a
simple downscale of the 1024 px master turns the 16 px dots into mush), and the
smallest sizes get thicker dots and a slightly larger bubble.

Outputs (in ``assets/``):

* ``icon-16.png`` ... ``icon-256.png`` -- for Tk's ``iconphoto`` (largest first)
* ``desktopchat.ico`` -- Windows, all sizes 16-256 in one file
* ``desktopchat.icns`` -- macOS (Pillow writes ICNS on every platform)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw

#: PNG sizes shipped for Tk; 16/32 for title bars and taskbars, 256 for docks.
PNG_SIZES = (16, 32, 48, 64, 128, 256)

#: Sizes packed into the Windows .ico (Explorer picks among these).
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)

#: Each size is drawn this many times larger, then downsampled (anti-aliasing).
SUPERSAMPLE = 4

BUBBLE = (37, 117, 252, 255)  # a saturated blue that reads on light and dark panels
DOT = (255, 255, 255, 255)

REPO = Path(__file__).resolve().parent.parent


def draw_icon(size: int) -> Image.Image:
    """Return the icon as an RGBA image of ``size`` x ``size`` pixels."""
    s = size * SUPERSAMPLE
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)

    small = size <= 24
    # At title-bar sizes every edge sits on a whole pixel, or it blurs.
    snap = (lambda v: round(v / SUPERSAMPLE) * SUPERSAMPLE) if small else (lambda v: v)
    margin = snap(s * (0.03 if small else 0.06))
    # Bubble body: a wide rounded rectangle in the upper part of the square.
    left, top = margin, snap(s * (0.10 if small else 0.14))
    right, bottom = s - margin, snap(s * (0.76 if small else 0.72))
    draw.rounded_rectangle((left, top, right, bottom), radius=(bottom - top) * 0.32, fill=BUBBLE)
    # Tail: a triangle hanging from the body's lower edge, pointing down-left.
    overlap = s * 0.02  # starts inside the body so no seam shows after downsampling
    draw.polygon(
        [
            (left + s * 0.16, bottom - overlap),
            (left + s * 0.40, bottom - overlap),
            (left + s * 0.08, s * (0.97 if small else 0.92)),
        ],
        fill=BUBBLE,
    )

    # Three dots, centred in the body; bigger relative to the icon when small.
    cy = snap((top + bottom) / 2)
    r = snap(s * 0.065) if small else s * 0.065
    gap = snap(s * 0.26) if small else s * 0.22
    cx = snap(s / 2)
    for dx in (-gap, 0.0, gap):
        draw.ellipse((cx + dx - r, cy - r, cx + dx + r, cy + r), fill=DOT)

    return img.resize((size, size), Image.Resampling.LANCZOS)


def write_assets(out: Path) -> list[Path]:
    """Write the PNGs, the .ico and the .icns into ``out``; return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    images = {size: draw_icon(size) for size in sorted(set(PNG_SIZES) | set(ICO_SIZES))}
    for size in PNG_SIZES:
        path = out / f"icon-{size}.png"
        images[size].save(path, optimize=True)
        written.append(path)

    # ICO: save from the largest and hand Pillow the hand-drawn smaller bitmaps,
    # so the 16 px entry is our 16 px drawing, not a shrunken 256.
    ico = out / "desktopchat.ico"
    largest = images[max(ICO_SIZES)]
    others = [images[size] for size in ICO_SIZES if size != max(ICO_SIZES)]
    largest.save(ico, format="ICO", sizes=[(n, n) for n in ICO_SIZES], append_images=others)
    written.append(ico)

    # ICNS: Pillow builds it from a 1024 master (plus the smaller PNGs it embeds).
    icns = out / "desktopchat.icns"
    master = draw_icon(1024)
    extra = [draw_icon(n) for n in (16, 32, 64, 128, 256, 512)]
    master.save(icns, format="ICNS", append_images=extra)
    written.append(icns)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "assets", help="output directory")
    args = parser.parse_args()
    for path in write_assets(args.out):
        print(path)


if __name__ == "__main__":
    main()
