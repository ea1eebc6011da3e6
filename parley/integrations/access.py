"""Who may manage a room's webhooks, and the bot member a webhook speaks as."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.api import Member, Principal, bots
from parley.core.errors import ParleyError
from parley.core.runtime import Runtime
from parley.rooms.api import get_membership, get_room, membership, room_not_found

MANAGERS = ("owner", "admin")


async def require_manager(session: AsyncSession, room_id: int, principal: Principal) -> None:
    """The room's owner and admins (a private room is 404 to others, as elsewhere)."""
    room = await get_room(session, room_id)
    seat = await get_membership(session, room_id, principal.id)
    if room is None or room.kind == "direct" or (seat is None and room.is_private):
        raise room_not_found()
    if seat is None or seat.role not in MANAGERS:
        raise ParleyError(403, "forbidden_role", "only the room's owner and admins manage webhooks")
    if isinstance(principal, bots.BotPrincipal):
        raise ParleyError(403, "bots_cannot_manage_bots", "a bot cannot create webhooks")


async def seat_webhook_bot(runtime: Runtime, room_id: int, creator: Principal, name: str) -> Member:
    """A `webhook` bot owned by the creator, seated in the room (invited first if private).

    Each step commits (membership changes announce themselves with system messages)."""
    async with runtime.db.sessions() as session:
        bot = await bots.create_bot(session, runtime, creator.id, name, kind="webhook")
        await session.commit()
    async with runtime.db.read_sessions() as session:
        room = await get_room(session, room_id)
        private = room is not None and room.is_private
    if private:
        async with runtime.db.sessions() as session:
            await membership.invite(session, room_id, creator, bot.id)
    async with runtime.db.sessions() as session:
        await membership.join(session, room_id, Principal(member=bot, session_id="webhook"))
    return bot
