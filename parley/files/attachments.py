"""Files on messages: which ids a send may carry, linking them, and reading them back.

The message writer validates a whole batch of sends with one query (`uploads_of`), links
the files in the same transaction as the messages (`link`), and history reads the files of
a page of messages with one query (`attachments_of`), never one per message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from parley.chat.api import InvalidAttachments, UploadInfo, parse_attachment_ids
from parley.files.models import FileBlob, MessageAttachment, Upload

__all__ = [
    "InvalidAttachments",
    "UploadInfo",
    "attachments_of",
    "link",
    "parse_attachment_ids",
    "uploads_of",
]


#: the columns an attachment is shown with, for Core reads (writer) and ORM sessions alike
_COLUMNS = (
    Upload.id,
    Upload.owner_id,
    Upload.name,
    FileBlob.content_type,
    FileBlob.size,
    FileBlob.sha256,
    FileBlob.thumbnail_type,
)


def _payload(row: Any) -> dict[str, Any]:
    return {
        "id": int(row.id),
        "name": row.name,
        "content_type": row.content_type,
        "size": int(row.size),
        "sha256": row.sha256,
        "has_thumbnail": row.thumbnail_type is not None,
    }


#: statements are immutable: each use below derives its own
_JOINED = select(*_COLUMNS).join(FileBlob, FileBlob.sha256 == Upload.blob_sha256)


def uploads_of(conn: Connection, ids: Iterable[int]) -> UploadInfo:
    """Owner and payload of each existing upload among `ids`: one statement for a batch
    (synchronous Core: it runs inside the message writer's batch)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = conn.execute(_JOINED.where(Upload.id.in_(wanted)))
    return {int(row.id): (row.owner_id, _payload(row)) for row in rows}


def link(conn: Connection, links: Sequence[tuple[int, Sequence[int]]]) -> None:
    """Attach files to stored messages: (message id, upload ids in order) pairs."""
    rows = [
        {"message_id": message_id, "upload_id": upload_id, "position": position}
        for message_id, upload_ids in links
        for position, upload_id in enumerate(upload_ids)
    ]
    if rows:
        conn.execute(insert(MessageAttachment), rows)


async def unlink(session: AsyncSession, message_id: int) -> None:
    """A deleted message carries no files any more (the uploads stay their owner's)."""
    await session.execute(
        delete(MessageAttachment).where(MessageAttachment.message_id == message_id)
    )


async def attachments_of(
    session: AsyncSession, message_ids: Iterable[int]
) -> dict[int, list[dict[str, Any]]]:
    """The files of each message among `message_ids`, in order: one query for a page."""
    wanted = sorted(set(message_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        _JOINED.add_columns(MessageAttachment.message_id)
        .join(MessageAttachment, MessageAttachment.upload_id == Upload.id)
        .where(MessageAttachment.message_id.in_(wanted))
        .order_by(MessageAttachment.message_id, MessageAttachment.position)
    )
    found: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(int(row.message_id), []).append(_payload(row))
    return found
