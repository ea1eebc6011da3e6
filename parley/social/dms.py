"""Direct-message rooms: the one private two-member room of a pair, created once.

A direct room is an ordinary room of kind `direct` (so messages, history, read markers and
unread counts work as in any room), plus a `direct_rooms` row naming the pair. The rooms
guards keep it closed: nobody joins or is invited, nobody moderates it (both members are
plain members), and it never appears when browsing.
"""

from __future__ import annotations

from sqlalchemy import case, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.models import Member
from parley.accounts.schemas import MemberSummary
from parley.core.database import utcnow
from parley.rooms import listing
from parley.rooms.events import announce_member
from parley.rooms.guard import find_membership, load_room
from parley.rooms.membership import take_seat
from parley.rooms.models import Room, RoomMember
from parley.social.models import DirectRoom
from parley.social.schemas import DirectRoomOut
from parley.social.service import blocked_error, is_blocked, lock_pair, ordered


def direct_room_name(low: int, high: int) -> str:
    """Deterministic and unique per pair; it also fills the unique `name_key` of rooms."""
    return f"dm:{low}:{high}"


async def _seat_missing(session: AsyncSession, room: Room, pair: tuple[int, int]) -> bool:
    """Bring back a member of the pair who left the room; True if someone was seated."""
    seated = False
    for member_id in pair:
        if await find_membership(session, room.id, member_id, lock=True) is not None:
            continue
        member = await session.get(Member, member_id)
        if member is None:
            continue
        await take_seat(session, room)
        session.add(
            RoomMember(
                room_id=room.id,
                member_id=member_id,
                role="member",
                joined_at=utcnow(),
                last_read_seq=room.last_seq,
            )
        )
        await announce_member(session, room, "join", (member_id, member.nickname), "member", None)
        seated = True
    return seated


async def _create(session: AsyncSession, me: int, low: int, high: int) -> Room:
    now = utcnow()
    name = direct_room_name(low, high)
    room = Room(
        name=name,
        name_key=name,
        kind="direct",
        is_private=True,
        topic="",
        capacity=2,
        members_can_invite=False,
        member_count=2,
        last_seq=0,
        created_by=me,
        created_at=now,
        updated_at=now,
    )
    session.add(room)
    await session.flush()
    for member_id in (low, high):
        session.add(RoomMember(room_id=room.id, member_id=member_id, role="member", joined_at=now))
    session.add(DirectRoom(room_id=room.id, low_id=low, high_id=high))
    await session.flush()
    return room


async def open_direct_room(session: AsyncSession, me: int, other: int) -> tuple[Room, bool]:
    """The pair's direct room, created on first use; (room, whether it is new to someone).

    The pair's member rows are locked first, so concurrent calls for one pair queue up and
    the later ones find the room the first made; the unique keys catch anything else.
    """
    for attempt in range(2):
        await lock_pair(session, me, other)
        if await is_blocked(session, me, other):
            raise blocked_error()
        low, high = ordered(me, other)
        room_id = await session.scalar(
            select(DirectRoom.room_id).where(DirectRoom.low_id == low, DirectRoom.high_id == high)
        )
        try:
            if room_id is not None:
                room = await load_room(session, room_id, lock=True)
                changed = await _seat_missing(session, room, (low, high))
            else:
                room, changed = await _create(session, me, low, high), True
            await session.commit()
        except IntegrityError:
            await session.rollback()
            if attempt:
                raise
            continue
        return room, changed
    raise AssertionError("unreachable")  # pragma: no cover


async def direct_rooms_of(session: AsyncSession, me: int) -> list[DirectRoomOut]:
    """The caller's direct rooms as "my rooms" lists them, each with the other member."""
    rooms = [r for r in await listing.my_rooms(session, me) if r.kind == "direct"]
    if not rooms:
        return []
    other = case((DirectRoom.low_id == me, DirectRoom.high_id), else_=DirectRoom.low_id)
    rows = await session.execute(
        select(DirectRoom.room_id, Member.id, Member.nickname)
        .join(Member, Member.id == other)
        .where(DirectRoom.room_id.in_([r.id for r in rooms]))
    )
    peers = {int(r): MemberSummary(id=i, nickname=n) for r, i, n in rows}
    return [DirectRoomOut(room=room, peer=peers.get(room.id)) for room in rooms]
