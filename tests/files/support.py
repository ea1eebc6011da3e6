"""Helpers of the file tests: uploads over HTTP and peeks at the stored rows and files."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from parley.core.runtime import Runtime
from parley.files.models import FileBlob, Upload
from tests.support.api import Account

API = "/api/v1"


async def upload(
    client: httpx.AsyncClient,
    account: Account | None,
    data: bytes,
    filename: str = "file.bin",
    content_type: str = "application/octet-stream",
) -> httpx.Response:
    headers = account.headers if account else {}
    return await client.post(
        f"{API}/files", files={"file": (filename, data, content_type)}, headers=headers
    )


async def uploaded(client: httpx.AsyncClient, account: Account, data: bytes, **kw: Any) -> int:
    response = await upload(client, account, data, **kw)
    assert response.status_code == 201, response.text
    file_id: int = response.json()["id"]
    return file_id


async def counts(runtime: Runtime) -> tuple[int, int]:
    """(upload rows, blob rows)."""
    async with runtime.db.sessions() as session:
        uploads = await session.scalar(select(func.count()).select_from(Upload))
        blobs = await session.scalar(select(func.count()).select_from(FileBlob))
    return int(uploads or 0), int(blobs or 0)


def stored_files(directory: Path) -> list[Path]:
    """Every file under the storage directory except the staging area."""
    if not directory.exists():
        return []
    return sorted(p for p in directory.rglob("*") if p.is_file() and ".staging" not in p.parts)


async def send(
    client: httpx.AsyncClient, account: Account, room_id: int, body: str, **extra: Any
) -> httpx.Response:
    return await client.post(
        f"{API}/rooms/{room_id}/messages",
        json={"body": body, "client_msg_id": f"{account.id}-{body}", **extra},
        headers=account.headers,
    )


def chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A PNG of one colour, written without a bitmap: each row repeats the one above."""
    packer = zlib.compressobj(9)
    parts = [packer.compress(b"\x00" + bytes(rgb) * width)]  # filter None, the pixels
    up = b"\x02" + b"\x00" * (width * 3)  # filter Up, no change
    parts += [packer.compress(up) for _ in range(height - 1)]
    parts.append(packer.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = b"".join(parts)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body
