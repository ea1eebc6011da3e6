"""Fixtures of the file tests: storage in a temporary directory, a 1 MiB upload limit."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

UPLOAD_MAX = 1024 * 1024


@pytest.fixture(autouse=True)
def files_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Set before the app is built (autouse fixtures run first), so create_app sees it."""
    directory = tmp_path / "files"
    monkeypatch.setenv("PARLEY_FILES_DIR", str(directory))
    monkeypatch.setenv("PARLEY_UPLOAD_MAX_BYTES", str(UPLOAD_MAX))
    monkeypatch.setenv("PARLEY_FILES_GC_INTERVAL_SECONDS", "0")
    return directory


def png(width: int = 640, height: int = 480, color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_with_exif() -> bytes:
    """A photo carrying EXIF: camera make, GPS position, and a rotation."""
    image = Image.new("RGB", (800, 600), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}  # GPS IFD
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()
