"""HTTP routes of a message's life: edit, delete, reactions, pins, versions, my mentions.

Every change answers with the message's whole current state (delete: 204) after its commit;
subscribers receive the same state as a `message_update` frame with the room's next seq.
A change that changes nothing (a repeated reaction, an unchanged body) answers the same way
but spends no seq and sends no frame.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.api import CurrentMember
from parley.chat import changes
from parley.chat.emoji_keys import normalise_emoji
from parley.chat.history import current_message
from parley.chat.reads import earlier_versions, my_mentions, pinned, visible_message
from parley.chat.schemas import EditMessage, MessageList, MessagePage, VersionList
from parley.core.database import MAX_BIGINT
from parley.core.deps import DbSession, IdPath, ReadSession, SettingsDep
from parley.core.errors import ParleyError
from parley.core.http import ParleyRoute
from parley.core.text import clean_body
from parley.rooms.api import get_membership, get_room

router = APIRouter(route_class=ParleyRoute, tags=["messages"])
EmojiPath = Annotated[str, Path(min_length=1, max_length=64, description="one emoji, URL-encoded")]
MESSAGE = "/rooms/{room_id}/messages/{message_id}"


async def require_member(session: AsyncSession, room_id: int, member_id: int) -> None:
    """Members only; a private room is invisible (404) to everyone else."""
    room = await get_room(session, room_id)
    if room is None:
        raise ParleyError(404, "room_not_found", "room not found")
    if await get_membership(session, room_id, member_id) is None:
        if room.is_private:
            raise ParleyError(404, "room_not_found", "room not found")
        raise ParleyError(403, "not_a_member", "join the room to read or write its messages")


async def _settle(
    session: AsyncSession, changed: dict[str, Any] | None, message_id: int
) -> dict[str, Any]:
    """Commit a change (its event goes out with it), or roll back a no-op and answer the
    message as it stands."""
    if changed is not None:
        await session.commit()
        return changed
    await session.rollback()
    current = await current_message(session, message_id)
    assert current is not None  # the change found it visible a moment ago
    return current


def _emoji(value: str) -> str:
    emoji = normalise_emoji(value)
    if emoji is None:
        raise ParleyError(422, "invalid_emoji", "a reaction is exactly one Unicode emoji")
    return emoji


@router.patch(MESSAGE)
async def edit_message(
    room_id: IdPath,
    message_id: IdPath,
    body: EditMessage,
    principal: CurrentMember,
    session: DbSession,
    settings: SettingsDep,
) -> dict[str, Any]:
    """The sender edits (within `PARLEY_EDIT_WINDOW_SECONDS`, 0 = always); the previous
    version is kept (`…/edits`)."""
    text = clean_body(body.body)
    if not text:
        raise ParleyError(422, "empty_body", "body is empty")
    if len(text) > settings.message_max_chars:
        raise ParleyError(
            422, "body_too_long", f"body is longer than {settings.message_max_chars} characters"
        )
    changed = await changes.edit(
        session, room_id, message_id, principal, text, settings.edit_window_seconds
    )
    return await _settle(session, changed, message_id)


@router.delete(MESSAGE, status_code=status.HTTP_204_NO_CONTENT)
async def delete_message(
    room_id: IdPath, message_id: IdPath, principal: CurrentMember, session: DbSession
) -> Response:
    """Its sender, the room's owner/admins or a site admin; a tombstone stays."""
    changed = await changes.delete_message(session, room_id, message_id, principal)
    await _settle(session, changed, message_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(MESSAGE + "/edits")
async def list_edits(
    room_id: IdPath, message_id: IdPath, principal: CurrentMember, session: ReadSession
) -> VersionList:
    """Earlier versions, oldest first (members who can see the message)."""
    await require_member(session, room_id, principal.id)
    if await visible_message(session, room_id, message_id, principal.id) is None:
        raise ParleyError(404, "message_not_found", "message not found")
    return VersionList.model_validate({"items": await earlier_versions(session, message_id)})


@router.put(MESSAGE + "/reactions/{emoji}")
async def add_reaction(
    room_id: IdPath,
    message_id: IdPath,
    emoji: EmojiPath,
    principal: CurrentMember,
    session: DbSession,
) -> dict[str, Any]:
    """Idempotent; at most 20 different emoji per message."""
    chosen = _emoji(emoji)
    changed = await changes.react(session, room_id, message_id, principal, chosen, True)
    return await _settle(session, changed, message_id)


@router.delete(MESSAGE + "/reactions/{emoji}")
async def remove_reaction(
    room_id: IdPath,
    message_id: IdPath,
    emoji: EmojiPath,
    principal: CurrentMember,
    session: DbSession,
) -> dict[str, Any]:
    """Idempotent: removing a reaction that is not there changes nothing."""
    chosen = _emoji(emoji)
    changed = await changes.react(session, room_id, message_id, principal, chosen, False)
    return await _settle(session, changed, message_id)


@router.put("/rooms/{room_id}/pins/{message_id}")
async def pin_message(
    room_id: IdPath, message_id: IdPath, principal: CurrentMember, session: DbSession
) -> dict[str, Any]:
    """Room owner/admins; idempotent."""
    changed = await changes.pin(session, room_id, message_id, principal, True)
    return await _settle(session, changed, message_id)


@router.delete("/rooms/{room_id}/pins/{message_id}")
async def unpin_message(
    room_id: IdPath, message_id: IdPath, principal: CurrentMember, session: DbSession
) -> dict[str, Any]:
    """Room owner/admins; idempotent."""
    changed = await changes.pin(session, room_id, message_id, principal, False)
    return await _settle(session, changed, message_id)


@router.get("/rooms/{room_id}/pins")
async def list_pins(room_id: IdPath, principal: CurrentMember, session: ReadSession) -> MessageList:
    """The room's pinned messages (members), most recently pinned first, at most 100."""
    await require_member(session, room_id, principal.id)
    return MessageList(items=await pinned(session, room_id, principal.id))


@router.get("/me/mentions")
async def list_my_mentions(
    principal: CurrentMember,
    session: ReadSession,
    before_id: Annotated[int | None, Query(ge=1, le=MAX_BIGINT)] = None,
    room_id: Annotated[int | None, Query(ge=1, le=MAX_BIGINT)] = None,
    before_seq: Annotated[int | None, Query(ge=0, le=MAX_BIGINT)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> MessagePage:
    """Messages that mention me, newest first, across my rooms. Page with `before_id` (the
    last item's id); `before_seq` pages within one room and needs `room_id`."""
    if before_seq is not None and room_id is None:
        raise ParleyError(422, "invalid_field", "before_seq needs room_id (seqs are per room)")
    items, has_more = await my_mentions(
        session,
        principal.id,
        before_id=before_id,
        room_id=room_id,
        before_seq=before_seq,
        limit=limit,
    )
    return MessagePage(items=items, has_more=has_more)
