"""What a site admin does to accounts: suspend, unsuspend, end sessions, change the role,
list and search. Each works in the caller's transaction, which records the audit entry
(`parley.admin`) and commits, so the action and its record exist together or not at all.

A suspension revokes every login session and emits one `session_ended` event for the member
with `end_member`, so every open socket on every process closes with 4001 once it commits;
login (and any token still in flight) is refused while it is in force.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts import bots
from parley.accounts.models import AuthSession, Member
from parley.accounts.service import end_sessions
from parley.core.database import utcnow
from parley.core.errors import ParleyError, not_found
from parley.core.text import contains_pattern

MemberStatus = Literal["active", "suspended", "admin"]


async def member_for_update(session: AsyncSession, member_id: int) -> Member:
    member = await session.get(Member, member_id, with_for_update=True)
    if member is None:
        raise not_found("member", "member_not_found")
    return member


async def end_all_sessions(session: AsyncSession, member_id: int, reason: str) -> int:
    """Revoke every live session and close every socket of the member (on commit)."""
    result = await session.execute(
        update(AuthSession)
        .where(AuthSession.member_id == member_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoke_reason=reason)
    )
    end_sessions(session, member_id, None, reason)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def suspend(
    session: AsyncSession, member_id: int, reason: str, until: datetime | None
) -> Member:
    member = await member_for_update(session, member_id)
    if until is not None and until <= utcnow():
        raise ParleyError(422, "validation_failed", "until must be in the future")
    member.suspended_at = utcnow()
    member.suspended_until = until
    member.suspend_reason = reason
    await end_all_sessions(session, member_id, "suspended")
    # the member's bots stop too (their tokens are refused until the suspension ends)
    bots.end_bot_sessions(session, await bots.bot_ids_of(session, member_id), "suspended")
    await session.flush()
    return member


async def unsuspend(session: AsyncSession, member_id: int) -> Member:
    member = await member_for_update(session, member_id)
    member.suspended_at = None
    member.suspended_until = None
    member.suspend_reason = ""
    await session.flush()
    return member


async def set_role(session: AsyncSession, member_id: int, role: str) -> tuple[Member, str]:
    """Change the site role; returns the member and the role it had."""
    member = await member_for_update(session, member_id)
    before = member.role
    member.role = role
    await session.flush()
    return member, before


def _filtered(statement: Select[Any], q: str, status: str | None) -> Select[Any]:
    if q:
        pattern = contains_pattern(q)
        statement = statement.where(
            or_(
                Member.nickname_key.like(pattern, escape="\\"),
                Member.login_id.like(contains_pattern(q), escape="\\"),
            )
        )
    now = utcnow()
    in_force = Member.suspended_at.is_not(None) & (
        Member.suspended_until.is_(None) | (Member.suspended_until > now)
    )
    if status == "suspended":
        statement = statement.where(in_force)
    elif status == "active":
        statement = statement.where(~in_force)
    elif status == "admin":
        statement = statement.where(Member.role == "admin")
    return statement


async def list_members(
    session: AsyncSession, q: str, status: str | None, page: int, limit: int
) -> tuple[list[Member], bool]:
    rows = await session.scalars(
        _filtered(select(Member), q, status)
        .order_by(Member.id)
        .offset((page - 1) * limit)
        .limit(limit + 1)
    )
    members: list[Member] = list(rows)
    return members[:limit], len(members) > limit
