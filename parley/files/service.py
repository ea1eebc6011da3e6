"""Upload, access and garbage-collection rules of files. No HTTP here (views hold that).

An upload is streamed to a staging file while it is hashed, counted (the size limit holds
before anything is kept) and checked as text; its type comes from its bytes. Images get a
thumbnail. Then, in one transaction, the blob row (keyed by SHA-256, shared by every upload
of the same bytes) and the member's upload row are written; only then are the bytes put into
storage, where an existing key is left alone. The garbage collector deletes blob rows under
their row lock and removes their bytes before committing, so an upload racing with it either
finds its blob gone (and stores the bytes again) or makes the collector's delete fail on the
foreign key: bytes are never removed from under a row that needs them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import tempfile
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.chat.api import message_visible_to
from parley.core.config import Settings
from parley.core.database import utcnow
from parley.core.errors import ParleyError, not_found
from parley.core.runtime import Runtime
from parley.core.tasks import stop_tasks
from parley.files.images import Thumbnail, make_thumbnail
from parley.files.models import FileBlob, MessageAttachment, Upload
from parley.files.sniff import HEAD_BYTES, IMAGE_TYPES, TextCheck, decide
from parley.files.storage import LocalStorage, S3Storage, Storage, blob_key

log = logging.getLogger("parley.files")
CHUNK = 64 * 1024
NAME_MAX = 200


def file_not_found() -> ParleyError:
    return not_found("file", "file_not_found")


@dataclass(frozen=True, slots=True)
class Staged:
    path: Path
    sha256: str
    size: int
    content_type: str


@dataclass(frozen=True, slots=True)
class StoredFile:
    """An upload with its blob: what a download or an upload's answer needs."""

    upload: Upload
    blob: FileBlob


def display_name(filename: str | None) -> str:
    """A name to show and to offer on download: no directories, no control characters.

    It is never used for storage, so `../../etc/passwd` is merely shown as `passwd`.
    """
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if c.isprintable())
    return name.strip().strip(".").strip()[:NAME_MAX]


def _stage(source: BinaryIO, staging_dir: Path, max_bytes: int) -> Staged:
    """Copy the upload to a staging file, hashing, counting and sniffing (blocking)."""
    staging_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=staging_dir, prefix="upload-")
    path = Path(name)
    try:
        digest, size, head, text = hashlib.sha256(), 0, b"", TextCheck()
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise ParleyError(
                        413, "file_too_large", f"files are limited to {max_bytes} bytes"
                    )
                if len(head) < HEAD_BYTES:
                    head += chunk[: HEAD_BYTES - len(head)]
                digest.update(chunk)
                text.feed(chunk)
                out.write(chunk)
            text.feed(b"", final=True)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise ParleyError(422, "empty_file", "the file is empty")
        content_type = decide(head, text)
        if content_type is None:
            raise ParleyError(
                415,
                "unsupported_file_type",
                "only PNG, JPEG, GIF, WebP, PDF, ZIP and UTF-8 text files are accepted",
            )
        return Staged(path, digest.hexdigest(), size, content_type)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _upsert_blob(dialect: str, values: dict[str, Any]) -> Any:
    """Insert the blob row unless it exists: one statement, race-free on every backend."""
    if dialect == "postgresql":
        return postgresql.insert(FileBlob).values(values).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(FileBlob).values(values).on_conflict_do_nothing()
    statement = mysql.insert(FileBlob).values(values)
    return statement.on_duplicate_key_update(sha256=statement.inserted.sha256)


class FilesService:
    """The files domain of one process: its settings, storage and collector task."""

    def __init__(self, runtime: Runtime, settings: Settings | None = None) -> None:
        self.runtime = runtime
        self.settings = settings or runtime.settings
        self.storage: Storage = self._build_storage()
        # thumbnails decode pixels: `image_decode_concurrency` threads of their own, so no
        # more decodes run at once whatever the number of uploads (a cancelled upload's
        # decode keeps its thread until done, so the bound holds; others wait their turn)
        self._decoders = ThreadPoolExecutor(
            self.settings.image_decode_concurrency, thread_name_prefix="parley-image"
        )
        self._task: asyncio.Task[None] | None = None

    def _build_storage(self) -> Storage:
        cfg = self.settings
        root = cfg.files_directory
        if cfg.files_backend == "s3":
            assert cfg.files_s3_bucket is not None
            return S3Storage(
                cfg.files_s3_bucket,
                cfg.files_s3_prefix,
                endpoint_url=cfg.files_s3_endpoint_url,
                region=cfg.files_s3_region,
                access_key_id=cfg.files_s3_access_key_id,
                secret_access_key=cfg.files_s3_secret_access_key,
                staging_dir=root / ".staging",
            )
        return LocalStorage(root)

    def start(self) -> None:
        if self.settings.files_gc_interval_seconds > 0:
            self._task = asyncio.create_task(self._collect_forever(), name="files-gc")

    async def stop(self) -> None:
        await stop_tasks([self._task])
        self._decoders.shutdown(wait=False, cancel_futures=True)

    async def _collect_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.files_gc_interval_seconds)
            try:
                await self.collect_garbage()
            except Exception:
                log.exception("file garbage collection failed; will retry")

    # -- upload -----------------------------------------------------------------------------

    async def upload(self, owner_id: int, source: BinaryIO, filename: str | None) -> StoredFile:
        """Store an upload of `owner_id`; raises 413/415/422 problems for refused files."""
        staged = await asyncio.to_thread(
            _stage, source, self.storage.staging_dir, self.settings.upload_max_bytes
        )
        try:
            thumbnail = None
            if staged.content_type in IMAGE_TYPES:
                thumbnail = await asyncio.get_running_loop().run_in_executor(
                    self._decoders, make_thumbnail, staged.path, self.settings.image_max_pixels
                )
            stored = await self._record(owner_id, staged, thumbnail, display_name(filename))
            try:
                await self._put(staged, thumbnail)
            except Exception:
                log.exception("storing an upload failed", extra={"sha256": staged.sha256})
                await self._forget(stored.upload.id)
                raise ParleyError(
                    503, "storage_unavailable", "the file could not be stored; retry"
                ) from None
            return stored
        finally:
            staged.path.unlink(missing_ok=True)

    async def _record(
        self, owner_id: int, staged: Staged, thumbnail: Thumbnail | None, name: str
    ) -> StoredFile:
        values = {
            "sha256": staged.sha256,
            "size": staged.size,
            "content_type": staged.content_type,
            "thumbnail_type": thumbnail.media_type if thumbnail else None,
            "created_at": utcnow(),
        }
        async with self.runtime.db.transaction() as session:
            await session.execute(_upsert_blob(self.runtime.db.dialect, values))
            upload = Upload(blob_sha256=staged.sha256, owner_id=owner_id, name=name)
            session.add(upload)
            await session.flush()
            blob = await session.get(FileBlob, staged.sha256, populate_existing=True)
            assert blob is not None
        return StoredFile(upload, blob)

    async def _put(self, staged: Staged, thumbnail: Thumbnail | None) -> None:
        await self.storage.put_file(blob_key(staged.sha256), staged.path, staged.content_type)
        if thumbnail is not None:
            key = blob_key(staged.sha256, thumbnail=True)
            await self.storage.put_bytes(key, thumbnail.data, thumbnail.media_type)

    async def _forget(self, upload_id: int) -> None:
        with contextlib.suppress(Exception):
            async with self.runtime.db.transaction() as session:
                await session.execute(delete(Upload).where(Upload.id == upload_id))

    # -- garbage collection -----------------------------------------------------------------

    async def collect_garbage(self, older_than: timedelta | None = None) -> tuple[int, int]:
        """Delete uploads never attached to a message (older than the orphan age), then the
        blobs no upload refers to, with their bytes. Returns (uploads, blobs) deleted."""
        age = (
            older_than
            if older_than is not None
            else timedelta(hours=self.settings.files_orphan_hours)
        )
        cutoff = utcnow() - age
        attached = exists().where(MessageAttachment.upload_id == Upload.id)
        async with self.runtime.db.transaction() as session:
            result: Any = await session.execute(
                delete(Upload).where(Upload.created_at < cutoff, ~attached)
            )
            uploads = int(result.rowcount or 0)
        blobs = 0
        while True:
            try:
                removed = await self._collect_blobs()
            except DBAPIError:  # an upload raced for a blob: it is in use again
                log.warning("file collection met a concurrent upload; will retry later")
                break
            blobs += removed
            if removed < 100:
                break
        return uploads, blobs

    async def _collect_blobs(self, batch: int = 100) -> int:
        used = exists().where(Upload.blob_sha256 == FileBlob.sha256)
        async with self.runtime.db.transaction() as session:
            rows = await session.execute(
                select(FileBlob.sha256, FileBlob.thumbnail_type)
                .where(~used)
                .order_by(FileBlob.sha256)
                .limit(batch)
                .with_for_update()
            )
            doomed = list(rows)
            if not doomed:
                return 0
            await session.execute(
                delete(FileBlob).where(FileBlob.sha256.in_([sha for sha, _ in doomed]))
            )
            await session.flush()
            for sha, thumbnail_type in doomed:  # before commit: see the module docstring
                await self.storage.delete(blob_key(sha))
                if thumbnail_type is not None:
                    await self.storage.delete(blob_key(sha, thumbnail=True))
        return len(doomed)


async def visible_file(session: AsyncSession, upload_id: int, member_id: int) -> StoredFile:
    """The upload if the member uploaded it or may see a message that carries it (a member
    of its room; for a whisper, its sender or target); `file_not_found` otherwise."""
    carried = (
        select(MessageAttachment.message_id)
        .where(
            MessageAttachment.upload_id == Upload.id,
            message_visible_to(MessageAttachment.message_id, member_id),
        )
        .exists()
    )
    row = (
        await session.execute(
            select(Upload, FileBlob)
            .join(FileBlob, FileBlob.sha256 == Upload.blob_sha256)
            .where(Upload.id == upload_id, or_(Upload.owner_id == member_id, carried))
        )
    ).first()
    if row is None:
        raise file_not_found()
    return StoredFile(row[0], row[1])


def files_of(runtime: Runtime) -> FilesService:
    service = runtime.files
    if not isinstance(service, FilesService):
        raise RuntimeError("the files service is not running in this process")
    return service


async def start_files(runtime: Runtime) -> FilesService:
    """Register the files service (a test may have registered one with its own settings)."""
    service = runtime.files if isinstance(runtime.files, FilesService) else FilesService(runtime)
    runtime.files = service
    service.start()
    return service


async def stop_files(runtime: Runtime) -> None:
    if isinstance(runtime.files, FilesService):
        await runtime.files.stop()
