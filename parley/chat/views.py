"""HTTP routes of messages: history, sending (bots), read markers."""

from __future__ import annotations

import inspect
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from parley.accounts.api import CurrentMember
from parley.chat import service
from parley.chat.attachment_ids import InvalidAttachments, parse_attachment_ids
from parley.chat.batch import SendRejected
from parley.chat.history import read_messages
from parley.chat.life_views import router as life_router
from parley.chat.reads import around
from parley.chat.schemas import (
    AckOut,
    CommandDoneOut,
    MessagePage,
    ReadMarker,
    ReadOut,
    SendMessage,
)
from parley.core.database import MAX_BIGINT
from parley.core.deps import DbSession, IdPath, ReadSession, RuntimeDep
from parley.core.errors import ParleyError, not_found, rate_limited
from parley.core.http import ParleyRoute
from parley.rooms.api import get_membership, get_room

router = APIRouter(route_class=ParleyRoute, tags=["messages"])
SeqQuery = Annotated[int | None, Query(ge=0, le=MAX_BIGINT)]

_REJECTION_STATUS = {
    "rate_limited": 429,
    "slow_mode": 429,
    "muted": 403,
    "not_a_member": 403,
    "invalid_target": 422,
    "invalid_field": 422,
    "empty_body": 422,
    "body_too_long": 422,
    "unavailable": 503,
    "blocked": 403,
    "invalid_attachment": 422,
    "invalid_reply": 422,
}


async def _require_member(session: ReadSession | DbSession, room_id: int, member_id: int) -> None:
    """Members only; a private room is invisible (404) to everyone else."""
    room = await get_room(session, room_id)
    if room is None:
        raise not_found("room", "room_not_found")
    if await get_membership(session, room_id, member_id) is None:
        if room.is_private:
            raise not_found("room", "room_not_found")
        raise ParleyError(403, "not_a_member", "join the room to read or write its messages")


@router.get("/rooms/{room_id}/messages")
async def list_messages(
    room_id: IdPath,
    principal: CurrentMember,
    session: ReadSession,
    before_seq: SeqQuery = None,
    after_seq: SeqQuery = None,
    around_seq: SeqQuery = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> MessagePage:
    """History by seq cursor: newest page by default, `before_seq` to scroll up, `after_seq`
    to catch up, `around_seq` for a page centred on a seq (a reply's original, a search
    hit; `has_more` is then about before, `has_more_after` after). Whispers appear only to
    their sender and target."""
    await _require_member(session, room_id, principal.id)
    if around_seq is not None:
        if before_seq is not None or after_seq is not None:
            raise ParleyError(422, "invalid_field", "around_seq goes alone, without a cursor")
        page, before, after = await around(session, room_id, principal.id, around_seq, limit)
        return MessagePage(items=page, has_more=before, has_more_after=after)
    newest_first = after_seq is None
    items = await read_messages(
        session,
        room_id,
        principal.id,
        after_seq=after_seq,
        before_seq=before_seq,
        limit=limit + 1,
        newest_first=newest_first,
    )
    has_more = len(items) > limit
    if has_more:
        items = items[1:] if newest_first else items[:limit]
    return MessagePage(items=items, has_more=has_more)


@router.post("/rooms/{room_id}/messages", status_code=status.HTTP_201_CREATED)
async def send_message(
    room_id: IdPath,
    body: SendMessage,
    principal: CurrentMember,
    runtime: RuntimeDep,
    response: Response,
) -> AckOut | CommandDoneOut:
    """Send as the caller (bots): the WebSocket rules, the same ack, the same delivery.
    A slash command that stores no message of the caller's (`/topic`, `/invite`, `/kick`,
    a custom command) answers 200 `{client_msg_id, room_id, command}` (docs/commands.md)."""
    realtime = runtime.require_messaging()
    try:
        attachments = parse_attachment_ids(body.attachments)
    except InvalidAttachments as exc:
        raise ParleyError(422, exc.code, exc.detail) from None
    try:
        sent = await realtime.send(
            principal.id,
            room_id,
            body.client_msg_id,
            body.body,
            body.to,
            attachments,
            body.reply_to,
        )
        if not inspect.isawaitable(sent):
            response.status_code = status.HTTP_200_OK
            return CommandDoneOut(
                client_msg_id=sent.client_msg_id, room_id=sent.room_id, command=sent.command
            )
        ack = await sent
    except SendRejected as exc:
        if exc.code == "rate_limited":
            raise rate_limited(realtime.retry_after_seconds) from None
        raise ParleyError(_REJECTION_STATUS.get(exc.code, 422), exc.code, exc.detail) from None
    return AckOut(client_msg_id=ack.client_msg_id, room_id=ack.room_id, seq=ack.seq, id=ack.id)


@router.post("/rooms/{room_id}/read")
async def mark_read(
    room_id: IdPath,
    body: ReadMarker,
    principal: CurrentMember,
    session: DbSession,
    runtime: RuntimeDep,
) -> ReadOut:
    """Move the read marker forward; unread counts in `/me/rooms` follow it."""
    marked = await service.mark_read(session, room_id, principal.id, body.seq)
    if marked is None:
        raise not_found("room", "room_not_found")
    await session.commit()  # the `read` event (if the marker moved) goes out with it
    return ReadOut(room_id=room_id, seq=marked)


router.include_router(life_router)
