"""The files domain's public surface: attachment checks for the message path."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute

from parley.files.attachments import (
    InvalidAttachments,
    attachments_of,
    link,
    parse_attachment_ids,
    unlink,
    uploads_of,
)
from parley.files.export import OwnUpload, blob_chunks, collect_unused, uploads_owned_by
from parley.files.models import MessageAttachment


def message_has_file(
    message_id: ColumnElement[int] | InstrumentedAttribute[int],
) -> ColumnElement[bool]:
    """A clause for other domains' queries (search's `has_file`): the message carries a file."""
    return (
        select(MessageAttachment.message_id)
        .where(MessageAttachment.message_id == message_id)
        .exists()
    )


__all__ = [
    "InvalidAttachments",
    "OwnUpload",
    "attachments_of",
    "blob_chunks",
    "collect_unused",
    "link",
    "message_has_file",
    "parse_attachment_ids",
    "unlink",
    "uploads_of",
    "uploads_owned_by",
]
