"""Friend and block rules. Plain functions over a session; they never touch HTTP.

Every change to a pair first locks both member rows (in id order), so requests, accepts and
blocks of one pair run one after another on PostgreSQL and MariaDB (SQLite serialises all
writers anyway). Rows are keyed by the ordered pair, so the database settles what the locks
do not.

Blocks are checked here for every private channel: friend requests, direct-message rooms
and sends in them, whispers and room invites.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    and_,
    bindparam,
    case,
    delete,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.api import directory, lock_members
from parley.core.bulk import RawStatement
from parley.core.database import utcnow
from parley.core.errors import ParleyError, conflict, forbidden, not_found
from parley.core.events import emit
from parley.core.pairs import PairLookup
from parley.social.models import Block, DirectRoom, Friendship

#: a send as the block check sees it: (room_id, sender_id, whisper target or None)
Send = tuple[int, int, int | None]


def ordered(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def member_not_found() -> ParleyError:
    return not_found("member", "member_not_found")


def blocked_error() -> ParleyError:
    return forbidden("blocked", "one of you has blocked the other")


def _check_other(me: int, other: int) -> None:
    if me == other:
        raise ParleyError(422, "invalid_target", "you cannot do this to yourself")


async def lock_pair(session: AsyncSession, me: int, other: int) -> None:
    """Lock both members' rows in id order; `member_not_found` if the other does not exist."""
    _check_other(me, other)
    found = await lock_members(session, ordered(me, other))
    if len(set(found)) < 2:
        raise member_not_found()


async def has_blocked(session: AsyncSession, blocker_id: int, blocked_id: int) -> bool:
    """Whether `blocker_id` blocked `blocked_id` (one direction)."""
    return await session.get(Block, (blocker_id, blocked_id)) is not None


async def is_blocked(session: AsyncSession, a: int, b: int) -> bool:
    """Whether either member of the pair blocked the other."""
    either = or_(
        and_(Block.blocker_id == a, Block.blocked_id == b),
        and_(Block.blocker_id == b, Block.blocked_id == a),
    )  # not a row-value IN, which SQLite answers with a scan (parley.core.pairs)
    row = await session.scalar(select(Block.blocker_id).where(either).limit(1))
    return row is not None


async def blocked_pairs_with(
    session: AsyncSession, member_id: int, others: Iterable[int]
) -> set[int]:
    """Those among `others` who blocked `member_id` or whom `member_id` blocked (one query)."""
    others = list(others)
    if not others:
        return set()
    rows = await session.execute(
        select(Block.blocker_id, Block.blocked_id).where(
            or_(
                and_(Block.blocker_id == member_id, Block.blocked_id.in_(others)),
                and_(Block.blocked_id == member_id, Block.blocker_id.in_(others)),
            )
        )
    )
    return {blocked if blocker == member_id else blocker for blocker, blocked in rows}


def blocked_sends(conn: Connection, sends: Iterable[Send]) -> set[Send]:
    """The sends a block forbids, in one statement for a whole batch of the message writer
    (synchronous Core: it runs inside the writer's batch).

    A whisper is refused when either member of the pair blocked the other; any message in a
    direct room is refused when one of its two members blocked the other.
    """
    sends = list(sends)
    if not sends:
        return set()
    pairs = sorted({p for _, s, to in sends if to is not None for p in ((s, to), (to, s))})
    rooms = sorted({room_id for room_id, _, _ in sends})
    if pairs:
        rows = _BLOCKED_ROOMS_OR_PAIRS.execute(conn, pairs, {"rooms": rooms})
    elif conn.dialect.name == "sqlite":
        rows = _BLOCKED_ROOMS_SQLITE.rows(conn, {"rooms": orjson.dumps(rooms).decode()})
    else:
        rows = list(conn.execute(_BLOCKED_ROOMS, {"rooms": rooms}))
    blocked_rooms: set[int] = set()
    blocked_pairs: set[frozenset[int]] = set()
    for room_id, blocker, blocked in rows:
        if room_id:
            blocked_rooms.add(int(room_id))
        else:
            blocked_pairs.add(frozenset((int(blocker), int(blocked))))
    return {
        send
        for send in sends
        if send[0] in blocked_rooms
        or (send[2] is not None and frozenset((send[1], send[2])) in blocked_pairs)
    }


# built once (the writer's hot path; see rooms.access): direct rooms one of whose members
# blocked the other, and (room 0) blocked pairs among whisper senders and targets
_BLOCKED_DIRECT_ROOMS: Any = select(DirectRoom.room_id, Block.blocker_id, Block.blocked_id).join(
    Block,
    or_(
        and_(Block.blocker_id == DirectRoom.low_id, Block.blocked_id == DirectRoom.high_id),
        and_(Block.blocker_id == DirectRoom.high_id, Block.blocked_id == DirectRoom.low_id),
    ),
)
_BLOCKED_ROOMS: Any = _BLOCKED_DIRECT_ROOMS.where(
    DirectRoom.room_id.in_(bindparam("rooms", expanding=True))
)
#: the same with the rooms as one JSON list (no per-call rendering: `RawStatement`)
_BLOCKED_ROOMS_SQLITE = RawStatement(
    _BLOCKED_DIRECT_ROOMS.where(
        DirectRoom.room_id.in_(
            select(func.json_each(bindparam("rooms")).table_valued("value").c.value)
        )
    )
)
_BLOCKED_ROOMS_OR_PAIRS = PairLookup(
    "pairs",
    Block.blocker_id,
    Block.blocked_id,
    lambda restrict: union_all(
        _BLOCKED_ROOMS,
        restrict(
            select(
                literal_column("0", BigInteger).label("room_id"), Block.blocker_id, Block.blocked_id
            )
        ),
    ),
)


async def friend_ids(session: AsyncSession, member_id: int) -> list[int]:
    """Ids of the member's (accepted) friends."""
    other = case((Friendship.low_id == member_id, Friendship.high_id), else_=Friendship.low_id)
    rows = await session.scalars(
        select(other).where(
            or_(Friendship.low_id == member_id, Friendship.high_id == member_id),
            Friendship.status == "accepted",
        )
    )
    return [int(i) for i in rows]


async def _friendship(session: AsyncSession, a: int, b: int) -> Friendship | None:
    return await session.get(Friendship, ordered(a, b), populate_existing=True)


async def _tell_pair(session: AsyncSession, me: int, other: int, event: str) -> None:
    """Emit a `friend` event to both members (each hears about the other), so friend lists
    and request badges change live on every tab."""
    names = dict(
        (
            await session.execute(
                select(directory.c.id, directory.c.nickname).where(directory.c.id.in_((me, other)))
            )
        ).all()
    )
    for listener, subject in ((me, other), (other, me)):
        frame = {
            "type": "friend",
            "event": event,
            "member": {"id": subject, "nickname": names.get(subject)},
            "by": me,
        }
        emit(session, frame, audience=[listener])


async def _tell_blocker(session: AsyncSession, me: int, other: int, event: str) -> None:
    """A `block` event to the blocker's own connections only: the blocked member is not told."""
    nickname = await session.scalar(select(directory.c.nickname).where(directory.c.id == other))
    frame = {"type": "block", "event": event, "member": {"id": other, "nickname": nickname}}
    emit(session, frame, audience=[me])


async def _commit(session: AsyncSession, clash: ParleyError) -> None:
    """Commit; a unique-key clash the locks did not prevent becomes `clash`."""
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise clash from None


async def request_friend(session: AsyncSession, me: int, other: int) -> str:
    """Ask `other` to be friends; if they already asked the caller, they become friends.

    Returns the pair's state afterwards: `pending` or `accepted`.
    """
    await lock_pair(session, me, other)
    if await is_blocked(session, me, other):
        raise blocked_error()
    row = await _friendship(session, me, other)
    if row is not None and row.status == "accepted":
        raise conflict("already_friends", "you are already friends")
    if row is not None and row.requested_by == me:
        raise conflict("already_requested", "you have already sent a request")
    if row is not None:  # they asked first: asking back is accepting
        row.status, row.accepted_at = "accepted", utcnow()
    else:
        low, high = ordered(me, other)
        row = Friendship(low_id=low, high_id=high, requested_by=me, status="pending")
        session.add(row)
    status = row.status
    await _tell_pair(session, me, other, "accept" if status == "accepted" else "request")
    await _commit(session, conflict("already_requested", "a request is already open"))
    return status


async def _incoming(session: AsyncSession, me: int, other: int) -> Friendship:
    await lock_pair(session, me, other)
    row = await _friendship(session, me, other)
    if row is None or row.status != "pending" or row.requested_by != other:
        raise not_found("friend request", "friend_request_not_found")
    return row


async def accept_request(session: AsyncSession, me: int, other: int) -> None:
    row = await _incoming(session, me, other)
    row.status, row.accepted_at = "accepted", utcnow()
    await _tell_pair(session, me, other, "accept")
    await session.commit()


async def decline_request(session: AsyncSession, me: int, other: int) -> None:
    await session.delete(await _incoming(session, me, other))
    await _tell_pair(session, me, other, "decline")
    await session.commit()


async def remove_friend(session: AsyncSession, me: int, other: int) -> None:
    """End a friendship, cancel one's own request, or drop one received."""
    await lock_pair(session, me, other)
    row = await _friendship(session, me, other)
    if row is None:
        raise not_found("friend", "friend_not_found")
    await session.delete(row)
    await _tell_pair(session, me, other, "remove")
    await session.commit()


async def block(session: AsyncSession, me: int, other: int) -> Block:
    """Block a member: any friendship or request between the two ends with it."""
    await lock_pair(session, me, other)
    if await has_blocked(session, me, other):
        raise conflict("already_blocked", "you have already blocked this member")
    low, high = ordered(me, other)
    ended = await session.execute(
        delete(Friendship).where(Friendship.low_id == low, Friendship.high_id == high)
    )
    if ended.rowcount:  # type: ignore[attr-defined]
        await _tell_pair(session, me, other, "remove")
    row = Block(blocker_id=me, blocked_id=other, created_at=utcnow())
    session.add(row)
    await _tell_blocker(session, me, other, "add")
    await _commit(session, conflict("already_blocked", "you have already blocked this member"))
    return row


async def unblock(session: AsyncSession, me: int, other: int) -> None:
    await lock_pair(session, me, other)
    row = await session.get(Block, (me, other))
    if row is None:
        raise not_found("block", "block_not_found")
    await session.delete(row)
    await _tell_blocker(session, me, other, "remove")
    await session.commit()


@dataclass(frozen=True, slots=True)
class PairRow:
    """A friendship row as seen by one of its members."""

    member_id: int
    nickname: str
    status: str
    requested_by: int
    created_at: datetime
    accepted_at: datetime | None


async def friendships_of(session: AsyncSession, me: int) -> list[PairRow]:
    """Every friendship and open request of the member, by the other's nickname."""
    other = case((Friendship.low_id == me, Friendship.high_id), else_=Friendship.low_id)
    rows = await session.execute(
        select(Friendship, directory.c.id, directory.c.nickname)
        .join(directory, directory.c.id == other)
        .where(or_(Friendship.low_id == me, Friendship.high_id == me))
        .order_by(directory.c.nickname_key, directory.c.id)
    )
    return [
        PairRow(int(i), n, f.status, f.requested_by, f.created_at, f.accepted_at)
        for f, i, n in rows
    ]


async def blocks_of(session: AsyncSession, me: int) -> list[tuple[Block, str]]:
    """The members the caller blocked (with nicknames), newest first."""
    rows = await session.execute(
        select(Block, directory.c.nickname)
        .join(directory, directory.c.id == Block.blocked_id)
        .where(Block.blocker_id == me)
        .order_by(Block.created_at.desc(), Block.blocked_id)
    )
    return [(b, n) for b, n in rows]


async def nickname_of(session: AsyncSession, member_id: int) -> str:
    nickname: str | None = await session.scalar(
        select(directory.c.nickname).where(directory.c.id == member_id)
    )
    if nickname is None:
        raise member_not_found()
    return nickname
