"""Thumbnails decoded within a memory budget: the striped PNG decoder gives Pillow's pixels
exactly, corrupt data is `invalid_image`, bombs are `image_too_large` whatever the warning
filters, and what cannot be decoded within the budget is kept without a thumbnail."""

from __future__ import annotations

import asyncio
import io
import os
import random
import struct
import threading
import warnings
import zlib
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageChops

from parley.core.errors import ParleyError
from parley.files import images, pngstream
from parley.files.images import make_thumbnail
from tests.files.support import API, chunk, solid_png, upload
from tests.support.api import assert_problem, signup

#: PNG colour type and samples per pixel
_COLOUR = {"L": (0, 1), "RGB": (2, 3), "LA": (4, 2), "RGBA": (6, 4)}


def noisy_png(mode: str, size: tuple[int, int], depth: int = 8, seed: int = 1) -> bytes:
    """Random pixels, each row under a random filter (None, Sub, Up, Average, Paeth), the
    data split over several IDAT chunks: every path of the row decoder, across stripes."""
    rng = random.Random(seed)
    colour, samples = _COLOUR[mode]
    width, height = size
    row = width * samples * depth // 8
    data = b"".join(bytes([rng.randrange(5)]) + os.urandom(row) for _ in range(height))
    packed = zlib.compress(data)
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    third = len(packed) // 3
    idats = [packed[:third], packed[third : 2 * third], packed[2 * third :]]
    body = chunk(b"IHDR", header) + b"".join(chunk(b"IDAT", part) for part in idats)
    return b"\x89PNG\r\n\x1a\n" + body + chunk(b"IEND", b"")


def saved(image: Image.Image, kind: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()


def assert_same_as_pillow(data: bytes, factor: int, stripe_bytes: int) -> None:
    streamed = Image.open(io.BytesIO(data))
    assert pngstream.streamable(streamed)
    got = pngstream.reduced(streamed, factor, stripe_bytes=stripe_bytes)
    whole = Image.open(io.BytesIO(data))
    whole.load()
    want = whole.convert(pngstream.working_mode(whole)).reduce(factor)
    assert (got.mode, got.size) == (want.mode, want.size)
    assert ImageChops.difference(got, want).getbbox() is None


@pytest.mark.parametrize(
    ("mode", "depth"), [("L", 8), ("RGB", 8), ("LA", 8), ("RGBA", 8), ("RGB", 16), ("RGBA", 16)]
)
@pytest.mark.parametrize("factor", [1, 3, 8])
def test_striped_decoding_gives_pillows_pixels(mode: str, depth: int, factor: int) -> None:
    data = noisy_png(mode, (203, 157), depth)
    assert_same_as_pillow(data, factor, stripe_bytes=203 * 4 * 10)  # about 10 rows a stripe


@pytest.mark.parametrize("colours", [2, 4, 16, 256])
def test_striped_decoding_of_palettes_and_transparency(colours: int) -> None:
    noise = Image.frombytes("L", (301, 211), os.urandom(301 * 211)).convert("RGB")
    paletted = noise.quantize(colours)
    assert_same_as_pillow(saved(paletted), 4, stripe_bytes=301 * 7)
    assert_same_as_pillow(saved(paletted, transparency=1), 2, stripe_bytes=301 * 7)


def test_thumbnails_of_streamed_pngs_match_pillows_thumbnail(tmp_path: Path) -> None:
    for size in [(2400, 1600), (5001, 333), (333, 5001), (300, 200)]:
        band = Image.linear_gradient("L").resize(size)
        image = Image.merge("RGB", (band, band.transpose(Image.Transpose.FLIP_TOP_BOTTOM), band))
        path = tmp_path / "gradient.png"
        path.write_bytes(saved(image))
        thumbnail = make_thumbnail(path, 50_000_000)
        assert thumbnail is not None and thumbnail.media_type == "image/jpeg"
        image.thumbnail((320, 320), Image.Resampling.LANCZOS)
        with Image.open(io.BytesIO(thumbnail.data)) as got:
            assert got.size == image.size
            difference = ImageChops.difference(got.convert("RGB"), image).tobytes()
            assert max(difference) <= 12  # JPEG's loss, nothing more


def test_the_orientation_of_a_png_is_applied(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90
    path = tmp_path / "rotated.png"
    path.write_bytes(saved(Image.new("RGB", (800, 600), (10, 120, 200)), exif=exif))
    thumbnail = make_thumbnail(path, 50_000_000)
    assert thumbnail is not None
    with Image.open(io.BytesIO(thumbnail.data)) as got:
        assert got.size == (240, 320)
        assert "exif" not in got.info


def interlaced_png(image: Image.Image) -> bytes:
    """An Adam7-interlaced RGB PNG (Pillow reads them but does not write them)."""
    width, height = image.size
    pixels = image.convert("RGB").load()
    assert pixels is not None
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2)]
    passes.append((0, 1, 1, 2))
    rows = bytearray()
    for x0, y0, dx, dy in passes:
        for y in range(y0, height, dy):
            line = [pixels[x, y] for x in range(x0, width, dx)]
            if line:
                rows += b"\x00" + bytes(c for pixel in line for c in pixel)  # type: ignore[union-attr]
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 1)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows)))
    return b"\x89PNG\r\n\x1a\n" + body + chunk(b"IEND", b"")


def test_interlaced_pngs_are_decoded_whole(tmp_path: Path) -> None:
    source = Image.linear_gradient("L").resize((645, 483)).convert("RGB")
    path = tmp_path / "interlaced.png"
    path.write_bytes(interlaced_png(source))
    with Image.open(path) as reopened:
        assert reopened.info.get("interlace") and not pngstream.streamable(reopened)
        reopened.load()
        assert ImageChops.difference(reopened, source).getbbox() is None  # a valid file
    thumbnail = make_thumbnail(path, 50_000_000)
    assert thumbnail is not None
    with Image.open(io.BytesIO(thumbnail.data)) as got:
        assert got.size == (320, 240)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # truncated in the image data
        lambda data: data[:60] + bytes(b ^ 0x5A for b in data[60:200]) + data[200:],  # garbled
    ],
)
def test_broken_png_data_is_an_invalid_image(tmp_path: Path, damage: object) -> None:
    path = tmp_path / "broken.png"
    path.write_bytes(damage(noisy_png("RGB", (400, 300))))  # type: ignore[operator]
    with pytest.raises(ParleyError) as raised:
        make_thumbnail(path, 50_000_000)
    assert raised.value.code == "invalid_image"


def test_bombs_are_refused_even_when_pillows_warnings_are_silenced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)  # restored after
    for size in [(150, 100), (300, 300)]:  # 1.5 times the budget (a warning), 9 times (error)
        path = tmp_path / f"bomb-{size[0]}.gif"
        path.write_bytes(saved(Image.new("P", size), "GIF"))
        for action in ("ignore", "error"):
            with warnings.catch_warnings():
                warnings.simplefilter(action)
                with pytest.raises(ParleyError) as raised:
                    make_thumbnail(path, 10_000)
            assert raised.value.status == 422 and raised.value.code == "image_too_large"


def test_an_image_too_big_to_decode_within_the_budget_has_no_thumbnail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "wide.webp"
    path.write_bytes(saved(Image.new("RGB", (600, 400), (1, 2, 3)), "WEBP"))
    assert make_thumbnail(path, 50_000_000) is not None
    monkeypatch.setattr(images, "FULL_DECODE_MAX_BYTES", 600 * 400 * 4 - 1)
    assert make_thumbnail(path, 50_000_000) is None


async def test_an_upload_over_the_pixel_limit_is_refused_as_a_problem(
    client: httpx.AsyncClient,
) -> None:
    alice = await signup(client)
    wide = solid_png(8000, 6400, (5, 5, 5))  # 51.2 million pixels, 200 KB
    response = await upload(client, alice, wide, filename="wide.png")
    body = assert_problem(response, 422, "image_too_large")
    assert "50000000" in body["detail"]
    fine = await upload(client, alice, saved(Image.new("RGB", (64, 64))), filename="ok.png")
    assert fine.status_code == 201 and fine.json()["has_thumbnail"] is True
    thumb = await client.get(f"{API}/files/{fine.json()['id']}/thumbnail", headers=alice.headers)
    assert thumb.status_code == 200


def test_a_progressive_jpeg_is_judged_by_its_coefficients_a_baseline_one_by_its_draft(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libjpeg keeps a progressive JPEG's coefficients for the whole image at any scale
    (147 MiB for 7000 x 7000), while a baseline one is decoded at 1/8 of its size."""
    monkeypatch.setattr(images, "FULL_DECODE_MAX_BYTES", 1_300_000)
    progressive = tmp_path / "progressive.jpg"
    progressive.write_bytes(
        saved(Image.new("RGB", (800, 600), (9, 9, 9)), "JPEG", progressive=True)
    )
    assert make_thumbnail(progressive, 50_000_000) is None  # 800 x 600 x 1.5 x 2 bytes
    baseline = tmp_path / "baseline.jpg"
    baseline.write_bytes(saved(Image.new("RGB", (2560, 1920), (9, 9, 9)), "JPEG"))
    thumbnail = make_thumbnail(baseline, 50_000_000)  # drafted to 640 x 480 x 4 bytes
    assert thumbnail is not None
    with Image.open(io.BytesIO(thumbnail.data)) as got:
        assert got.size == (320, 240)


@pytest.fixture
def one_decoder(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set before the app's settings are read (requested ahead of `client`)."""
    monkeypatch.setenv("PARLEY_IMAGE_DECODE_CONCURRENCY", "1")


async def test_decodes_run_in_a_pool_of_the_configured_size(
    one_decoder: None, client: httpx.AsyncClient
) -> None:
    alice = await signup(client)
    pictures = [saved(Image.new("RGB", (900, 700), (n, 0, 0))) for n in range(5)]
    before = set(threading.enumerate())  # other tests' services may have left theirs
    answers = await asyncio.gather(*(upload(client, alice, data) for data in pictures))
    assert all(a.status_code == 201 and a.json()["has_thumbnail"] for a in answers)
    started = set(threading.enumerate()) - before
    decoders = [t for t in started if t.name.startswith("parley-image")]
    assert len(decoders) == 1  # five uploads at once, one decoding thread
