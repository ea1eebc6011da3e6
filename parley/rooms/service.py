"""Room rules: create, read, update, delete, and leaving every room when a member withdraws.

Plain functions over a session; they never touch HTTP. Membership changes live in
`membership`, listings (browse, my rooms) in `listing`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.api import nickname_of
from parley.core.database import utcnow
from parley.core.errors import ParleyError, conflict
from parley.core.text import search_key
from parley.rooms import listing
from parley.rooms.access import rooms_of_member
from parley.rooms.events import announce_room
from parley.rooms.guard import (
    Need,
    RoomAccess,
    find_membership,
    forbidden_role,
    load_room,
    not_a_member,
    room_access,
)
from parley.rooms.hooks import hooks
from parley.rooms.membership import destroy_room, remove_member
from parley.rooms.models import Room, RoomMember
from parley.rooms.schemas import BanOut, RoomCreate, RoomMemberOut

if TYPE_CHECKING:
    from parley.accounts.api import Principal


def name_key(name: str) -> str:
    """The form room names are unique in: case- and width-insensitive."""
    return search_key(name)


def _name_taken() -> ParleyError:
    return conflict("room_name_taken", "a room with that name already exists")


async def _flush_name(session: AsyncSession) -> None:
    """Flush a new or renamed room; the unique `name_key` index settles races."""
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise _name_taken() from None


async def create_room(session: AsyncSession, principal: Principal, body: RoomCreate) -> Room:
    """Create a room with the caller as its owner and only member."""
    now = utcnow()
    room = Room(
        name=body.name,
        name_key=name_key(body.name),
        kind="group",
        is_private=body.is_private,
        topic=body.topic,
        capacity=body.capacity,
        members_can_invite=body.members_can_invite,
        member_count=1,
        last_seq=0,
        created_by=principal.id,
        created_at=now,
        updated_at=now,
    )
    session.add(room)
    await _flush_name(session)
    session.add(RoomMember(room_id=room.id, member_id=principal.id, role="owner", joined_at=now))
    await session.commit()
    return room


async def room_detail(session: AsyncSession, room_id: int, principal: Principal) -> RoomAccess:
    return await room_access(session, room_id, principal, Need.VIEW)


async def list_members(
    session: AsyncSession, room_id: int, principal: Principal, page: int
) -> tuple[list[RoomMemberOut], bool]:
    """Anyone who may see the room may see who is in it."""
    await room_access(session, room_id, principal, Need.VIEW)
    return await listing.members_of(session, room_id, page)


async def list_bans(
    session: AsyncSession, room_id: int, principal: Principal, page: int
) -> tuple[list[BanOut], bool]:
    await room_access(session, room_id, principal, Need.MODERATOR)
    return await listing.bans_of(session, room_id, page)


async def update_room(
    session: AsyncSession, room_id: int, principal: Principal, changes: dict[str, Any]
) -> RoomAccess:
    """Apply a partial update (owner and room admins); announce it when something changed."""
    access = await room_access(session, room_id, principal, Need.MODERATOR, lock=True)
    room = access.room
    if changes.get("capacity", room.capacity) < room.member_count:
        raise conflict(
            "capacity_below_members",
            f"capacity cannot be below the {room.member_count} current members",
        )
    if "name" in changes:
        changes["name_key"] = name_key(changes["name"])
    changed = {k: v for k, v in changes.items() if getattr(room, k) != v}
    if changed:
        for key, value in changed.items():
            setattr(room, key, value)
        room.updated_at = utcnow()
        await _flush_name(session)
        announce_room(session, room, "update", rules_changed="slow_mode_seconds" in changed)
        await session.commit()
    return access


async def delete_room(session: AsyncSession, room_id: int, principal: Principal) -> None:
    """The owner, or a site admin, deletes the room with its history."""
    access = await room_access(session, room_id, principal, Need.VIEW, lock=True)
    if not principal.is_admin and access.role != "owner":
        if access.membership is None:
            raise not_a_member()
        raise forbidden_role("only the owner or a site admin may delete the room")
    if access.role != "owner":  # a site admin's deletion is a moderation act
        await hooks.audit(
            session, principal, "room.delete", room_id=access.room.id, target_id=access.room.id
        )
    await destroy_room(session, access.room)
    await session.commit()


async def leave_all_rooms(session: AsyncSession, member_id: int) -> None:
    """Take a withdrawing member out of every room, in the caller's transaction.

    Rooms are locked in id order (no deadlock with other multi-room writers); ownership
    passes on and rooms left empty are deleted, each recorded as for an ordinary leave.
    """
    nickname = await nickname_of(session, member_id)
    body = f"{nickname or 'a member'} left"
    for room_id, _ in await rooms_of_member(session, member_id):
        room = await load_room(session, room_id, lock=True)
        membership = await find_membership(session, room.id, member_id, lock=True)
        if membership is not None:
            await remove_member(session, room, membership, "leave", body, withdrew=1)
