"""Thumbnails: decoded with Pillow under a pixel and a memory budget, re-encoded without
any metadata.

A decompression bomb (a small file declaring enormous dimensions) is refused from its header,
before any pixel is decoded: Pillow's own check is set to the budget and its warning is made
an error, and the declared size is compared again here, so the limit holds even where
another component changed the warning filters.

Memory: the full bitmap of a large image is never held. A JPEG is decoded scaled down by
libjpeg (`draft`), a PNG in stripes (`pngstream`); anything else (GIF, WebP, interlaced PNG)
is decoded whole only while its bitmap fits `FULL_DECODE_MAX_BYTES`, and otherwise is kept
without a thumbnail; so is a progressive JPEG whose coefficients (which libjpeg keeps for
the whole image, at any scale) do not fit. After each decode, glibc is asked to return
freed memory to the kernel (`malloc_trim`): Pillow's large blocks otherwise stay in the
allocator's arenas.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, JpegImagePlugin, PngImagePlugin, UnidentifiedImageError

from parley.core.errors import ParleyError
from parley.files import pngstream

THUMBNAIL_MAX_PX = 320
#: images that cannot be decoded scaled down get a thumbnail only if their bitmap fits this
FULL_DECODE_MAX_BYTES = 64 * 1024 * 1024
_ORIENTATION = 0x0112
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


@dataclass(frozen=True, slots=True)
class Thumbnail:
    data: bytes
    media_type: str


def image_too_large(max_pixels: int) -> ParleyError:
    return ParleyError(
        422, "image_too_large", f"the image has more than {max_pixels} pixels; not accepted"
    )


def make_thumbnail(path: Path, max_pixels: int) -> Thumbnail | None:
    """A thumbnail of at most `THUMBNAIL_MAX_PX` a side; None for an image too big to decode
    within the memory budget; a 422 for a bad image or one over `max_pixels`.

    Blocking (it decodes pixels): run it in a worker thread.
    """
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise image_too_large(max_pixels)
            orientation = _orientation(image)
            small = _shrink(image)
            if small is None:
                return None
            if orientation in _TRANSPOSE:  # on the small image: no full-size copy
                small = small.transpose(_TRANSPOSE[orientation])
            return _encode(small)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise image_too_large(max_pixels) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        # Pillow reports truncated and malformed images in all of these ways
        raise ParleyError(422, "invalid_image", "the image cannot be decoded") from None
    finally:
        release_memory()


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation, read without decoding pixels (Pillow's PNG `getexif` would)."""
    if isinstance(image, PngImagePlugin.PngImageFile):
        raw = image.info.get("exif")
        if not isinstance(raw, bytes):
            return 1
        exif = Image.Exif()
        exif.load(raw)
    else:
        exif = image.getexif()
    value = exif.get(_ORIENTATION, 1)
    return value if isinstance(value, int) else 1


def _shrink(image: Image.Image) -> Image.Image | None:
    """The image reduced to thumbnail size, holding as little of it in memory as it can."""
    box = (THUMBNAIL_MAX_PX, THUMBNAIL_MAX_PX)
    image.seek(0)  # animations: the first frame
    if pngstream.streamable(image):
        width, height = image.size
        size = fitted(width, height)
        if size == (width, height):
            return pngstream.reduced(image, 1)
        # as Image.thumbnail does: reduce by an integer factor to at least twice the size
        # (reducing_gap 2), then resample the exact region of the original (the last row
        # and column of reduced blocks may be partial)
        factor = max(1, min(width // (2 * size[0]), height // (2 * size[1])))
        small = pngstream.reduced(image, factor)
        region = (0.0, 0.0, width / factor, height / factor)
        return small.resize(size, Image.Resampling.LANCZOS, box=region)
    if _coefficient_bytes(image) > FULL_DECODE_MAX_BYTES:
        return None
    image.draft("RGB", box)  # JPEG: libjpeg decodes at 1/2, 1/4 or 1/8 of the size
    width, height = image.size
    if width * height * _pixel_bytes(image.mode) > FULL_DECODE_MAX_BYTES:
        return None
    image.thumbnail(box, Image.Resampling.LANCZOS)  # reduces by an integer factor first
    return image


def fitted(width: int, height: int) -> tuple[int, int]:
    """The thumbnail's size for an image, rounded the way `Image.thumbnail` rounds it."""
    side = THUMBNAIL_MAX_PX
    if width <= side and height <= side:
        return width, height
    aspect = width / height
    if aspect <= 1:
        exact = side * aspect
        return max(
            1, min(math.floor(exact), math.ceil(exact), key=lambda n: abs(aspect - n / side))
        ), side
    exact = side / aspect
    candidates = (math.floor(exact), math.ceil(exact))
    return side, max(1, min(candidates, key=lambda n: 0 if n == 0 else abs(aspect - side / n)))


def _coefficient_bytes(image: Image.Image) -> int:
    """What libjpeg holds for a progressive JPEG whatever the scale: every component's DCT
    coefficients, 2 bytes each (147 MiB for 7000 x 7000 at 4:2:0). 0 for anything else."""
    if not isinstance(image, JpegImagePlugin.JpegImageFile) or not (
        image.info.get("progressive") or image.info.get("progression")
    ):
        return 0
    width, height = image.size
    layers = image.layer or [(0, 1, 1, 0)] * len(image.getbands())
    h_max = max(layer[1] for layer in layers)
    v_max = max(layer[2] for layer in layers)
    samples = sum(width * height * h * v // (h_max * v_max) for _, h, v, _ in layers)
    return 2 * samples


def _pixel_bytes(mode: str) -> int:
    if mode in ("1", "L", "P"):
        return 1
    return 2 if mode.startswith("I;16") else 4


def _encode(image: Image.Image) -> Thumbnail:
    """Copy the pixels into a new image, which has no EXIF, ICC, XMP or text chunks, and
    encode that: nothing of the original's metadata (camera, location) can survive."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    mode = "RGBA" if has_alpha else "RGB"
    pixels = image.convert(mode)
    clean = Image.new(mode, pixels.size)
    clean.paste(pixels)
    buffer = io.BytesIO()
    if has_alpha:
        clean.save(buffer, "PNG", optimize=True)
        return Thumbnail(buffer.getvalue(), "image/png")
    clean.save(buffer, "JPEG", quality=85, optimize=True)
    return Thumbnail(buffer.getvalue(), "image/jpeg")


def _load_malloc_trim() -> Callable[[int], int] | None:
    """glibc's `malloc_trim`, or None where the C library has none (musl, macOS)."""
    try:
        trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    function: Callable[[int], int] = trim
    return function


_MALLOC_TRIM = _load_malloc_trim()


def release_memory() -> None:
    """Hand the memory freed by a decode back to the kernel (glibc keeps it otherwise)."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)
