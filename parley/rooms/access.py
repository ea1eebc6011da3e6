"""Read-only membership queries for other domains (chat, realtime): who may see a room."""

from __future__ import annotations

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from parley.rooms.models import Room, RoomMember


async def get_membership(session: AsyncSession, room_id: int, member_id: int) -> RoomMember | None:
    """The member's membership of the room, or None (never a member, left, kicked or banned)."""
    return await session.get(RoomMember, (room_id, member_id))


async def rooms_of_member(session: AsyncSession, member_id: int) -> list[tuple[int, int]]:
    """(room_id, last_seq) of every room the member belongs to, by room id."""
    rows = await session.execute(
        select(Room.id, Room.last_seq)
        .join(RoomMember, RoomMember.room_id == Room.id)
        .where(RoomMember.member_id == member_id)
        .order_by(Room.id)
    )
    return [(int(room_id), int(last_seq)) for room_id, last_seq in rows]


async def get_room(session: AsyncSession, room_id: int) -> Room | None:
    return await session.get(Room, room_id)


async def members_of_rooms(
    session: AsyncSession, pairs: set[tuple[int, int]]
) -> set[tuple[int, int]]:
    """Which (room_id, member_id) pairs are current memberships: one query for a batch."""
    if not pairs:
        return set()
    rows = await session.execute(
        select(RoomMember.room_id, RoomMember.member_id).where(
            tuple_(RoomMember.room_id, RoomMember.member_id).in_(sorted(pairs))
        )
    )
    return {(int(r), int(m)) for r, m in rows}
