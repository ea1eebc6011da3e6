"""Thumbnails: decoded with Pillow under a pixel budget, re-encoded without any metadata.

A decompression bomb (a small file declaring enormous dimensions) is refused from its header,
before any pixel is decoded: Pillow's own check is set to the budget and its warning is made
an error, and the declared size is compared again here, so the limit holds even where
another component changed the warning filters.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from parley.core.errors import ParleyError

THUMBNAIL_MAX_PX = 320
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


@dataclass(frozen=True, slots=True)
class Thumbnail:
    data: bytes
    media_type: str


def image_too_large(max_pixels: int) -> ParleyError:
    return ParleyError(
        422, "image_too_large", f"the image has more than {max_pixels} pixels; not accepted"
    )


def make_thumbnail(path: Path, max_pixels: int) -> Thumbnail:
    """A thumbnail of at most `THUMBNAIL_MAX_PX` a side, or a 422 for a bad or huge image.

    Blocking (it decodes pixels): run it in a worker thread.
    """
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise image_too_large(max_pixels)
            image.draft("RGB", (THUMBNAIL_MAX_PX, THUMBNAIL_MAX_PX))  # JPEG: decode scaled down
            image.seek(0)  # animations: the first frame
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((THUMBNAIL_MAX_PX, THUMBNAIL_MAX_PX), Image.Resampling.LANCZOS)
            return _encode(upright)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise image_too_large(max_pixels) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        # Pillow reports truncated and malformed images in all of these ways
        raise ParleyError(422, "invalid_image", "the image cannot be decoded") from None


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
