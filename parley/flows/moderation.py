"""Moderators' actions reach the audit log (admin) through the rooms and chat hooks."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts import api as accounts
from parley.accounts.api import Principal
from parley.admin import api as admin

#: actions whose target is the room itself (the rest act on a member)
ROOM_ACTIONS = frozenset({"room.delete", "room.retention"})


async def audit_room_action(
    session: AsyncSession,
    actor: Principal,
    action: str,
    *,
    room_id: int,
    target_id: int | None,
    reason: str = "",
    **details: Any,
) -> None:
    await admin.record(
        session,
        actor_id=actor.id,
        actor_login_id=actor.member.login_id,
        action=action,
        target_type="room" if action in ROOM_ACTIONS else "member",
        target_id=target_id,
        room_id=room_id,
        reason=reason,
        as_site_admin=actor.is_admin,
        **details,
    )


async def audit_message_deleted(
    session: AsyncSession,
    *,
    room_id: int,
    message_id: int,
    moderator_id: int,
    sender_id: int | None,
) -> None:
    """A room moderator or site admin deleted someone else's message."""
    moderator = await accounts.get_member(session, moderator_id)
    await admin.record(
        session,
        actor_id=moderator_id,
        actor_login_id=moderator.login_id if moderator else "",
        action="message.delete",
        target_type="message",
        target_id=message_id,
        room_id=room_id,
        sender_id=sender_id,
    )
