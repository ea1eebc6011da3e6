"""HTTP routes whose work spans domains: withdrawal, nickname change, direct rooms, my export.

The paths stay where clients expect them (`/me`, `/dms`); only the code that serves them
lives in the orchestration layer.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from fastapi.responses import StreamingResponse

from parley.accounts.api import CurrentMember, MemberOut, NicknameChange, WithdrawRequest
from parley.core.database import utcnow
from parley.core.deps import DbSession, IdPath, ReadSession, RuntimeDep
from parley.core.errors import not_found
from parley.core.http import ParleyRoute
from parley.flows import accounts, dms, export
from parley.rooms.api import RoomOut, room_payload
from parley.social.api import DirectRoomOut, MemberRequest

router = APIRouter(route_class=ParleyRoute)


@router.patch("/me", tags=["me"])
async def update_me(
    body: NicknameChange, principal: CurrentMember, session: DbSession
) -> MemberOut:
    """Change the nickname; others see it on every message, old and new, live."""
    member = await accounts.change_nickname(session, principal, body.nickname)
    return MemberOut.model_validate(member)


@router.delete("/me/bots/{bot_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["bots"])
async def delete_bot(bot_id: IdPath, principal: CurrentMember, session: DbSession) -> Response:
    """Delete one of my bots: it leaves its rooms, its tokens stop working at once (its
    sockets close with 4001); its messages stay, under its name."""
    await accounts.delete_bot(session, principal, bot_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/me", status_code=status.HTTP_204_NO_CONTENT, tags=["me"])
async def withdraw(
    body: WithdrawRequest, principal: CurrentMember, session: DbSession, runtime: RuntimeDep
) -> Response:
    """Delete the account (password required). Messages remain as from a deleted member."""
    await accounts.withdraw(session, runtime, principal, body.password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/dms", tags=["social"])
async def open_direct_room(
    body: MemberRequest, principal: CurrentMember, session: DbSession
) -> RoomOut:
    """The direct-message room of the caller and `member_id`, created on first use."""
    room = await dms.open_direct_room(session, principal.id, body.member_id)
    return RoomOut.model_validate(room_payload(room))


@router.get("/me/dms", tags=["social"])
async def my_direct_rooms(principal: CurrentMember, session: ReadSession) -> list[DirectRoomOut]:
    """The caller's direct rooms (also in `/me/rooms`, with `kind: "direct"`), with the peer."""
    return await dms.direct_rooms_of(session, principal.id)


_ZIP = {"application/zip": {"schema": {"type": "string", "format": "binary"}}}


@router.get(
    "/me/export",
    tags=["me"],
    response_class=StreamingResponse,
    responses={200: {"description": "a zip of the caller's data", "content": _ZIP}},
)
async def export_my_data(principal: CurrentMember, runtime: RuntimeDep) -> StreamingResponse:
    """My data as a zip, streamed: profile, memberships, messages I sent, my direct rooms and
    my uploads. No password hash, no token, no whisper between others."""
    try:
        chunks = await export.member_export(runtime, principal.id)
    except LookupError:
        raise not_found("member", "member_not_found") from None
    day = utcnow().date().isoformat()
    return StreamingResponse(
        chunks,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="parley-{principal.id}-{day}.zip"',
            "Cache-Control": "no-store",
        },
    )
