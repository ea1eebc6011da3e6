"""Direct messages: the one private two-member room of a pair, created once, then reused.

Spans three domains: social (blocks, which pair a room belongs to), rooms (the room and its
seats) and accounts (the pair's rows, locked in id order so concurrent openings of one pair
queue up and the later ones find the room the first made; unique keys catch anything else).
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts import api as accounts
from parley.core.events import emit
from parley.rooms import api as rooms
from parley.rooms.api import Room
from parley.social import api as social
from parley.social.api import DirectRoomOut


async def open_direct_room(session: AsyncSession, me: int, other: int) -> Room:
    """The pair's direct room, created on first use (a member who left is seated again).

    When the room is new to someone, both members' connections get a `room` event so they
    can subscribe to it at once.
    """
    for attempt in range(2):
        await social.lock_pair(session, me, other)
        if await social.is_blocked(session, me, other):
            raise social.blocked_error()
        low, high = social.ordered(me, other)
        room_id = await social.find_direct_room(session, low, high)
        try:
            if room_id is not None:
                room = await rooms.load_room(session, room_id, lock=True)
                changed = False
                for member_id in (low, high):
                    nickname = await accounts.nickname_of(session, member_id)
                    if nickname is not None:
                        changed |= await rooms.reseat(session, room, (member_id, nickname))
            else:
                room = await rooms.create_direct_room(session, me, (low, high))
                social.record_direct_room(session, room.id, low, high)
                changed = True
            if changed:
                frame = {"type": "room", "event": "update", "room": rooms.room_payload(room)}
                emit(session, frame, audience=[low, high])
            await session.commit()
        except IntegrityError:
            await session.rollback()
            if attempt:
                raise
            continue
        return room
    raise AssertionError("unreachable")  # pragma: no cover


async def direct_rooms_of(session: AsyncSession, me: int) -> list[DirectRoomOut]:
    """The caller's direct rooms as "my rooms" lists them, each with the other member."""
    mine = [r for r in await rooms.my_rooms(session, me) if r.kind == "direct"]
    peers = await social.peers_of(session, me, [r.id for r in mine])
    return [DirectRoomOut(room=room, peer=peers.get(room.id)) for room in mine]
