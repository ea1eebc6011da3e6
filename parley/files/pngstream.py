"""PNG decoded in stripes: a shrunken copy of a huge PNG without its full bitmap in memory.

Pillow decodes a PNG into one bitmap of the whole image (4 bytes a pixel in colour: 187 MiB
for 7000 x 7000) before anything can shrink it. Here the image data is inflated with `zlib`
a stripe of rows at a time and handed, as stored (uncompressed) deflate blocks, to Pillow's
own PNG row decoder (filters, bit depths, palettes). That decoder writes into a bitmap laid
over an anonymous memory map; each finished stripe is copied out, box-reduced, and its pages
are handed back to the kernel (`MADV_DONTNEED`), so only a stripe is ever resident. The map
itself is released when the function returns.

Interlaced PNGs spread every pass over the whole image and 16-bit greyscale has no cheap
conversion: those are not streamed (`streamable` says no) and take the ordinary path.
"""

from __future__ import annotations

import mmap
import struct
import zlib
from collections.abc import Iterator
from typing import IO, TypeGuard

from PIL import Image, PngImagePlugin
from PIL import _imaging as core

#: bytes a pixel takes in Pillow's memory, for the modes a PNG decodes to that we stream
_PIXEL_BYTES = {"L": 1, "P": 1, "LA": 4, "RGB": 4, "RGBA": 4}
_ALPHA_MODES = ("LA", "RGBA")
#: rows are inflated at most this many bytes at a time
_STEP = 1 << 20
#: a stripe holds about this many bytes of bitmap
STRIPE_BYTES = 2 << 20


def streamable(image: Image.Image) -> TypeGuard[PngImagePlugin.PngImageFile]:
    """A non-interlaced PNG with a single data tile over the whole image, in a plain mode."""
    if not isinstance(image, PngImagePlugin.PngImageFile) or image.info.get("interlace"):
        return False
    tiles = image.tile
    return (
        image.mode in _PIXEL_BYTES
        and len(tiles) == 1
        and tiles[0].codec_name == "zip"
        and tiles[0].extents == (0, 0, *image.size)
    )


def working_mode(image: Image.Image) -> str:
    """RGBA when the image can be transparent, else RGB: what the thumbnail is made from."""
    if image.mode in _ALPHA_MODES or (image.mode == "P" and "transparency" in image.info):
        return "RGBA"
    return "RGB"


def reduced(
    image: PngImagePlugin.PngImageFile, factor: int, stripe_bytes: int = STRIPE_BYTES
) -> Image.Image:
    """The image box-reduced by `factor` (as `Image.reduce` would), decoded stripe by stripe.

    `image` must be `streamable` and still unloaded. Raises OSError/ValueError for data that
    is truncated or corrupt, like Pillow does.
    """
    width, height = image.size
    tile = image.tile[0]
    stride = width * _PIXEL_BYTES[image.mode]
    rows = max(factor, stripe_bytes // stride // factor * factor)  # a multiple of factor
    row_bytes = 1 + (width * _bits_per_pixel(tile.args) + 7) // 8  # filter byte + pixels
    mode = working_mode(image)
    out = Image.new(mode, (-(-width // factor), -(-height // factor)))
    canvas = mmap.mmap(-1, stride * height)
    try:
        _decode_into(image, canvas, stride, rows, row_bytes, factor, out)
    finally:
        canvas.close()  # the decoder and the bitmap over the map are gone by now
    return out


def _decode_into(
    image: PngImagePlugin.PngImageFile,
    canvas: mmap.mmap,
    stride: int,
    rows: int,
    row_bytes: int,
    factor: int,
    out: Image.Image,
) -> None:
    width, height = image.size
    tile = image.tile[0]
    mode = out.mode
    target = core.map_buffer(canvas, image.size, "raw", 0, (image.mode, stride, 1))
    decoder = Image._getdecoder(image.mode, "zip", tile.args)
    try:
        decoder.setimage(target, (0, 0, width, height))
        packer = zlib.compressobj(0)  # stored blocks: the decoder's inflate only copies
        pending, done, released = bytearray(), 0, 0
        assert image.fp is not None
        for data in _inflate(_idat(image.fp, tile.offset), height * row_bytes):
            pending += data
            while len(pending) >= rows * row_bytes or (
                pending and done + len(pending) // row_bytes >= height
            ):
                count = min(rows, len(pending) // row_bytes, height - done)
                chunk = bytes(pending[: count * row_bytes])
                del pending[: count * row_bytes]
                status, error = decoder.decode(packer.compress(chunk) + packer.flush(2))
                if error < 0:
                    raise OSError(f"broken PNG data (decoder error {error})")
                stripe = image._new(target.crop((0, done, width, done + count)))
                out.paste(stripe.convert(mode).reduce(factor), (0, done // factor))
                done += count
                released = _release(canvas, released, done * stride)
                if status < 0 or done >= height:
                    return
        raise OSError("image file is truncated")
    finally:
        decoder.cleanup()
        del decoder, target


def _bits_per_pixel(rawmode: object) -> int:
    bits = {"1": 1, "L;2": 2, "L;4": 4, "P;1": 1, "P;2": 2, "P;4": 4, "L": 8, "P": 8}
    bits |= {"LA": 16, "RGB": 24, "RGBA": 32, "RGB;16B": 48, "LA;16B": 32, "RGBA;16B": 64}
    if not isinstance(rawmode, str) or rawmode not in bits:
        raise ValueError(f"unexpected PNG raw mode {rawmode!r}")
    return bits[rawmode]


def _release(canvas: mmap.mmap, released: int, upto: int) -> int:
    """Give the pages of finished rows back to the kernel; returns the new boundary."""
    end = upto // mmap.PAGESIZE * mmap.PAGESIZE
    if end > released:
        canvas.madvise(mmap.MADV_DONTNEED, released, end - released)
        return end
    return released


def _idat(fp: IO[bytes], offset: int) -> Iterator[bytes]:
    """The compressed image data: consecutive IDAT chunks from the first one at `offset`."""
    fp.seek(offset - 8)
    while True:
        header = fp.read(8)
        if len(header) < 8:
            return
        length, kind = struct.unpack(">I4s", header)
        if kind != b"IDAT":
            return
        while length > 0:
            data = fp.read(min(length, 64 * 1024))
            if not data:
                return
            length -= len(data)
            yield data
        fp.read(4)  # the CRC; a corrupt stream is caught by zlib's own checksum


def _inflate(chunks: Iterator[bytes], limit: int) -> Iterator[bytes]:
    """Inflate at most `limit` bytes, never more than `_STEP` at a time (no bombs here)."""
    inflater = zlib.decompressobj()
    produced = 0
    for data in chunks:
        while data and produced < limit:
            try:
                out = inflater.decompress(data, min(_STEP, limit - produced))
            except zlib.error as exc:  # not an OSError: say it the way Pillow would
                raise OSError(f"broken PNG data: {exc}") from None
            data = inflater.unconsumed_tail
            produced += len(out)
            if out:
                yield out
        if inflater.eof or produced >= limit:
            return
    try:
        tail = inflater.flush()[: limit - produced]
    except zlib.error as exc:
        raise OSError(f"broken PNG data: {exc}") from None
    if tail:
        yield tail
