"""Who may do what to a room: loading (and locking) a room together with the caller's standing.

Every room endpoint goes through `room_access`, so the rules live in one place:

* a private room is invisible (404 `room_not_found`) to anyone who is not a member, does not
  hold an invite and is not a site admin, so private rooms never leak through their ids;
* acting in a room needs membership (403 `not_a_member`), moderating needs the owner or an
  admin (403 `forbidden_role`), some actions need the owner.

Writers pass `lock=True`: the room row is read `FOR UPDATE` and every later read of the room's
memberships is a locking read too, so concurrent changes to one room run one after another and
always see each other's committed work (InnoDB's repeatable read included).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.core.errors import ParleyError, forbidden, not_found
from parley.rooms.models import Room, RoomBan, RoomInvite, RoomMember

if TYPE_CHECKING:
    from parley.accounts.api import Principal

T = TypeVar("T")
RANK = {"owner": 2, "admin": 1, "member": 0}
MODERATORS = frozenset({"owner", "admin"})


class Need(enum.IntEnum):
    VIEW = 0
    MEMBER = 1
    MODERATOR = 2
    OWNER = 3


def room_not_found() -> ParleyError:
    return not_found("room", "room_not_found")


def not_a_member() -> ParleyError:
    return forbidden("not_a_member", "you are not a member of this room")


def direct_room() -> ParleyError:
    return forbidden("direct_room", "a direct-message room has exactly its two members")


def forbidden_role(detail: str = "your role in this room does not allow this") -> ParleyError:
    return forbidden("forbidden_role", detail)


def _fresh(statement: Select[T], lock: bool) -> Select[T]:
    """A read that sees the latest committed row (and locks it) when the caller writes."""
    if lock:
        return statement.with_for_update().execution_options(populate_existing=True)
    return statement


async def _one(session: AsyncSession, statement: Select[T], lock: bool) -> T | None:
    return await session.scalar(_fresh(statement, lock))


async def find_membership(
    session: AsyncSession, room_id: int, member_id: int, *, lock: bool = False
) -> RoomMember | None:
    statement = select(RoomMember).where(
        RoomMember.room_id == room_id, RoomMember.member_id == member_id
    )
    return await _one(session, statement, lock)


async def find_invite(
    session: AsyncSession, room_id: int, member_id: int, *, lock: bool = False
) -> RoomInvite | None:
    statement = select(RoomInvite).where(
        RoomInvite.room_id == room_id, RoomInvite.member_id == member_id
    )
    return await _one(session, statement, lock)


async def find_ban(
    session: AsyncSession, room_id: int, member_id: int, *, lock: bool = False
) -> RoomBan | None:
    statement = select(RoomBan).where(RoomBan.room_id == room_id, RoomBan.member_id == member_id)
    return await _one(session, statement, lock)


async def load_room(session: AsyncSession, room_id: int, *, lock: bool = False) -> Room:
    room = await _one(session, select(Room).where(Room.id == room_id), lock)
    if room is None:
        raise room_not_found()
    return room


@dataclass(slots=True)
class RoomAccess:
    room: Room
    membership: RoomMember | None
    invited: bool

    @property
    def role(self) -> str | None:
        return self.membership.role if self.membership is not None else None


async def room_access(
    session: AsyncSession,
    room_id: int,
    principal: Principal,
    need: Need,
    *,
    lock: bool = False,
) -> RoomAccess:
    """The room and the caller's standing in it, or the error the caller deserves."""
    room = await load_room(session, room_id, lock=lock)
    membership = await find_membership(session, room.id, principal.id, lock=lock)
    invited = False
    if membership is None and room.is_private:
        invited = await find_invite(session, room.id, principal.id, lock=lock) is not None
        # a direct room is nobody else's business, a site admin's included
        if not (invited or (principal.is_admin and room.kind != "direct")):
            raise room_not_found()
    if need >= Need.MEMBER and membership is None:
        raise not_a_member()
    if need >= Need.MODERATOR and room.kind == "direct":  # no one moderates or renames a DM
        raise direct_room()
    if membership is not None:
        if need == Need.MODERATOR and membership.role not in MODERATORS:
            raise forbidden_role("only the owner and room admins may do this")
        if need == Need.OWNER and membership.role != "owner":
            raise forbidden_role("only the owner may do this")
    return RoomAccess(room=room, membership=membership, invited=invited)


def check_outranks(actor_role: str | None, target_role: str) -> None:
    """The owner acts on anyone else; an admin acts on plain members only."""
    if RANK.get(actor_role or "", -1) <= RANK[target_role]:
        raise forbidden_role(f"a room {actor_role} cannot do this to a room {target_role}")


def rowcount(result: Any) -> int:
    """Rows an UPDATE/DELETE matched (typed loosely: `Result` hides `CursorResult.rowcount`)."""
    return int(result.rowcount)
