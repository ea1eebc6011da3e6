"""Read-only membership queries for other domains (chat, realtime): who may see a room."""

from __future__ import annotations

from sqlalchemy import select
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
