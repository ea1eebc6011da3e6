"""HTTP routes of rooms and membership (`/api/v1/rooms/*`, `/api/v1/me/rooms`, `/me/invites`).

Every route needs a logged-in member; what each role may do is decided in `guard`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from parley.accounts.api import CurrentMember
from parley.core.deps import DbSession, IdPath, PageQuery, ReadSession, RuntimeDep
from parley.core.http import ParleyRoute
from parley.core.schemas import Page
from parley.core.text import printable_line
from parley.rooms import listing, membership, notify, retention, service
from parley.rooms.guard import RoomAccess
from parley.rooms.listing import BROWSE_PAGE_SIZE, MEMBERS_PAGE_SIZE
from parley.rooms.models import Room
from parley.rooms.schemas import (
    BanOut,
    BanRequest,
    InviteOut,
    InviteRequest,
    MyRoomOut,
    NotifySettingsIn,
    NotifySettingsOut,
    RetentionUpdate,
    RoleChange,
    RoomCreate,
    RoomDetail,
    RoomMemberOut,
    RoomOut,
    RoomUpdate,
)

router = APIRouter(route_class=ParleyRoute, tags=["rooms"])
SearchQuery = Annotated[str, printable_line(0, 50), Query(max_length=200)]
NO_CONTENT = status.HTTP_204_NO_CONTENT


def _no_content() -> Response:
    return Response(status_code=NO_CONTENT)


def _detail(room: Room, role: str | None, invited: bool = False) -> RoomDetail:
    fields = RoomOut.model_validate(room).model_dump()
    extra = {"role": role, "invited": invited, "retention_days": room.retention_days}
    return RoomDetail.model_validate({**fields, **extra})


def _access_detail(access: RoomAccess) -> RoomDetail:
    return _detail(access.room, access.role, access.invited)


@router.post("/rooms", status_code=status.HTTP_201_CREATED)
async def create_room(body: RoomCreate, principal: CurrentMember, session: DbSession) -> RoomDetail:
    """Create a room; the caller becomes its owner. Names are unique, ignoring case."""
    return _detail(await service.create_room(session, principal, body), "owner")


@router.get("/rooms")
async def browse_rooms(
    principal: CurrentMember, session: ReadSession, q: SearchQuery = "", page: PageQuery = 1
) -> Page[RoomOut]:
    """Public rooms whose name contains `q` (case-insensitive), by name, 20 a page."""
    rooms, more = await listing.browse(session, q, page)
    return Page[RoomOut](items=rooms, page=page, page_size=BROWSE_PAGE_SIZE, has_more=more)


@router.get("/me/rooms")
async def my_rooms(principal: CurrentMember, session: ReadSession) -> list[MyRoomOut]:
    """The caller's rooms, most recently active first, with unread counts and a preview."""
    return await listing.my_rooms(session, principal.id)


@router.get("/me/rooms/{room_id}/settings")
async def get_room_settings(
    room_id: IdPath, principal: CurrentMember, session: ReadSession
) -> NotifySettingsOut:
    """The caller's notification level in the room (members only)."""
    return _settings(await notify.get_level(session, room_id, principal.id))


@router.put("/me/rooms/{room_id}/settings")
async def put_room_settings(
    room_id: IdPath, body: NotifySettingsIn, principal: CurrentMember, session: DbSession
) -> NotifySettingsOut:
    """Set the caller's notification level in the room: `all` messages, only `mentions`
    (and whispers), or `none`; `muted_until` silences every notification until then."""
    level = await notify.set_level(session, room_id, principal.id, body.notify, body.muted_until)
    return _settings(level)


def _settings(level: notify.NotifyLevel) -> NotifySettingsOut:
    return NotifySettingsOut(
        room_id=level.room_id,
        notify=level.notify,
        muted_until=level.muted_until,
        is_default=level.is_default,
    )


@router.get("/me/invites")
async def my_invites(principal: CurrentMember, session: ReadSession) -> list[InviteOut]:
    """Pending invites to the caller; join the room to accept one."""
    return await listing.invites_of(session, principal.member)


@router.delete("/me/invites/{room_id}", status_code=NO_CONTENT)
async def decline_invite(room_id: IdPath, principal: CurrentMember, session: DbSession) -> Response:
    await membership.decline_invite(session, room_id, principal)
    return _no_content()


@router.get("/rooms/{room_id}")
async def read_room(room_id: IdPath, principal: CurrentMember, session: ReadSession) -> RoomDetail:
    """A public room for anyone; a private one for its members, invitees and site admins."""
    return _access_detail(await service.room_detail(session, room_id, principal))


@router.patch("/rooms/{room_id}")
async def update_room(
    room_id: IdPath,
    body: RoomUpdate,
    principal: CurrentMember,
    session: DbSession,
    runtime: RuntimeDep,
) -> RoomDetail:
    """Change name, topic, privacy, capacity, invite policy or slow mode (owner and admins)."""
    access = await service.update_room(session, room_id, principal, body.changes())
    if runtime.messaging is not None:  # a new slow mode applies to the next send here
        runtime.messaging.forget_room_rules(room_id)
    return _access_detail(access)


@router.put("/rooms/{room_id}/retention")
async def set_room_retention(
    room_id: IdPath, body: RetentionUpdate, principal: CurrentMember, session: DbSession
) -> RoomDetail:
    """How long the room keeps messages (the owner or a site admin; audited): `days` 0
    keeps forever, null follows the instance's `PARLEY_RETENTION_DAYS`."""
    return _access_detail(await retention.update_retention(session, room_id, principal, body.days))


@router.delete("/rooms/{room_id}", status_code=NO_CONTENT)
async def delete_room(room_id: IdPath, principal: CurrentMember, session: DbSession) -> Response:
    """Delete the room and its history (the owner or a site admin)."""
    await service.delete_room(session, room_id, principal)
    return _no_content()


@router.post("/rooms/{room_id}/join")
async def join_room(room_id: IdPath, principal: CurrentMember, session: DbSession) -> RoomDetail:
    """Join a public room, or a private room you hold an invite to."""
    return _detail(await membership.join(session, room_id, principal), "member")


@router.post("/rooms/{room_id}/leave", status_code=NO_CONTENT)
async def leave_room(room_id: IdPath, principal: CurrentMember, session: DbSession) -> Response:
    """Leave; an owner's role passes to the oldest admin or member; the last one out deletes."""
    await membership.leave(session, room_id, principal)
    return _no_content()


@router.get("/rooms/{room_id}/members")
async def list_members(
    room_id: IdPath,
    principal: CurrentMember,
    session: ReadSession,
    runtime: RuntimeDep,
    page: PageQuery = 1,
) -> Page[RoomMemberOut]:
    """Members by join date, 100 a page, each with whether they are online now."""
    items, more = await service.list_members(session, room_id, principal, page)
    presence = runtime.require_messaging().presence
    items = [item.model_copy(update={"online": presence.is_online(item.id)}) for item in items]
    return Page[RoomMemberOut](items=items, page=page, page_size=MEMBERS_PAGE_SIZE, has_more=more)


@router.post("/rooms/{room_id}/invites", status_code=status.HTTP_201_CREATED)
async def invite_member(
    room_id: IdPath, body: InviteRequest, principal: CurrentMember, session: DbSession
) -> InviteOut:
    """Invite a member (private rooms: moderators, or anyone if `members_can_invite`)."""
    room, target, row = await membership.invite(session, room_id, principal, body.member_id)
    return listing.invite_out(room, target, row, principal.member.nickname)


@router.patch("/rooms/{room_id}/members/{member_id}")
async def change_role(
    room_id: IdPath,
    member_id: IdPath,
    body: RoleChange,
    principal: CurrentMember,
    session: DbSession,
    runtime: RuntimeDep,
) -> RoomMemberOut:
    """Make a member a room admin, or an admin a plain member (owner only)."""
    row, nickname = await membership.change_role(session, room_id, principal, member_id, body.role)
    if runtime.messaging is not None:  # admins are not slowed: the next send here knows
        runtime.messaging.forget_room_rules(room_id, member_id)
    return RoomMemberOut.model_validate(
        {"id": member_id, "nickname": nickname, "role": row.role, "joined_at": row.joined_at}
    )


@router.delete("/rooms/{room_id}/members/{member_id}", status_code=NO_CONTENT)
async def kick_member(
    room_id: IdPath, member_id: IdPath, principal: CurrentMember, session: DbSession
) -> Response:
    """Remove a member (the owner: anyone; admins: plain members). They may rejoin."""
    await membership.kick(session, room_id, principal, member_id)
    return _no_content()


@router.post("/rooms/{room_id}/bans", status_code=status.HTTP_201_CREATED)
async def ban_member(
    room_id: IdPath, body: BanRequest, principal: CurrentMember, session: DbSession
) -> BanOut:
    """Ban a member: out of the room, invite withdrawn, no rejoining until unbanned."""
    row, target = await membership.ban(session, room_id, principal, body.member_id, body.reason)
    return listing.ban_out(row, target.nickname, principal.member.nickname)


@router.get("/rooms/{room_id}/bans")
async def list_bans(
    room_id: IdPath, principal: CurrentMember, session: ReadSession, page: PageQuery = 1
) -> Page[BanOut]:
    """Bans, newest first (owner and room admins)."""
    items, more = await service.list_bans(session, room_id, principal, page)
    return Page[BanOut](items=items, page=page, page_size=MEMBERS_PAGE_SIZE, has_more=more)


@router.delete("/rooms/{room_id}/bans/{member_id}", status_code=NO_CONTENT)
async def unban_member(
    room_id: IdPath, member_id: IdPath, principal: CurrentMember, session: DbSession
) -> Response:
    await membership.unban(session, room_id, principal, member_id)
    return _no_content()
