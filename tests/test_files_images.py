"""desktopchat.files.images: thumbnails and PNGs from members' bytes, bombs refused."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from desktopchat.files import images
from desktopchat.files.images import ImageError, image_size, thumbnail, to_png


def encoded(picture: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    picture.save(out, format=fmt, **options)
    return out.getvalue()


def decoded(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height, with one tiny (wrong) data chunk."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 16))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("fmt", ["PNG", "GIF", "JPEG"])
def test_thumbnail_of_each_format_fits_the_box_and_keeps_the_shape(fmt: str) -> None:
    source = Image.new("RGB", (800, 400), (200, 30, 40))
    png = thumbnail(encoded(source, fmt), 200, 200)
    assert png.startswith(b"\x89PNG")
    small = decoded(png)
    assert small.size == (200, 100)
    r, g, b = small.convert("RGB").getpixel((100, 50))  # type: ignore[misc]
    assert abs(r - 200) < 12 and abs(g - 30) < 12 and abs(b - 40) < 12


def test_a_small_picture_is_not_enlarged() -> None:
    png = thumbnail(encoded(Image.new("RGB", (30, 20), "blue"), "PNG"), 320, 240)
    assert decoded(png).size == (30, 20)


def test_transparency_survives() -> None:
    source = Image.new("RGBA", (50, 50), (0, 0, 0, 0))
    source.putpixel((0, 0), (255, 0, 0, 255))
    small = decoded(thumbnail(encoded(source, "PNG"), 10, 10))
    assert small.mode == "RGBA"
    assert small.getpixel((9, 9))[3] == 0  # type: ignore[index]


def test_a_palette_gif_with_transparency_becomes_rgba() -> None:
    source = Image.new("P", (40, 40), 1)
    source.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    source.paste(0, (0, 0, 20, 40))  # the left half transparent
    data = encoded(source, "GIF", transparency=0)
    small = decoded(thumbnail(data, 20, 20))
    assert small.mode == "RGBA"
    assert small.getpixel((2, 10))[3] == 0  # type: ignore[index]
    assert small.getpixel((17, 10)) == (255, 0, 0, 255)


def test_only_the_first_frame_of_an_animation() -> None:
    frames = [Image.new("RGB", (20, 20), colour) for colour in ("red", "green", "blue")]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:])
    first = decoded(to_png(data)).convert("RGB")
    assert first.getpixel((10, 10)) == (255, 0, 0)


def test_cmyk_jpeg_and_16_bit_grey_come_out_right() -> None:
    cmyk = encoded(Image.new("CMYK", (20, 20), (0, 255, 255, 0)), "JPEG")
    red = decoded(to_png(cmyk)).convert("RGB").getpixel((10, 10))
    assert red[0] > 200 and red[1] < 60  # type: ignore[index]
    grey16 = Image.new("I;16", (10, 10), 65535)
    white = decoded(to_png(encoded(grey16, "PNG")))
    assert white.mode == "L" and white.getpixel((5, 5)) == 255


def test_exif_orientation_turns_the_picture() -> None:
    source = Image.new("RGB", (60, 20), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    data = encoded(source, "JPEG", exif=exif.tobytes())
    assert image_size(data) == (20, 60)
    assert decoded(to_png(data)).size == (20, 60)
    assert decoded(thumbnail(data, 100, 30)).size == (10, 30)


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    bomb = png_header_only(100_000, 100_000)
    assert len(bomb) < 200
    with pytest.raises(ImageError, match="pixels"):
        thumbnail(bomb, 100, 100)
    with pytest.raises(ImageError, match="pixels"):
        to_png(bomb)


def test_our_own_pixel_limit_holds_below_pillows() -> None:
    side = int(images.MAX_PIXELS**0.5) + 10  # over our limit, under Pillow's warning
    with pytest.raises(ImageError, match="million"):
        thumbnail(png_header_only(side, side), 100, 100)


def test_too_many_bytes_are_refused_unread() -> None:
    with pytest.raises(ImageError, match="too large"):
        thumbnail(b"\x89PNG" + b"\0" * images.MAX_IMAGE_BYTES, 10, 10)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a picture",
        b"\x89PNG\r\n\x1a\n",  # a signature and nothing else
        b"GIF89a garbage",
        b"\xff\xd8\xff" + b"\x00" * 100,
    ],
)
def test_garbage_is_an_image_error(data: bytes) -> None:
    with pytest.raises(ImageError):
        thumbnail(data, 10, 10)


def test_a_truncated_picture_is_an_image_error() -> None:
    data = encoded(Image.effect_noise((200, 200), 50).convert("RGB"), "PNG")
    with pytest.raises(ImageError):
        to_png(data[: len(data) // 2])


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "WEBP", "ICO"])
def test_other_formats_never_reach_a_decoder(fmt: str) -> None:
    try:
        data = encoded(Image.new("RGB", (4, 4)), fmt)
    except (KeyError, OSError):
        pytest.skip(f"this Pillow cannot write {fmt}")
    with pytest.raises(ImageError, match="PNG, GIF or JPEG"):
        to_png(data)


def test_an_empty_box_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        thumbnail(encoded(Image.new("RGB", (4, 4)), "PNG"), 0, 10)


@pytest.mark.parametrize(
    ("size", "box", "fitted"),
    [
        ((800, 600), (320, 240), (320, 240)),
        ((600, 300), (320, 240), (320, 160)),
        ((100, 1000), (320, 240), (24, 240)),
        ((30, 20), (320, 240), (30, 20)),  # never enlarged
        ((10_000, 1), (320, 240), (320, 1)),  # never 0
    ],
)
def test_fitted_size(size: tuple[int, int], box: tuple[int, int], fitted: tuple[int, int]) -> None:
    assert images.fitted_size(size, *box) == fitted
