"""Membership queries for other domains (chat, realtime): who may see a room, read markers,
and the per-room `seq` counter, which the rooms domain alone owns (`rooms.last_seq`)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.api import directory
from parley.core.bulk import RawStatement
from parley.core.database import utcnow
from parley.core.pairs import PairLookup
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


def room_ids_of(member_id: int | ColumnElement[int]) -> Select[int]:
    """The ids of the member's rooms, as a subquery for other domains' visibility rules
    (`member_id` may be a bound parameter, for a statement built once and reused)."""
    return select(RoomMember.room_id).where(RoomMember.member_id == member_id)


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
    rows = _NICKNAMES_OF_MEMBERS.execute(conn, pairs)
    return {(int(r), int(m)): str(n) for r, m, n in rows}


# The writer's statements are built once: building a Core statement costs more CPU than
# running it, and a reused object keeps its cache key (IN lists expand at execution).
_NICKNAMES_OF_MEMBERS = PairLookup(
    "pairs",
    RoomMember.room_id,
    RoomMember.member_id,
    lambda restrict: restrict(
        select(RoomMember.room_id, RoomMember.member_id, directory.c.nickname).join(
            directory, directory.c.id == RoomMember.member_id
        )
    ),
)
_MENTION_RIGHTS = PairLookup(
    "pairs",
    RoomMember.room_id,
    RoomMember.member_id,
    lambda restrict: restrict(
        select(RoomMember.room_id, RoomMember.member_id, Room.member_count, RoomMember.role).join(
            Room, Room.id == RoomMember.room_id
        )
    ),
)
_BUMP_SEQ = (
    update(Room)
    .where(Room.id == bindparam("room"))
    .values(last_seq=Room.last_seq + bindparam("count"))
)
_BUMP_SEQ_RETURNING = RawStatement(
    _BUMP_SEQ.values(updated_at=bindparam("now")).returning(Room.last_seq)
)
_LAST_SEQS = select(Room.id, Room.last_seq).where(Room.id.in_(bindparam("rooms", expanding=True)))


def room_mention_rights(
    conn: Connection, pairs: set[tuple[int, int]]
) -> dict[tuple[int, int], tuple[int, str]]:
    """For each (room_id, member_id) membership: the room's member count and the member's
    role (whether `<@room>` is theirs to use; synchronous, for the writer's batch)."""
    if not pairs:
        return {}
    rows = _MENTION_RIGHTS.execute(conn, pairs)
    return {(int(r), int(m)): (int(n), str(role)) for r, m, n, role in rows}


async def allocate_seqs(session: AsyncSession, room_id: int, count: int = 1) -> int:
    """Reserve `count` consecutive seqs in the room; returns the first.

    The UPDATE takes the room row's write lock, so concurrent writers to one room queue up
    and every seq is used exactly once, in commit order.
    """
    await session.execute(
        update(Room).where(Room.id == room_id).values(last_seq=Room.last_seq + count)
    )
    last = await session.scalar(select(Room.last_seq).where(Room.id == room_id))
    if last is None:
        raise LookupError(f"room {room_id} does not exist")
    return int(last) - count + 1


def bump_seqs(conn: Connection, counts: dict[int, int]) -> dict[int, int]:
    """The writer's batch form of `allocate_seqs` (synchronous Core): reserve `counts[room]`
    seqs in each room; returns each room's last seq after the bump (first = last - n + 1)."""
    if conn.dialect.name == "sqlite":  # UPDATE … RETURNING, one short statement per room
        bumped, now = {}, utcnow()
        for room, count in counts.items():
            params = {"room": room, "count": count, "now": now}
            for (last,) in _BUMP_SEQ_RETURNING.rows(conn, params):
                bumped[room] = int(last)
        return bumped
    conn.execute(_BUMP_SEQ, [{"room": room, "count": count} for room, count in counts.items()])
    rows = conn.execute(_LAST_SEQS, {"rooms": list(counts)})
    return {int(r): int(s) for r, s in rows}


async def last_seqs(session: AsyncSession, room_ids: list[int]) -> dict[int, int]:
    """The last seq of each existing room among `room_ids`."""
    rows = await session.execute(select(Room.id, Room.last_seq).where(Room.id.in_(room_ids)))
    return {int(r): int(s) for r, s in rows.all()}


async def advance_read_marker(
    session: AsyncSession, room_id: int, member_id: int, seq: int
) -> tuple[int, bool] | None:
    """Move a member's read marker forward, clamped to the room's last seq; None if not a member."""
    room_last = await session.scalar(select(Room.last_seq).where(Room.id == room_id))
    membership = await session.get(RoomMember, (room_id, member_id))
    if room_last is None or membership is None:
        return None
    target = min(seq, int(room_last))
    moved = target > membership.last_read_seq
    if moved:
        membership.last_read_seq = target
    return membership.last_read_seq, moved
