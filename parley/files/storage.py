"""Where blob bytes live: a local directory (default) or an S3-compatible bucket.

Keys derive from the SHA-256 alone (`blobs/ab/cd/<sha256>`, `thumbs/ab/cd/<sha256>`); a
name an uploader chose never reaches a path. Writing a key that exists is a no-op, so two
uploads of the same bytes store them once, and a put after a partial failure repairs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import tempfile
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from starlette.responses import FileResponse, Response, StreamingResponse

_SHA256 = re.compile(r"[0-9a-f]{64}")
CHUNK = 64 * 1024


def blob_key(sha256: str, thumbnail: bool = False) -> str:
    if not _SHA256.fullmatch(sha256):
        raise ValueError("not a SHA-256 hex digest")
    kind = "thumbs" if thumbnail else "blobs"
    return f"{kind}/{sha256[:2]}/{sha256[2:4]}/{sha256}"


class StorageMissing(Exception):
    """The key is not in storage."""


class Storage(Protocol):
    #: where uploads are spooled before they are stored (same filesystem for local storage)
    staging_dir: Path

    async def exists(self, key: str) -> bool: ...

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        """Store the file under `key` unless present; `path` may be moved away."""

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None: ...

    async def delete(self, key: str) -> None: ...

    def chunks(self, key: str) -> AsyncIterator[bytes]:
        """The key's bytes in chunks (an export reads every blob); `StorageMissing` if absent."""

    async def response(self, key: str, media_type: str, headers: Mapping[str, str]) -> Response:
        """A response streaming the key's bytes; `StorageMissing` if absent."""


class LocalStorage:
    """Files under one directory, written to a temporary name, synced, then renamed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.staging_dir = root / ".staging"

    def _path(self, key: str) -> Path:
        return self.root / key

    def prepare(self) -> None:
        self.staging_dir.mkdir(parents=True, exist_ok=True, mode=0o750)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        await asyncio.to_thread(self._move_in, key, path)

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, key, data)

    def _move_in(self, key: str, path: Path) -> None:
        target = self._path(key)
        if target.is_file():
            return
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
        os.replace(path, target)  # atomic: readers see the whole file or none
        _sync_dir(target.parent)

    def _write(self, key: str, data: bytes) -> None:
        if self._path(key).is_file():
            return
        self.prepare()
        fd, name = tempfile.mkstemp(dir=self.staging_dir, prefix="put-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            self._move_in(key, Path(name))
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)

    async def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(self._path(key).unlink)

    async def chunks(self, key: str) -> AsyncIterator[bytes]:
        try:
            handle = await asyncio.to_thread(self._path(key).open, "rb")
        except FileNotFoundError:
            raise StorageMissing(key) from None
        try:
            while chunk := await asyncio.to_thread(handle.read, CHUNK):
                yield chunk
        finally:
            handle.close()

    async def response(self, key: str, media_type: str, headers: Mapping[str, str]) -> Response:
        path = self._path(key)
        if not await self.exists(key):
            raise StorageMissing(key)
        return FileResponse(path, media_type=media_type, headers=dict(headers))


def _sync_dir(directory: Path) -> None:
    """Make a rename durable (the directory entry), where the platform allows it."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class S3Storage:
    """An S3-compatible bucket through boto3, whose blocking calls run in worker threads."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        staging_dir: Path | None = None,
    ) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.staging_dir = staging_dir or Path(tempfile.gettempdir())
        self._client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            # path-style addressing works with MinIO, Ceph, Garage and AWS alike
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def prepare(self) -> None:
        self.staging_dir.mkdir(parents=True, exist_ok=True)

    def _key(self, key: str) -> str:
        return self.prefix + key

    async def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            await asyncio.to_thread(
                self._client.head_object, Bucket=self.bucket, Key=self._key(key)
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        if await self.exists(key):
            return
        await asyncio.to_thread(
            self._client.upload_file,
            str(path),
            self.bucket,
            self._key(key),
            ExtraArgs={"ContentType": content_type},
        )

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        if await self.exists(key):
            return
        await asyncio.to_thread(
            self._client.put_object,
            Bucket=self.bucket,
            Key=self._key(key),
            Body=data,
            ContentType=content_type,
        )

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._client.delete_object, Bucket=self.bucket, Key=self._key(key))

    async def chunks(self, key: str) -> AsyncIterator[bytes]:
        from botocore.exceptions import ClientError

        try:
            answer = await asyncio.to_thread(
                self._client.get_object, Bucket=self.bucket, Key=self._key(key)
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise StorageMissing(key) from None
            raise
        body = answer["Body"]
        parts: Iterator[bytes] = body.iter_chunks(CHUNK)
        try:
            while chunk := await asyncio.to_thread(next, parts, b""):
                yield chunk
        finally:
            body.close()

    async def response(self, key: str, media_type: str, headers: Mapping[str, str]) -> Response:
        from botocore.exceptions import ClientError

        try:
            answer = await asyncio.to_thread(
                self._client.get_object, Bucket=self.bucket, Key=self._key(key)
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise StorageMissing(key) from None
            raise
        body = answer["Body"]
        chunks: Iterator[bytes] = body.iter_chunks(CHUNK)

        async def stream() -> AsyncIterator[bytes]:
            try:
                while chunk := await asyncio.to_thread(next, chunks, b""):
                    yield chunk
            finally:
                body.close()

        return StreamingResponse(
            stream(),
            media_type=media_type,
            headers={**headers, "Content-Length": str(answer["ContentLength"])},
        )
