"""Read-only room listings: browse public rooms, "my rooms" with unread counts, members, bans.

"My rooms" asks the chat domain (through `rooms.hooks`, injected at assembly) for previews and
unread counts: a bounded number of queries whatever the number of rooms.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.api import Member, directory
from parley.core.text import contains_pattern
from parley.rooms.hooks import hooks
from parley.rooms.models import Room, RoomBan, RoomInvite, RoomMember
from parley.rooms.notify import level_of
from parley.rooms.schemas import (
    BanOut,
    InviteOut,
    MessagePreview,
    MyRoomOut,
    RoomMemberOut,
    RoomOut,
)

BROWSE_PAGE_SIZE = 20
MEMBERS_PAGE_SIZE = 100


async def _paged(
    session: AsyncSession, statement: Any, page: int, size: int
) -> tuple[list[Any], bool]:
    """One page of rows plus whether another page follows (by fetching one row more)."""
    rows = list(await session.execute(statement.offset((page - 1) * size).limit(size + 1)))
    return rows[:size], len(rows) > size


async def browse(session: AsyncSession, query: str, page: int) -> tuple[list[RoomOut], bool]:
    """Public rooms whose name contains `query` (case-insensitive), by name."""
    statement = select(Room).where(Room.is_private.is_(False), Room.kind == "group")
    if query:
        statement = statement.where(Room.name_key.like(contains_pattern(query), escape="\\"))
    rows, more = await _paged(
        session, statement.order_by(Room.name_key, Room.id), page, BROWSE_PAGE_SIZE
    )
    return [RoomOut.model_validate(room) for (room,) in rows], more


async def my_rooms(session: AsyncSession, member_id: int) -> list[MyRoomOut]:
    """Every room of the member, most recently active first."""
    rows = list(
        await session.execute(
            select(Room, RoomMember)
            .join(RoomMember, RoomMember.room_id == Room.id)
            .where(RoomMember.member_id == member_id)
        )
    )
    previews = {
        room_id: MessagePreview.model_validate(payload)
        for room_id, payload in (
            await hooks.latest_visible(session, member_id, [room.id for room, _ in rows])
        ).items()
    }
    behind = {
        room.id: seat.last_read_seq for room, seat in rows if room.last_seq > seat.last_read_seq
    }
    unread = await hooks.unread_counts(session, member_id, behind)
    mentioned = await hooks.mention_counts(session, member_id, behind)
    result = [
        MyRoomOut(
            **RoomOut.model_validate(room).model_dump(),
            role=seat.role,
            last_seq=room.last_seq,
            last_read_seq=seat.last_read_seq,
            unread=unread.get(room.id, 0),
            mentions=mentioned.get(room.id, 0),
            last_message=previews.get(room.id),
            notify=level_of(room.kind, seat.notify),
            muted_until=seat.notify_muted_until,
        )
        for room, seat in rows
    ]
    result.sort(
        key=lambda r: (r.last_message.created_at if r.last_message else r.created_at, r.id),
        reverse=True,
    )
    return result


async def members_of(
    session: AsyncSession, room_id: int, page: int
) -> tuple[list[RoomMemberOut], bool]:
    statement = (
        select(
            directory.c.id,
            directory.c.nickname,
            RoomMember.role,
            RoomMember.joined_at,
            RoomMember.last_read_seq,
        )
        .join(RoomMember, RoomMember.member_id == directory.c.id)
        .where(RoomMember.room_id == room_id)
        .order_by(RoomMember.joined_at, RoomMember.member_id)
    )
    rows, more = await _paged(session, statement, page, MEMBERS_PAGE_SIZE)
    members = [
        RoomMemberOut(id=i, nickname=n, role=r, joined_at=j, last_read_seq=seq)
        for i, n, r, j, seq in rows
    ]
    return members, more


def _summary(member_id: int | None, nickname: str | None) -> dict[str, Any] | None:
    return (
        None if member_id is None or nickname is None else {"id": member_id, "nickname": nickname}
    )


async def bans_of(session: AsyncSession, room_id: int, page: int) -> tuple[list[BanOut], bool]:
    target, by = directory.alias("target"), directory.alias("by")
    statement = (
        select(RoomBan, target.c.nickname, by.c.nickname)
        .join(target, target.c.id == RoomBan.member_id)
        .outerjoin(by, by.c.id == RoomBan.banned_by)
        .where(RoomBan.room_id == room_id)
        .order_by(RoomBan.created_at.desc(), RoomBan.member_id)
    )
    rows, more = await _paged(session, statement, page, MEMBERS_PAGE_SIZE)
    return [ban_out(ban, nickname, by_nickname) for ban, nickname, by_nickname in rows], more


def ban_out(ban: RoomBan, nickname: str, by_nickname: str | None) -> BanOut:
    return BanOut.model_validate(
        {
            "member": _summary(ban.member_id, nickname),
            "banned_by": _summary(ban.banned_by, by_nickname),
            "reason": ban.reason,
            "created_at": ban.created_at,
        }
    )


def invite_out(room: Room, member: Member, row: RoomInvite, by_nickname: str | None) -> InviteOut:
    return InviteOut.model_validate(
        {
            "room": RoomOut.model_validate(room),
            "member": {"id": member.id, "nickname": member.nickname},
            "invited_by": _summary(row.invited_by, by_nickname),
            "created_at": row.created_at,
        }
    )


async def invites_of(session: AsyncSession, member: Member) -> list[InviteOut]:
    """The member's pending invites, newest first."""
    by = directory.alias("by")
    rows = await session.execute(
        select(RoomInvite, Room, by.c.nickname)
        .join(Room, Room.id == RoomInvite.room_id)
        .outerjoin(by, by.c.id == RoomInvite.invited_by)
        .where(RoomInvite.member_id == member.id)
        .order_by(RoomInvite.created_at.desc(), RoomInvite.room_id)
    )
    return [invite_out(room, member, row, nickname) for row, room, nickname in rows]
