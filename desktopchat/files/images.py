"""Pictures as PNG bytes for Tk: thumbnails and conversions, safe against hostile images.

Tk shows PNG and GIF by itself, not JPEG, and cannot scale well; Pillow does
the work here and is imported inside the functions (start-up stays fast).
The bytes come from other members, so every function:

* refuses more than :data:`MAX_IMAGE_BYTES` of input before looking at it;
* opens only PNG, GIF and JPEG (:data:`FORMATS`): no other Pillow decoder
  ever sees the bytes, whatever the sender called the file;
* reads the size from the header and refuses more than :data:`MAX_PIXELS`
  BEFORE decoding (a "decompression bomb" is a small file of a huge picture);
  Pillow's own bomb warning counts as a refusal too;
* decodes only the first frame of an animated GIF, lets JPEG decode at a
  reduced scale when a thumbnail is all we need (``draft``), turns the
  picture as its EXIF orientation says (phone photos), and keeps colours
  (16-bit grey, palette with transparency, CMYK) right in the PNG.

Every failure is an :class:`ImageError` whose message is a sentence for people.
"""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "FORMATS",
    "MAX_IMAGE_BYTES",
    "MAX_PIXELS",
    "ImageError",
    "fitted_size",
    "image_size",
    "thumbnail",
    "to_png",
]

#: Largest picture file shown inline (and fetched into memory for it): 16 MiB.
MAX_IMAGE_BYTES = 16 * 1024 * 1024

#: Largest picture decoded, in pixels (about 8000 x 5000: 160 MB as RGBA while decoding).
MAX_PIXELS = 40_000_000

#: The Pillow decoders allowed to read members' bytes.
FORMATS = ("PNG", "GIF", "JPEG")

# EXIF orientation -> the Image.Transpose names that undo it (after scaling).
_ORIENTATION = {
    2: ("FLIP_LEFT_RIGHT",),
    3: ("ROTATE_180",),
    4: ("FLIP_TOP_BOTTOM",),
    5: ("TRANSPOSE",),
    6: ("ROTATE_270",),
    7: ("TRANSVERSE",),
    8: ("ROTATE_90",),
}
_EXIF_ORIENTATION_TAG = 0x0112


class ImageError(ValueError):
    """The bytes are not a picture we show (message: a sentence for people)."""


def _open(data: bytes) -> Image.Image:
    """Open ``data`` as PNG, GIF or JPEG, header only, size checked; not decoded yet."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_IMAGE_BYTES:
        raise ImageError(
            f"The picture is too large to show ({len(data):,} bytes; "
            f"at most {MAX_IMAGE_BYTES // (1024 * 1024)} MiB)."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise ImageError("The picture has too many pixels to show.") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageError("This is not a PNG, GIF or JPEG picture we can show.") from exc
    width, height = picture.size
    if width <= 0 or height <= 0:
        raise ImageError("The picture is empty.")
    if width * height > MAX_PIXELS:
        raise ImageError(
            f"The picture is too large to show ({width} x {height} pixels; "
            f"at most {MAX_PIXELS // 1_000_000} million)."
        )
    return picture


def _orientation(picture: Image.Image) -> int:
    try:
        value = picture.getexif().get(_EXIF_ORIENTATION_TAG, 1)
    except Exception:  # a broken EXIF block is no reason not to show the picture
        return 1
    return value if isinstance(value, int) and value in _ORIENTATION else 1


def _decoded(picture: Image.Image) -> Image.Image:
    try:
        picture.load()
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageError("The picture is damaged and cannot be shown.") from exc
    return picture


def _for_png(picture: Image.Image) -> Image.Image:
    """The picture in a mode PNG stores faithfully and Tk shows (RGB, RGBA, L)."""
    mode = picture.mode
    if mode in ("RGB", "RGBA", "L"):
        return picture
    if mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit grey: keep the top byte
        return picture.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    has_alpha = mode in ("LA", "PA", "RGBa", "La") or "transparency" in picture.info
    return picture.convert("RGBA" if has_alpha else "RGB")


def _turned(picture: Image.Image, orientation: int) -> Image.Image:
    from PIL import Image

    for name in _ORIENTATION.get(orientation, ()):
        picture = picture.transpose(Image.Transpose[name])
    return picture


def _png_bytes(picture: Image.Image, level: int) -> bytes:
    out = io.BytesIO()
    picture.save(out, format="PNG", compress_level=level)
    return out.getvalue()


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) as shown (EXIF orientation applied), from the header only."""
    picture = _open(data)
    width, height = picture.size
    return (height, width) if _orientation(picture) >= 5 else (width, height)


def fitted_size(size: tuple[int, int], max_w: int, max_h: int) -> tuple[int, int]:
    """``size`` scaled to fit ``max_w`` x ``max_h`` keeping its shape, never enlarged."""
    width, height = size
    scale = min(max_w / width, max_h / height, 1.0)
    return max(1, round(width * scale)), max(1, round(height * scale))


def thumbnail(data: bytes, max_w: int, max_h: int) -> bytes:
    """PNG bytes of the picture scaled to fit ``max_w`` x ``max_h`` (never enlarged)."""
    from PIL import Image

    if max_w < 1 or max_h < 1:
        raise ValueError(f"thumbnail box {max_w}x{max_h} is empty")
    picture = _open(data)
    orientation = _orientation(picture)
    box = (max_h, max_w) if orientation >= 5 else (max_w, max_h)  # fit before turning
    if picture.format == "JPEG":
        picture.draft("RGB", box)  # decode at 1/2, 1/4 or 1/8 scale when that still fits
    picture = _for_png(_decoded(picture))
    picture.thumbnail(box, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return _png_bytes(_turned(picture, orientation), 1)  # small: speed over size


def to_png(data: bytes) -> bytes:
    """The whole picture (first frame, orientation applied) as PNG bytes."""
    picture = _open(data)
    orientation = _orientation(picture)
    return _png_bytes(_turned(_for_png(_decoded(picture)), orientation), 6)
