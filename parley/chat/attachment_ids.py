"""The `attachments` field of a send (WebSocket frame or HTTP body): which ids it may carry.

Parsing the field is chat's (it is part of a send); whether the files exist and belong to the
sender is the files domain's, asked through `chat.hooks` inside the writer's batch.
"""

from __future__ import annotations

from parley.core.database import MAX_BIGINT
from parley.core.fields import MAX_ATTACHMENTS


class InvalidAttachments(ValueError):
    """The `attachments` field of a send is malformed; `code` is the protocol's error code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def parse_attachment_ids(value: object) -> tuple[int, ...]:
    """File ids from a send (WebSocket frame or HTTP body): a list of at most
    `MAX_ATTACHMENTS` positive integers; repeats are dropped, the order is kept."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidAttachments("invalid_field", "attachments must be a list of file ids")
    if len(value) > MAX_ATTACHMENTS:
        raise InvalidAttachments(
            "too_many_attachments", f"a message carries at most {MAX_ATTACHMENTS} files"
        )
    for item in value:
        if type(item) is not int or not 1 <= item <= MAX_BIGINT:
            raise InvalidAttachments("invalid_field", "attachments must be positive integers")
    return tuple(dict.fromkeys(value))
