"""Field types shared by the HTTP schemas (pydantic) and the WebSocket protocol (msgspec).

Each type carries its limits once, as metadata for both libraries (each ignores the other's),
so an id, a `client_msg_id` or a message body means the same thing over HTTP and WebSocket.
Strictness (no `"1"` for 1, no `true` for 1) is a property of the WebSocket decoder; HTTP
bodies keep pydantic's usual coercion.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from pydantic import AfterValidator, Field

from parley.core.database import MAX_BIGINT

#: a `client_msg_id` is at most this many characters (a ULID or a UUID fits)
CLIENT_MSG_ID_MAX = 64
#: what a send may carry before cleaning: 4 times the greatest `PARLEY_MESSAGE_MAX_CHARS`
#: (100 000), so a body of control characters around real text is not refused unread
BODY_MAX_INPUT_CHARS = 400_000
#: files one message may carry
MAX_ATTACHMENTS = 10

#: a database row id (members, rooms, messages, files): 1 to 2^63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_BIGINT), msgspec.Meta(ge=1, le=MAX_BIGINT)]
#: a per-room timeline position; 0 means "before the first message"
Seq = Annotated[int, Field(ge=0, le=MAX_BIGINT), msgspec.Meta(ge=0, le=MAX_BIGINT)]


def client_msg_id_is_valid(value: str) -> bool:
    """Printable: no control characters that would make logs or retries ambiguous."""
    return value.isprintable()


def _printable(value: str) -> str:
    if not client_msg_id_is_valid(value):
        raise ValueError("client_msg_id must be printable")
    return value


#: chosen by the client, unique per sender; a retry reuses it (the protocol model checks
#: printability in its own `__post_init__`: msgspec has no per-field validators)
ClientMsgId = Annotated[
    str,
    Field(min_length=1, max_length=CLIENT_MSG_ID_MAX),
    AfterValidator(_printable),
    msgspec.Meta(min_length=1, max_length=CLIENT_MSG_ID_MAX),
]
#: a message body as sent; the setting-dependent limit applies after cleaning
MessageBody = Annotated[
    str,
    Field(max_length=BODY_MAX_INPUT_CHARS),
    msgspec.Meta(max_length=BODY_MAX_INPUT_CHARS),
]
