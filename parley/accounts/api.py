"""The accounts domain's public surface: what other domains may use of it.

Other domains never touch the `members` table themselves: they join the read-only
`directory` projection (id, nickname, nickname_key) and call the functions below.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts import bots, community, moderation
from parley.accounts.auth import authenticate, read_credentials
from parley.accounts.bots import BotPrincipal
from parley.accounts.deps import ACCESS_COOKIE, CurrentAdmin, CurrentMember
from parley.accounts.models import AuthSession, Member, SignupInvite
from parley.accounts.recovery import issue_admin_code
from parley.accounts.schemas import (
    MemberOut,
    MemberSummary,
    NicknameChange,
    SignupRequest,
    WithdrawRequest,
)
from parley.accounts.service import (
    Principal,
    check_password,
    create_admin,
    delete_member,
    nickname_key,
    resolve_session,
    set_nickname,
)

__all__ = [
    "ACCESS_COOKIE",
    "BotPrincipal",
    "CurrentAdmin",
    "CurrentMember",
    "Member",
    "MemberOut",
    "MemberSummary",
    "NicknameChange",
    "Principal",
    "SignupInvite",
    "SignupRequest",
    "WithdrawRequest",
    "active_session_ids",
    "authenticate",
    "bots",
    "check_password",
    "community",
    "create_admin",
    "delete_member",
    "directory",
    "get_member",
    "issue_admin_code",
    "lock_members",
    "members_named",
    "moderation",
    "nickname_of",
    "read_credentials",
    "resolve_session",
    "set_nickname",
]

#: the members others may see and join against: never password hashes or roles
directory = select(Member.id, Member.nickname, Member.nickname_key).subquery("member_directory")


async def get_member(session: AsyncSession, member_id: int) -> Member | None:
    """The member row (read it; change it only through accounts' own services)."""
    return await session.get(Member, member_id)


async def nickname_of(session: AsyncSession, member_id: int) -> str | None:
    nickname: str | None = await session.scalar(
        select(Member.nickname).where(Member.id == member_id)
    )
    return nickname


async def members_named(session: AsyncSession, nickname: str, limit: int = 5) -> list[int]:
    """Ids of members called `nickname` (case- and width-insensitive), oldest first."""
    rows = await session.scalars(
        select(Member.id)
        .where(Member.nickname_key == nickname_key(nickname))
        .order_by(Member.id)
        .limit(limit)
    )
    return list(rows)


async def lock_members(session: AsyncSession, member_ids: Iterable[int]) -> list[int]:
    """Lock the members' rows in id order (serialises work on a pair); returns those that
    exist. `FOR NO KEY UPDATE` on PostgreSQL, so rows that merely reference a member
    (messages) are not held up by it."""
    ids = sorted(set(member_ids))
    rows = await session.scalars(
        select(Member.id)
        .where(Member.id.in_(ids))
        .order_by(Member.id)
        .with_for_update(key_share=True)
    )
    return list(rows)


async def active_session_ids(session: AsyncSession, session_ids: Iterable[str]) -> set[str]:
    """Those of the login sessions that exist and are not revoked (logged out, ended)."""
    ids = sorted(set(session_ids))
    if not ids:
        return set()
    rows = await session.scalars(
        select(AuthSession.id).where(AuthSession.id.in_(ids), AuthSession.revoked_at.is_(None))
    )
    return set(rows)
