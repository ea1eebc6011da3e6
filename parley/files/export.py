"""Reads for a member's own export (`GET /me/export`): their uploads and the bytes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.core.runtime import Runtime
from parley.files.models import FileBlob, Upload
from parley.files.service import FilesService, files_of
from parley.files.storage import StorageMissing, blob_key

log = logging.getLogger("parley.files")


@dataclass(frozen=True)
class OwnUpload:
    id: int
    name: str
    sha256: str
    size: int
    content_type: str
    created_at: datetime


async def uploads_owned_by(session: AsyncSession, member_id: int) -> list[OwnUpload]:
    rows = await session.execute(
        select(Upload, FileBlob)
        .join(FileBlob, FileBlob.sha256 == Upload.blob_sha256)
        .where(Upload.owner_id == member_id)
        .order_by(Upload.id)
    )
    return [
        OwnUpload(up.id, up.name, blob.sha256, blob.size, blob.content_type, up.created_at)
        for up, blob in rows
    ]


async def blob_chunks(runtime: Runtime, sha256: str) -> AsyncIterator[bytes]:
    """The stored bytes of a blob, chunk by chunk (none, logged, if storage lost them)."""
    try:
        async for chunk in files_of(runtime).storage.chunks(blob_key(sha256)):
            yield chunk
    except StorageMissing:
        log.warning("an exported blob is missing from storage", extra={"sha256": sha256})


async def collect_unused(runtime: Runtime) -> tuple[int, int]:
    """After a purge: uploads no message carries any more, and blobs nothing uses."""
    if isinstance(runtime.files, FilesService):
        return await runtime.files.collect_garbage()
    service = FilesService(runtime)  # a command, not a server: a service for this once
    try:
        return await service.collect_garbage()
    finally:
        await service.stop()
