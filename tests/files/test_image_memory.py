"""A real server's memory around thumbnails of huge images: bounded, and given back.

Issue 11: six concurrent uploads of a 7000 x 7000 PNG (small on disk: one colour) raised the
server's RSS by gigabytes, and it stayed there. Measured here on the server's own pid.
"""

from __future__ import annotations

import asyncio
import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from PIL import Image

from tests.files.support import chunk, solid_png
from tests.support.api import signup
from tests.support.server import ServerProcess, running_server

MIB = 1024 * 1024
SIDE = 7000
PEAK_BOUND = 150 * MIB
SETTLED_MARGIN = 40 * MIB


def photo(kind: str, size: tuple[int, int] = (2400, 1600)) -> bytes:
    """Left half red, right half blue, like a photo in size."""
    image = Image.new("RGB", size, (220, 20, 20))
    image.paste((20, 20, 220), (size[0] // 2, 0, size[0], size[1]))
    buffer = io.BytesIO()
    image.save(buffer, kind)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {"PARLEY_LOGIN_ATTEMPTS_PER_ADDRESS": "1000"}
    with running_server(tmp_path_factory.mktemp("image-memory"), env=env) as process:
        yield process


class Sampler:
    """The RSS of a process, sampled every few milliseconds in a thread; the peak kept."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        value: int = self.process.memory_info().rss
        return value

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(0.005)

    def __enter__(self) -> Sampler:
        self.peak = self.rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def _upload(client: httpx.AsyncClient, headers: dict[str, str], data: bytes) -> Any:
    files = {"file": ("image.png", data, "image/png")}
    response = await client.post("/api/v1/files", files=files, headers=headers, timeout=120)
    assert response.status_code == 201, response.text
    return response.json()


async def _settled(sampler: Sampler, baseline: int, seconds: float = 15) -> int:
    """The RSS once it is back within the margin of the baseline, or after `seconds`."""
    deadline = time.monotonic() + seconds
    rss = sampler.rss()
    while time.monotonic() < deadline:
        if rss - baseline <= SETTLED_MARGIN:
            break
        await asyncio.sleep(0.2)
        rss = sampler.rss()
    return rss


async def test_six_huge_pngs_at_once_cost_little_memory_and_it_is_given_back(
    server: ServerProcess,
) -> None:
    huge = solid_png(SIDE, SIDE, (30, 140, 200))
    assert len(huge) < 512 * 1024  # small on disk, 49 million pixels
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        alice = await signup(client)
        # warm up: libraries loaded, the decode threads started
        await _upload(client, alice.headers, photo("PNG", (640, 480)))
        await _upload(client, alice.headers, photo("JPEG", (640, 480)))
        sampler = Sampler(server.process.pid)
        await asyncio.sleep(0.5)
        baseline = sampler.rss()
        # six distinct files (a text chunk differs), so none is deduplicated away
        images = [huge[:33] + chunk(b"tEXt", b"n\x00%d" % n) + huge[33:] for n in range(6)]
        with sampler:
            bodies = await asyncio.gather(*(_upload(client, alice.headers, d) for d in images))
        assert all(body["has_thumbnail"] for body in bodies)
        assert sampler.peak - baseline < PEAK_BOUND, (baseline // MIB, sampler.peak // MIB)
        settled = await _settled(sampler, baseline)
        assert settled - baseline <= SETTLED_MARGIN, (baseline // MIB, settled // MIB)
        thumb = await client.get(
            f"/api/v1/files/{bodies[0]['id']}/thumbnail", headers=alice.headers
        )
        assert thumb.status_code == 200
        with Image.open(io.BytesIO(thumb.content)) as image:
            assert image.size == (320, 320)
            red, green, blue = image.convert("RGB").getpixel((160, 160))  # type: ignore[misc]
            assert abs(red - 30) < 4 and abs(green - 140) < 4 and abs(blue - 200) < 4


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
async def test_a_photo_sized_image_gets_a_correct_thumbnail(
    server: ServerProcess, kind: str, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        alice = await signup(client)
        body = await _upload(client, alice.headers, photo(kind))
        assert body["has_thumbnail"] is True
        thumb = await client.get(f"/api/v1/files/{body['id']}/thumbnail", headers=alice.headers)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(thumb.content)) as image:
        assert image.size == (320, 213)
        rgb = image.convert("RGB")
        left, right = rgb.getpixel((40, 100)), rgb.getpixel((280, 100))
    assert left[0] > 180 and left[2] < 60, left  # type: ignore[index]
    assert right[2] > 180 and right[0] < 60, right  # type: ignore[index]
