"""Retention's rooms half: which rooms keep how long, and how far each was purged."""

from __future__ import annotations

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.api import Principal
from parley.rooms.guard import Need, RoomAccess, forbidden_role, not_a_member, room_access
from parley.rooms.hooks import hooks
from parley.rooms.models import Room


async def retention_plan(session: AsyncSession, default_days: int) -> list[tuple[int, int]]:
    """(room id, days) of every room whose messages expire: its own `retention_days`, else
    the instance's; 0 keeps forever."""
    rows = await session.execute(select(Room.id, Room.retention_days).order_by(Room.id))
    plan = []
    for room_id, days in rows:
        keep = default_days if days is None else days
        if keep > 0:
            plan.append((room_id, keep))
    return plan


async def mark_purged(session: AsyncSession, room_id: int, seq: int) -> None:
    """Every seq up to `seq` is gone: a resume from before it must be answered `reset`."""
    await session.execute(
        update(Room)
        .where(Room.id == room_id)
        .values(purged_seq=case((Room.purged_seq < seq, seq), else_=Room.purged_seq))
    )


async def purged_seq_of(session: AsyncSession, room_id: int) -> int:
    value = await session.scalar(select(Room.purged_seq).where(Room.id == room_id))
    return int(value or 0)


async def set_retention(session: AsyncSession, room_id: int, days: int | None) -> bool:
    """A room's own retention (None: the instance's). False if there is no such room."""
    result = await session.execute(
        update(Room).where(Room.id == room_id).values(retention_days=days)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def update_retention(
    session: AsyncSession, room_id: int, principal: Principal, days: int | None
) -> RoomAccess:
    """The owner or a site admin sets how long the room keeps messages; audited, since a
    shorter retention deletes history at the next purge."""
    access = await room_access(session, room_id, principal, Need.VIEW, lock=True)
    if not principal.is_admin and access.role != "owner":
        if access.membership is None:
            raise not_a_member()
        raise forbidden_role("only the owner or a site admin may set the room's retention")
    before = access.room.retention_days
    if before != days:
        access.room.retention_days = days
        await hooks.audit(
            session,
            principal,
            "room.retention",
            room_id=access.room.id,
            target_id=access.room.id,
            days=days,
            before=before,
        )
    await session.commit()
    return access
