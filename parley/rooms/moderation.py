"""Room moderation beyond kicks and bans: muting a member for a time, slow mode, and a site
admin handing a room to a new owner.

The send path asks `send_restrictions` before a send reaches the message writer (WebSocket
and HTTP alike, `parley.realtime.service`): a muted member is refused `muted`, and slow mode
is enforced there too, so the writer stays as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.api import nickname_of
from parley.core.database import utcnow
from parley.core.errors import not_found
from parley.rooms.events import announce_member, announce_mute
from parley.rooms.guard import (
    MODERATORS,
    Need,
    check_outranks,
    direct_room,
    find_membership,
    load_room,
    room_access,
)
from parley.rooms.hooks import hooks
from parley.rooms.membership import member_not_found
from parley.rooms.models import Room, RoomMember, RoomMute

if TYPE_CHECKING:
    from parley.accounts.api import Principal


@dataclass(frozen=True, slots=True)
class SendRestrictions:
    """What limits a member's sends in a room right now."""

    slow_mode_seconds: int
    muted_until: datetime | None
    #: owners and room admins are not slowed down
    moderator: bool


async def send_restrictions(
    session: AsyncSession, room_id: int, member_id: int
) -> SendRestrictions:
    """One read: the room's slow mode, the member's role and any mute in force."""
    row = (
        await session.execute(
            select(Room.slow_mode_seconds, RoomMember.role, RoomMute.until)
            .select_from(Room)
            .outerjoin(
                RoomMember, (RoomMember.room_id == Room.id) & (RoomMember.member_id == member_id)
            )
            .outerjoin(RoomMute, (RoomMute.room_id == Room.id) & (RoomMute.member_id == member_id))
            .where(Room.id == room_id)
        )
    ).first()
    if row is None:
        return SendRestrictions(0, None, False)
    slow, role, until = row
    muted = until if until is not None and until > utcnow() else None
    return SendRestrictions(int(slow or 0), muted, role in MODERATORS)


async def mute(
    session: AsyncSession, room_id: int, principal: Principal, target_id: int, seconds: int
) -> RoomMute:
    """Mute a member (the owner: anyone; admins: plain members) for `seconds`."""
    access = await room_access(session, room_id, principal, Need.MODERATOR, lock=True)
    target = await find_membership(session, access.room.id, target_id, lock=True)
    if target is None:
        raise member_not_found()
    check_outranks(access.role, target.role)
    until = utcnow() + timedelta(seconds=seconds)
    row = await session.get(RoomMute, (access.room.id, target_id), with_for_update=True)
    if row is None:
        row = RoomMute(room_id=access.room.id, member_id=target_id, until=until)
        session.add(row)
    row.until, row.muted_by, row.created_at = until, principal.id, utcnow()
    announce_mute(session, access.room.id, target_id, until)
    await hooks.audit(
        session,
        principal,
        "room.mute",
        room_id=access.room.id,
        target_id=target_id,
        seconds=seconds,
    )
    await session.commit()
    return row


async def unmute(session: AsyncSession, room_id: int, principal: Principal, target_id: int) -> None:
    access = await room_access(session, room_id, principal, Need.MODERATOR, lock=True)
    result = await session.execute(
        delete(RoomMute).where(RoomMute.room_id == access.room.id, RoomMute.member_id == target_id)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise not_found("mute", "mute_not_found")
    announce_mute(session, access.room.id, target_id, None)
    await hooks.audit(
        session, principal, "room.unmute", room_id=access.room.id, target_id=target_id
    )
    await session.commit()


async def list_mutes(session: AsyncSession, room_id: int, principal: Principal) -> list[RoomMute]:
    access = await room_access(session, room_id, principal, Need.MODERATOR)
    rows = await session.scalars(
        select(RoomMute)
        .where(RoomMute.room_id == access.room.id, RoomMute.until > utcnow())
        .order_by(RoomMute.until)
        .limit(500)
    )
    return list(rows)


async def transfer_ownership(session: AsyncSession, room_id: int, member_id: int) -> Room:
    """Make `member_id` (already a member) the owner; the old owner becomes a room admin.
    For site admins (the caller checked): no room role is needed. The caller commits."""
    room = await load_room(session, room_id, lock=True)
    if room.kind == "direct":
        raise direct_room()
    heir = await find_membership(session, room.id, member_id, lock=True)
    if heir is None:
        raise member_not_found()
    if heir.role == "owner":
        return room
    owner = await session.scalar(
        select(RoomMember)
        .where(RoomMember.room_id == room.id, RoomMember.role == "owner")
        .with_for_update()
    )
    if owner is not None:
        owner.role = "admin"
        name = await nickname_of(session, owner.member_id) or ""
        await announce_member(
            session, room, "role", (owner.member_id, name), "admin", f"{name} is now an admin"
        )
    heir.role = "owner"
    name = await nickname_of(session, member_id) or ""
    await announce_member(
        session, room, "owner", (member_id, name), "owner", f"{name} is now the owner"
    )
    return room


async def all_rooms(
    session: AsyncSession, q: str, page: int, limit: int
) -> tuple[list[Room], bool]:
    """Every group room, private ones included (the site admin's list); by name or id."""
    from parley.core.text import contains_pattern

    statement = select(Room).where(Room.kind == "group")
    if q:
        statement = statement.where(Room.name_key.like(contains_pattern(q), escape="\\"))
    rows = list(
        await session.scalars(
            statement.order_by(Room.id).offset((page - 1) * limit).limit(limit + 1)
        )
    )
    return rows[:limit], len(rows) > limit


async def is_moderator(session: AsyncSession, room_id: int, member_id: int) -> bool:
    membership = await find_membership(session, room_id, member_id)
    return membership is not None and membership.role in MODERATORS
