"""Direct rooms as the rooms domain keeps them: a private room of kind `direct` for a pair.

A direct room has no `name_key`, so it takes no name in the room-name namespace: nobody can
squat a pair's room by naming a group room after it, nor learn whether two members talk by
trying the name. Which pair a direct room belongs to is the social domain's record; the
flow that opens one (`parley.flows.dms`) joins the two.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from parley.core.database import utcnow
from parley.rooms.events import announce_member
from parley.rooms.guard import find_membership
from parley.rooms.membership import take_seat
from parley.rooms.models import Room, RoomMember

#: what a direct room is called where a name is needed; clients show the other member
DIRECT_ROOM_NAME = "direct message"


async def create_direct_room(session: AsyncSession, creator: int, pair: tuple[int, int]) -> Room:
    """A new direct room with both members seated (in the caller's transaction)."""
    now = utcnow()
    room = Room(
        name=DIRECT_ROOM_NAME,
        name_key=None,
        kind="direct",
        is_private=True,
        topic="",
        capacity=2,
        members_can_invite=False,
        member_count=2,
        last_seq=0,
        created_by=creator,
        created_at=now,
        updated_at=now,
    )
    session.add(room)
    await session.flush()
    for member_id in pair:
        session.add(RoomMember(room_id=room.id, member_id=member_id, role="member", joined_at=now))
    await session.flush()
    return room


async def reseat(session: AsyncSession, room: Room, member: tuple[int, str]) -> bool:
    """Bring a member of the pair who left back into the locked room; True if seated."""
    member_id = member[0]
    if await find_membership(session, room.id, member_id, lock=True) is not None:
        return False
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
    await announce_member(session, room, "join", member, "member", None)
    return True
