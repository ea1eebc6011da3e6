"""HTTP routes of files: upload (multipart), download and thumbnail, access-checked."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from parley.accounts.api import CurrentMember
from parley.core.deps import IdPath, ReadSession, RuntimeDep
from parley.core.errors import ParleyError
from parley.core.http import ParleyRoute
from parley.files.service import StoredFile, file_not_found, files_of, visible_file
from parley.files.sniff import IMAGE_TYPES
from parley.files.storage import StorageMissing, blob_key

router = APIRouter(route_class=ParleyRoute, tags=["files"])

#: nothing in a served file may run or load anything, whatever a browser makes of it
SAFETY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "private, max-age=3600",
}
_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "application/zip": ".zip",
}
_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


class FileOut(BaseModel):
    id: int
    #: the sanitised file name (display only), may be empty
    name: str
    sha256: str
    size: int
    #: decided from the bytes: image/png|jpeg|gif|webp, application/pdf|zip, text/plain
    content_type: str
    has_thumbnail: bool
    created_at: datetime


def _out(stored: StoredFile) -> FileOut:
    upload, blob = stored.upload, stored.blob
    return FileOut(
        id=upload.id,
        name=upload.name,
        sha256=blob.sha256,
        size=blob.size,
        content_type=blob.content_type,
        has_thumbnail=blob.thumbnail_type is not None,
        created_at=upload.created_at,
    )


@router.post("/files", status_code=status.HTTP_201_CREATED, openapi_extra=_UPLOAD_BODY)
async def upload_file(request: Request, principal: CurrentMember, runtime: RuntimeDep) -> FileOut:
    """Upload one file (multipart field `file`) to attach to messages by its `id`.

    The type comes from the content, never the name; the size limit holds while streaming.
    """
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "multipart/form-data":
        raise ParleyError(415, "unsupported_media_type", "send the file as multipart/form-data")
    try:
        async with request.form(max_files=1, max_fields=8) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise ParleyError(
                    422,
                    "validation_failed",
                    "a file field named `file` is required",
                    extra={"errors": [{"field": "file", "message": "Field required"}]},
                )
            stored = await files_of(runtime).upload(principal.id, upload.file, upload.filename)
    except MultiPartException as exc:
        raise ParleyError(400, "bad_request", f"unreadable multipart body: {exc}") from None
    return _out(stored)


def _disposition(stored: StoredFile, inline: bool) -> str:
    """`inline` for images, else `attachment`, with the name in RFC 6266/5987 form."""
    name = stored.upload.name or (
        f"file-{stored.upload.id}{_EXTENSIONS.get(stored.blob.content_type, '.txt')}"
    )
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name
    )
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


async def _serve(
    runtime: RuntimeDep, stored: StoredFile, media_type: str, key: str, inline: bool
) -> Response:
    headers = {
        **SAFETY_HEADERS,
        "Content-Disposition": _disposition(stored, inline),
        "ETag": f'"{stored.blob.sha256}"',
    }
    try:
        return await files_of(runtime).storage.response(key, media_type, headers)
    except StorageMissing:
        raise file_not_found() from None


@router.get("/files/{file_id}", response_class=Response)
async def download_file(
    file_id: IdPath, principal: CurrentMember, session: ReadSession, runtime: RuntimeDep
) -> Response:
    """The file, for its uploader and whoever may see a message carrying it (else 404)."""
    stored = await visible_file(session, file_id, principal.id)
    content_type = stored.blob.content_type
    inline = content_type in IMAGE_TYPES
    return await _serve(runtime, stored, content_type, blob_key(stored.blob.sha256), inline)


@router.get("/files/{file_id}/thumbnail", response_class=Response)
async def download_thumbnail(
    file_id: IdPath, principal: CurrentMember, session: ReadSession, runtime: RuntimeDep
) -> Response:
    """A small re-encoded image (at most 320 px a side, no metadata), for images only."""
    stored = await visible_file(session, file_id, principal.id)
    thumbnail_type = stored.blob.thumbnail_type
    if thumbnail_type is None:
        raise ParleyError(404, "no_thumbnail", "this file has no thumbnail")
    key = blob_key(stored.blob.sha256, thumbnail=True)
    return await _serve(runtime, stored, thumbnail_type, key, inline=True)
