"""The files domain's public surface: attachment checks for the message path."""

from __future__ import annotations

from parley.files.attachments import (
    InvalidAttachments,
    attachments_of,
    link,
    parse_attachment_ids,
    unlink,
    uploads_of,
)

__all__ = [
    "InvalidAttachments",
    "attachments_of",
    "link",
    "parse_attachment_ids",
    "unlink",
    "uploads_of",
]
