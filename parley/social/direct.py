"""Which pair a direct room belongs to: the social domain's record (`direct_rooms`).

The room itself is the rooms domain's; `parley.flows.dms` opens one by joining the two.
"""

from __future__ import annotations

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.api import MemberSummary, directory
from parley.social.models import DirectRoom


async def find_direct_room(session: AsyncSession, low: int, high: int) -> int | None:
    """The room id of the pair's direct room (ids ordered), if it was ever opened."""
    room_id: int | None = await session.scalar(
        select(DirectRoom.room_id).where(DirectRoom.low_id == low, DirectRoom.high_id == high)
    )
    return room_id


def record_direct_room(session: AsyncSession, room_id: int, low: int, high: int) -> None:
    """Name the pair of a new direct room (its unique key settles concurrent openings)."""
    session.add(DirectRoom(room_id=room_id, low_id=low, high_id=high))


async def peers_of(session: AsyncSession, me: int, room_ids: list[int]) -> dict[int, MemberSummary]:
    """The other member of each of these direct rooms of `me`."""
    if not room_ids:
        return {}
    other = case((DirectRoom.low_id == me, DirectRoom.high_id), else_=DirectRoom.low_id)
    rows = await session.execute(
        select(DirectRoom.room_id, directory.c.id, directory.c.nickname)
        .join(directory, directory.c.id == other)
        .where(DirectRoom.room_id.in_(room_ids))
    )
    return {int(r): MemberSummary(id=i, nickname=n) for r, i, n in rows}
