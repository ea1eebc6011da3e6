"""Account sequences that reach into rooms and social: withdrawal and a nickname change."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts import api as accounts
from parley.accounts.api import Member, Principal
from parley.core.events import emit
from parley.core.runtime import Runtime
from parley.rooms import api as rooms
from parley.social import api as social


async def withdraw(
    session: AsyncSession, runtime: Runtime, principal: Principal, password: str
) -> None:
    """Delete the account: it leaves every room first (ownership passes on, empty rooms go,
    each with its system message), then the member row goes and every session ends."""
    await accounts.check_password(session, runtime, principal, password)
    for bot_id in await accounts.bots.bot_ids_of(session, principal.id):
        await _retire_bot(session, bot_id)
    await rooms.leave_all_rooms(session, principal.id)
    await accounts.delete_member(session, principal.id, runtime)
    await session.commit()


async def _retire_bot(session: AsyncSession, bot_id: int) -> None:
    await rooms.leave_all_rooms(session, bot_id)
    await accounts.bots.retire_bot(session, bot_id)


async def delete_bot(session: AsyncSession, principal: Principal, bot_id: int) -> None:
    """The owner deletes a bot: it leaves its rooms, its tokens are revoked and its sockets
    close; its messages stay, under its name."""
    await accounts.bots.owned_bot(session, principal.id, bot_id)
    await _retire_bot(session, bot_id)
    await session.commit()


async def change_nickname(session: AsyncSession, principal: Principal, nickname: str) -> Member:
    """Change the nickname and tell everyone who shows it: the member's rooms (one copy per
    connection however many rooms it shares) and friends without a shared room."""
    member = await accounts.set_nickname(session, principal, nickname)
    frame = {"type": "profile", "member": {"id": member.id, "nickname": member.nickname}}
    room_ids = [room_id for room_id, _ in await rooms.rooms_of_member(session, member.id)]
    if room_ids:
        emit(session, frame, room_ids=room_ids)
    audience = {member.id, *await social.friend_ids(session, member.id)}
    emit(session, frame, audience=audience)
    await session.commit()
    return member
