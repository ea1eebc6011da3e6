"""Membership rules: join, leave, invite, kick, ban, unban, roles and ownership.

Every change runs under the room's row lock (see `guard`), records a system message and a
`member` frame in the same transaction, and commits once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import case, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from parley.accounts.api import Member, get_member
from parley.core.database import utcnow
from parley.core.errors import ParleyError, conflict, forbidden, not_found
from parley.rooms.events import MemberEvent, announce_member, announce_room
from parley.rooms.guard import (
    MODERATORS,
    Need,
    check_outranks,
    direct_room,
    find_ban,
    find_invite,
    find_membership,
    forbidden_role,
    load_room,
    room_access,
    room_not_found,
    rowcount,
)
from parley.rooms.hooks import hooks
from parley.rooms.models import Room, RoomBan, RoomInvite, RoomMember

if TYPE_CHECKING:
    from parley.accounts.api import Principal


def member_not_found() -> ParleyError:
    return not_found("member", "member_not_found")


def banned() -> ParleyError:
    return forbidden("banned", "that member is banned from this room")


async def _member(session: AsyncSession, member_id: int) -> Member:
    member = await get_member(session, member_id)
    if member is None:
        raise member_not_found()
    return member


async def _nickname(session: AsyncSession, member_id: int) -> str:
    return (await _member(session, member_id)).nickname


def _me(principal: Principal) -> tuple[int, str]:
    return principal.id, principal.member.nickname


async def take_seat(session: AsyncSession, room: Room) -> None:
    """Count one more member, or refuse with `room_full`: one conditional UPDATE decides."""
    result = await session.execute(
        update(Room)
        .where(Room.id == room.id, Room.member_count < Room.capacity)
        .values(member_count=Room.member_count + 1)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        raise conflict("room_full", "the room is full")
    set_committed_value(room, "member_count", room.member_count + 1)


async def _free_seat(session: AsyncSession, room: Room) -> None:
    await session.execute(
        update(Room)
        .where(Room.id == room.id)
        .values(member_count=Room.member_count - 1)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(room, "member_count", room.member_count - 1)


async def destroy_room(session: AsyncSession, room: Room) -> None:
    """Delete the room (memberships, bans, invites and messages go with it) and say so."""
    announce_room(session, room, "delete")
    await session.execute(delete(Room).where(Room.id == room.id))


async def _pass_ownership(session: AsyncSession, room: Room) -> None:
    """Make the oldest admin, else the oldest member, the owner."""
    heir = await session.scalar(
        select(RoomMember)
        .where(RoomMember.room_id == room.id)
        .order_by(
            case((RoomMember.role == "admin", 0), else_=1),
            RoomMember.joined_at,
            RoomMember.member_id,
        )
        .limit(1)
        .with_for_update()
    )
    if heir is None:  # pragma: no cover - callers delete an empty room instead
        return
    heir.role = "owner"
    nickname = await _nickname(session, heir.member_id)
    await announce_member(
        session, room, "owner", (heir.member_id, nickname), "owner", f"{nickname} is now the owner"
    )


async def remove_member(
    session: AsyncSession,
    room: Room,
    membership: RoomMember,
    event: MemberEvent,
    body: str,
    **details: int,
) -> None:
    """Take a member out of a locked room: the last one out deletes it; an owner leaving
    passes ownership on."""
    nickname = await _nickname(session, membership.member_id)
    await session.delete(membership)
    await session.flush()
    await _free_seat(session, room)
    if room.member_count <= 0:
        await destroy_room(session, room)
        return
    await announce_member(
        session, room, event, (membership.member_id, nickname), None, body, **details
    )
    if membership.role == "owner":
        await _pass_ownership(session, room)


async def join(session: AsyncSession, room_id: int, principal: Principal) -> Room:
    """Join a public room, or a private one the caller was invited to (using the invite up)."""
    room = await load_room(session, room_id, lock=True)
    if await find_ban(session, room.id, principal.id, lock=True) is not None:
        raise forbidden("banned", "you are banned from this room")
    if await find_membership(session, room.id, principal.id, lock=True) is not None:
        raise conflict("already_member", "you are already a member of this room")
    if room.kind == "direct":  # its pair is fixed, and it does not leak to others
        raise room_not_found()
    invite = await find_invite(session, room.id, principal.id, lock=True)
    if room.is_private and invite is None:
        if principal.is_admin:  # site admins may see the room, so it does not leak
            raise forbidden("not_invited", "this room is private; you need an invite")
        raise room_not_found()
    if invite is not None:
        await session.delete(invite)
    await take_seat(session, room)
    membership = RoomMember(
        room_id=room.id, member_id=principal.id, role="member", joined_at=utcnow()
    )
    session.add(membership)
    await session.flush()
    nickname = principal.member.nickname
    await announce_member(session, room, "join", _me(principal), "member", f"{nickname} joined")
    # a newcomer starts with everything read: earlier history is not "unread" to them
    membership.last_read_seq = int(
        await session.scalar(select(Room.last_seq).where(Room.id == room.id)) or 0
    )
    await session.commit()
    return room


async def leave(session: AsyncSession, room_id: int, principal: Principal) -> None:
    access = await room_access(session, room_id, principal, Need.MEMBER, lock=True)
    assert access.membership is not None
    body = f"{principal.member.nickname} left"
    await remove_member(session, access.room, access.membership, "leave", body)
    await session.commit()


async def invite(
    session: AsyncSession, room_id: int, principal: Principal, target_id: int
) -> tuple[Room, Member, RoomInvite]:
    """Invite a member. Private rooms: moderators, or anyone when `members_can_invite`."""
    access = await room_access(session, room_id, principal, Need.MEMBER, lock=True)
    room = access.room
    if room.kind == "direct":
        raise direct_room()
    if room.is_private and not room.members_can_invite and access.role not in MODERATORS:
        raise forbidden_role("only the owner and room admins may invite to this room")
    target = await _member(session, target_id)
    if await hooks.has_blocked(session, target.id, principal.id):
        raise forbidden("blocked", "that member has blocked you")
    if await find_ban(session, room.id, target.id, lock=True) is not None:
        raise banned()
    if await find_membership(session, room.id, target.id, lock=True) is not None:
        raise conflict("already_member", "that member is already in the room")
    if await find_invite(session, room.id, target.id, lock=True) is not None:
        raise conflict("already_invited", "that member already has an invite")
    row = RoomInvite(
        room_id=room.id, member_id=target.id, invited_by=principal.id, created_at=utcnow()
    )
    session.add(row)
    body = f"{principal.member.nickname} invited {target.nickname}"
    await announce_member(
        session, room, "invite", (target.id, target.nickname), None, body, by=principal.id
    )
    await session.commit()
    return room, target, row


async def _target_membership(
    session: AsyncSession, room_id: int, principal: Principal, target_id: int, need: Need
) -> tuple[Room, RoomMember]:
    """Lock the room, check the caller's role, and find the member acted upon."""
    access = await room_access(session, room_id, principal, need, lock=True)
    target = await find_membership(session, access.room.id, target_id, lock=True)
    if target is None:
        raise member_not_found()
    check_outranks(access.role, target.role)
    return access.room, target


async def kick(session: AsyncSession, room_id: int, principal: Principal, target_id: int) -> None:
    room, target = await _target_membership(session, room_id, principal, target_id, Need.MODERATOR)
    nickname = await _nickname(session, target_id)
    body = f"{principal.member.nickname} removed {nickname}"
    await remove_member(session, room, target, "kick", body, by=principal.id)
    await hooks.audit(session, principal, "room.kick", room_id=room.id, target_id=target_id)
    await session.commit()


async def ban(
    session: AsyncSession, room_id: int, principal: Principal, target_id: int, reason: str
) -> tuple[RoomBan, Member]:
    """Ban a member (in the room or not): membership and pending invite go too."""
    access = await room_access(session, room_id, principal, Need.MODERATOR, lock=True)
    room = access.room
    target = await _member(session, target_id)
    if await find_ban(session, room.id, target.id, lock=True) is not None:
        raise conflict("already_banned", "that member is already banned")
    membership = await find_membership(session, room.id, target.id, lock=True)
    if membership is not None:
        check_outranks(access.role, membership.role)
    await session.execute(
        delete(RoomInvite).where(RoomInvite.room_id == room.id, RoomInvite.member_id == target.id)
    )
    row = RoomBan(
        room_id=room.id,
        member_id=target.id,
        banned_by=principal.id,
        reason=reason,
        created_at=utcnow(),
    )
    session.add(row)
    body = f"{principal.member.nickname} banned {target.nickname}"
    if membership is not None:
        await remove_member(session, room, membership, "ban", body, by=principal.id)
    else:
        await announce_member(
            session, room, "ban", (target.id, target.nickname), None, body, by=principal.id
        )
    await hooks.audit(
        session, principal, "room.ban", room_id=room.id, target_id=target.id, reason=reason
    )
    await session.commit()
    return row, target


async def unban(session: AsyncSession, room_id: int, principal: Principal, target_id: int) -> None:
    access = await room_access(session, room_id, principal, Need.MODERATOR, lock=True)
    row = await find_ban(session, access.room.id, target_id, lock=True)
    if row is None:
        raise not_found("ban", "ban_not_found")
    await session.delete(row)
    nickname = await _nickname(session, target_id)
    await announce_member(session, access.room, "unban", (target_id, nickname), None, None)
    await hooks.audit(session, principal, "room.unban", room_id=access.room.id, target_id=target_id)
    await session.commit()


async def change_role(
    session: AsyncSession, room_id: int, principal: Principal, target_id: int, role: str
) -> tuple[RoomMember, str]:
    """The owner makes a member an admin or an admin a member again."""
    room, target = await _target_membership(session, room_id, principal, target_id, Need.OWNER)
    nickname = await _nickname(session, target_id)
    if target.role != role:
        target.role = role
        body = f"{nickname} is now an admin" if role == "admin" else f"{nickname} is a member"
        await announce_member(
            session, room, "role", (target_id, nickname), role, body, by=principal.id
        )
        await hooks.audit(
            session, principal, "room.role", room_id=room.id, target_id=target_id, role=role
        )
        await session.commit()
    return target, nickname


async def decline_invite(session: AsyncSession, room_id: int, principal: Principal) -> None:
    result = await session.execute(
        delete(RoomInvite).where(
            RoomInvite.room_id == room_id, RoomInvite.member_id == principal.id
        )
    )
    if rowcount(result) == 0:
        raise not_found("invite", "invite_not_found")
    await session.commit()
