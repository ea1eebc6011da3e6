"""Per-room notification levels (DESIGN §9): `all`, `mentions` or `none`, and a mute until.

The level is a column of the membership (it lives and dies with it). Unset means the default
a team chat picks: direct rooms notify on every message, other rooms only on mentions.
Push delivery (`parley.notify`) reads the levels of a room's members with `levels_of`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.rooms.guard import not_a_member, room_not_found
from parley.rooms.models import Room, RoomMember

Level = Literal["all", "mentions", "none"]
DEFAULT_LEVELS: dict[str, Level] = {"direct": "all", "group": "mentions"}


def level_of(kind: str, stored: str | None) -> Level:
    if stored in ("all", "mentions", "none"):
        return stored  # type: ignore[return-value]
    return DEFAULT_LEVELS.get(kind, "mentions")


@dataclass(frozen=True, slots=True)
class NotifyLevel:
    """A member's effective level in a room."""

    room_id: int
    member_id: int
    kind: str
    notify: Level
    muted_until: datetime | None
    is_default: bool

    def muted_at(self, now: datetime) -> bool:
        return self.notify == "none" or (self.muted_until is not None and self.muted_until > now)


def _level(room: Room, membership: RoomMember) -> NotifyLevel:
    return NotifyLevel(
        room_id=room.id,
        member_id=membership.member_id,
        kind=room.kind,
        notify=level_of(room.kind, membership.notify),
        muted_until=membership.notify_muted_until,
        is_default=membership.notify is None,
    )


async def _membership(
    session: AsyncSession, room_id: int, member_id: int
) -> tuple[Room, RoomMember]:
    """The room and the caller's membership; a room the caller is not in is a 404 when
    private (it does not leak), else 403 `not_a_member`."""
    statement = (
        select(Room, RoomMember)
        .outerjoin(
            RoomMember, (RoomMember.room_id == Room.id) & (RoomMember.member_id == member_id)
        )
        .where(Room.id == room_id)
    )
    row = (await session.execute(statement)).first()
    if row is None:
        raise room_not_found()
    room, membership = row
    if membership is None:
        raise room_not_found() if room.is_private else not_a_member()
    return room, membership


async def get_level(session: AsyncSession, room_id: int, member_id: int) -> NotifyLevel:
    room, membership = await _membership(session, room_id, member_id)
    return _level(room, membership)


async def set_level(
    session: AsyncSession,
    room_id: int,
    member_id: int,
    notify: Level,
    muted_until: datetime | None,
) -> NotifyLevel:
    room, membership = await _membership(session, room_id, member_id)
    membership.notify = notify
    membership.notify_muted_until = muted_until
    await session.commit()
    return _level(room, membership)


async def levels_of(
    session: AsyncSession, room_id: int, member_ids: list[int] | None = None
) -> dict[int, NotifyLevel]:
    """The level of every member of the room (or of those among `member_ids`)."""
    statement = (
        select(Room, RoomMember)
        .join(RoomMember, RoomMember.room_id == Room.id)
        .where(Room.id == room_id)
    )
    if member_ids is not None:
        statement = statement.where(RoomMember.member_id.in_(member_ids))
    rows = await session.execute(statement)
    return {m.member_id: _level(room, m) for room, m in rows}
