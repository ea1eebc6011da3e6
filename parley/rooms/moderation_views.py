"""HTTP routes of room mutes (`/api/v1/rooms/{id}/mutes`) and of the owner handing the room
over (`/api/v1/rooms/{id}/owner`); slow mode is `PATCH /rooms/{id}`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field, Strict

from parley.accounts.api import CurrentMember
from parley.core.database import MAX_BIGINT
from parley.core.deps import DbSession, IdPath, ReadSession, RuntimeDep
from parley.core.http import ParleyRoute
from parley.core.runtime import Runtime
from parley.core.schemas import StrictModel
from parley.rooms import moderation
from parley.rooms.models import RoomMute

router = APIRouter(route_class=ParleyRoute, tags=["rooms"])


class MuteRequest(StrictModel):
    member_id: Annotated[int, Strict(), Field(ge=1, le=MAX_BIGINT)]
    #: one second to thirty days
    seconds: Annotated[int, Strict(), Field(ge=1, le=30 * 86_400)]


class OwnerChange(StrictModel):
    member_id: Annotated[int, Strict(), Field(ge=1, le=MAX_BIGINT)]


class MuteOut(BaseModel):
    room_id: int
    member_id: int
    until: datetime
    muted_by: int | None


def _out(row: RoomMute) -> MuteOut:
    return MuteOut(
        room_id=row.room_id, member_id=row.member_id, until=row.until, muted_by=row.muted_by
    )


def _forget(runtime: Runtime, room_id: int, member_id: int | None = None) -> None:
    """Sends through this process see the change at once (others when its event, marked
    as a change of send restrictions, reaches them)."""
    if runtime.messaging is not None:
        runtime.messaging.forget_room_rules(room_id, member_id)


@router.post("/rooms/{room_id}/mutes", status_code=status.HTTP_201_CREATED)
async def mute_member(
    room_id: IdPath,
    body: MuteRequest,
    principal: CurrentMember,
    session: DbSession,
    runtime: RuntimeDep,
) -> MuteOut:
    """Mute a member for a time: they still read, their sends are refused `muted`."""
    row = await moderation.mute(session, room_id, principal, body.member_id, body.seconds)
    _forget(runtime, room_id, body.member_id)
    return _out(row)


@router.get("/rooms/{room_id}/mutes")
async def list_mutes(
    room_id: IdPath, principal: CurrentMember, session: ReadSession
) -> list[MuteOut]:
    """The mutes in force (room moderators)."""
    return [_out(row) for row in await moderation.list_mutes(session, room_id, principal)]


@router.delete("/rooms/{room_id}/mutes/{member_id}", status_code=status.HTTP_204_NO_CONTENT)
async def unmute_member(
    room_id: IdPath,
    member_id: IdPath,
    principal: CurrentMember,
    session: DbSession,
    runtime: RuntimeDep,
) -> Response:
    await moderation.unmute(session, room_id, principal, member_id)
    _forget(runtime, room_id, member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/rooms/{room_id}/owner", status_code=status.HTTP_204_NO_CONTENT)
async def hand_over(
    room_id: IdPath,
    body: OwnerChange,
    principal: CurrentMember,
    session: DbSession,
    runtime: RuntimeDep,
) -> Response:
    """The owner makes another member the owner, and becomes a room admin (owner only)."""
    await moderation.hand_over(session, room_id, principal, body.member_id)
    _forget(runtime, room_id, principal.id)
    _forget(runtime, room_id, body.member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
