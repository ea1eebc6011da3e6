"""Membership queries for other domains (chat, realtime): who may see a room, read markers."""

from __future__ import annotations

from sqlalchemy import select, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.models import Member
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


def nicknames_of_members(
    conn: Connection, pairs: set[tuple[int, int]]
) -> dict[tuple[int, int], str]:
    """For each (room_id, member_id) pair that is a current membership, the member's nickname.

    Synchronous Core, one statement for a whole batch: the message writer's hot path.
    """
    if not pairs:
        return {}
    rows = conn.execute(
        select(RoomMember.room_id, RoomMember.member_id, Member.nickname)
        .join(Member, Member.id == RoomMember.member_id)
        .where(tuple_(RoomMember.room_id, RoomMember.member_id).in_(sorted(pairs)))
    )
    return {(int(r), int(m)): str(n) for r, m, n in rows}


async def advance_read_marker(
    session: AsyncSession, room_id: int, member_id: int, seq: int
) -> int | None:
    """Move a member's read marker forward, clamped to the room's last seq; None if not a member."""
    room_last = await session.scalar(select(Room.last_seq).where(Room.id == room_id))
    membership = await session.get(RoomMember, (room_id, member_id))
    if room_last is None or membership is None:
        return None
    target = min(seq, int(room_last))
    if target > membership.last_read_seq:
        membership.last_read_seq = target
    return membership.last_read_seq
