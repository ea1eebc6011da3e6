"""Moderators' actions in rooms reach the audit log (admin) through the rooms hook."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.api import Principal
from parley.admin import api as admin


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
        target_type="room" if action == "room.delete" else "member",
        target_id=target_id,
        room_id=room_id,
        reason=reason,
        as_site_admin=actor.is_admin,
        **details,
    )
