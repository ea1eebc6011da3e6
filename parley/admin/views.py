"""HTTP routes of the site admin (`/api/v1/admin/*`): settings, invites, members, rooms."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from parley.accounts import api as accounts
from parley.admin import service
from parley.admin.deps import SiteAdmin
from parley.admin.schemas import (
    AdminMemberOut,
    AdminRoomOut,
    InviteCreate,
    InviteCreated,
    InviteOut,
    MemberStatus,
    OwnerChange,
    RecoveryIssued,
    RoleUpdate,
    SettingsOut,
    SettingsUpdate,
    SuspendRequest,
)
from parley.core.deps import DbSession, IdPath, PageQuery, ReadSession, RuntimeDep
from parley.core.http import ParleyRoute
from parley.core.schemas import Page
from parley.core.text import printable_line
from parley.rooms import api as rooms

router = APIRouter(route_class=ParleyRoute, tags=["admin"], prefix="/admin")
NO_CONTENT = status.HTTP_204_NO_CONTENT
SearchQuery = Annotated[str, printable_line(0, 64), Query(max_length=256)]
PAGE_SIZE = 50


@router.get("/settings")
async def read_settings(admin: SiteAdmin, session: ReadSession) -> SettingsOut:
    return SettingsOut(registration=await accounts.community.registration_mode(session))


@router.patch("/settings")
async def update_settings(
    body: SettingsUpdate, admin: SiteAdmin, session: DbSession, runtime: RuntimeDep
) -> SettingsOut:
    """Who may sign up: `open`, `invite` (with a code) or `closed`."""
    await service.set_registration(session, runtime, admin, body.registration)
    return SettingsOut(registration=body.registration)


@router.post("/invites", status_code=status.HTTP_201_CREATED)
async def create_invite(
    body: InviteCreate, admin: SiteAdmin, session: DbSession, runtime: RuntimeDep
) -> InviteCreated:
    """A sign-up invite code (shown once) with a number of uses and an optional expiry."""
    return await service.create_invite(
        session, runtime, admin, body.max_uses, body.expires_in_seconds
    )


@router.get("/invites")
async def list_invites(admin: SiteAdmin, session: ReadSession) -> list[InviteOut]:
    return [service.invite_out(i) for i in await accounts.community.list_invites(session)]


@router.delete("/invites/{invite_id}", status_code=NO_CONTENT)
async def revoke_invite(
    invite_id: IdPath, admin: SiteAdmin, session: DbSession, runtime: RuntimeDep
) -> Response:
    await service.revoke_invite(session, runtime, admin, invite_id)
    return Response(status_code=NO_CONTENT)


@router.get("/members")
async def list_members(
    admin: SiteAdmin,
    session: ReadSession,
    q: SearchQuery = "",
    status: Annotated[MemberStatus | None, Query()] = None,
    page: PageQuery = 1,
) -> Page[AdminMemberOut]:
    """Members by login id or nickname (substring), optionally only suspended or admins."""
    members, more = await accounts.moderation.list_members(session, q, status, page, PAGE_SIZE)
    return Page[AdminMemberOut](
        items=[service.member_out(m) for m in members],
        page=page,
        page_size=PAGE_SIZE,
        has_more=more,
    )


@router.post("/members/{member_id}/suspend")
async def suspend_member(
    member_id: IdPath,
    body: SuspendRequest,
    admin: SiteAdmin,
    session: DbSession,
    runtime: RuntimeDep,
) -> AdminMemberOut:
    """Suspend: login refused, every session ended, every open socket closed (4001)."""
    member = await service.suspend(session, runtime, admin, member_id, body.reason, body.until)
    return service.member_out(member)


@router.post("/members/{member_id}/unsuspend")
async def unsuspend_member(
    member_id: IdPath, admin: SiteAdmin, session: DbSession, runtime: RuntimeDep
) -> AdminMemberOut:
    return service.member_out(await service.unsuspend(session, runtime, admin, member_id))


@router.post("/members/{member_id}/logout", status_code=NO_CONTENT)
async def end_member_sessions(
    member_id: IdPath, admin: SiteAdmin, session: DbSession, runtime: RuntimeDep
) -> Response:
    """End every session of the member (they may log in again)."""
    await service.end_sessions(session, runtime, admin, member_id)
    return Response(status_code=NO_CONTENT)


@router.patch("/members/{member_id}")
async def update_member(
    member_id: IdPath,
    body: RoleUpdate,
    admin: SiteAdmin,
    session: DbSession,
    runtime: RuntimeDep,
) -> AdminMemberOut:
    member = await service.set_role(session, runtime, admin, member_id, body.role)
    return service.member_out(member)


@router.delete("/members/{member_id}", status_code=NO_CONTENT)
async def delete_member(
    member_id: IdPath, admin: SiteAdmin, session: DbSession, runtime: RuntimeDep
) -> Response:
    """Delete the account as a withdrawal does; its login id stays reserved."""
    await service.delete_member(session, runtime, admin, member_id)
    return Response(status_code=NO_CONTENT)


@router.post("/members/{member_id}/recovery", status_code=status.HTTP_201_CREATED)
async def issue_recovery(
    member_id: IdPath, admin: SiteAdmin, session: DbSession, runtime: RuntimeDep
) -> RecoveryIssued:
    """One recovery code to hand to the member (by a channel you trust); shown once."""
    code, expires = await service.issue_recovery(session, runtime, admin, member_id)
    return RecoveryIssued(code=code, expires_at=expires)


@router.get("/rooms")
async def list_rooms(
    admin: SiteAdmin, session: ReadSession, q: SearchQuery = "", page: PageQuery = 1
) -> Page[AdminRoomOut]:
    """Every group room, private ones included."""
    items, more = await rooms.all_rooms(session, q, page, PAGE_SIZE)
    return Page[AdminRoomOut](
        items=[AdminRoomOut.model_validate(r, from_attributes=True) for r in items],
        page=page,
        page_size=PAGE_SIZE,
        has_more=more,
    )


@router.delete("/rooms/{room_id}", status_code=NO_CONTENT)
async def delete_room(
    room_id: IdPath, admin: SiteAdmin, session: DbSession, runtime: RuntimeDep
) -> Response:
    await service.delete_room(session, runtime, admin, room_id)
    return Response(status_code=NO_CONTENT)


@router.post("/rooms/{room_id}/owner", status_code=NO_CONTENT)
async def transfer_room(
    room_id: IdPath, body: OwnerChange, admin: SiteAdmin, session: DbSession, runtime: RuntimeDep
) -> Response:
    """Make a member of the room its owner; the previous owner becomes a room admin."""
    await service.transfer_room(session, runtime, admin, room_id, body.member_id)
    if runtime.messaging is not None:  # two roles changed: the next send here knows
        runtime.messaging.forget_room_rules(room_id)
    return Response(status_code=NO_CONTENT)
