"""Who may sign up: the registration mode, invite codes, the per-address throttle and
withdrawn login ids held back (DESIGN §10).

The mode lives in the database (`site_settings`), so every process sees an admin's change at
once. Invite codes are stored as digests; a use is claimed by one conditional UPDATE, so two
sign-ups racing for the last use cannot both win.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.models import ReservedLoginId, SignupInvite, SiteSetting
from parley.core.database import utcnow
from parley.core.errors import ParleyError, forbidden, not_found, rate_limited
from parley.core.runtime import Runtime
from parley.core.security import digest_token

Registration = Literal["open", "invite", "closed"]
REGISTRATION_KEY = "registration"
REGISTRATION_MODES: tuple[Registration, ...] = ("open", "invite", "closed")


async def registration_mode(session: AsyncSession) -> Registration:
    value = await session.scalar(
        select(SiteSetting.value).where(SiteSetting.key == REGISTRATION_KEY)
    )
    for mode in REGISTRATION_MODES:
        if value == mode:
            return mode
    return "open"


async def set_registration_mode(session: AsyncSession, mode: Registration) -> None:
    """Store the mode in the caller's transaction (the caller audits and commits)."""
    row = await session.get(SiteSetting, REGISTRATION_KEY)
    if row is None:
        session.add(SiteSetting(key=REGISTRATION_KEY, value=mode))
    else:
        row.value = mode
    await session.flush()


def new_invite_code() -> str:
    """A code people can type: 20 base32 characters (100 bits)."""
    return "-".join(secrets.token_hex(5).upper() for _ in range(4))


async def create_invite(
    session: AsyncSession, created_by: int, max_uses: int, expires_in_seconds: int | None
) -> tuple[SignupInvite, str]:
    code = new_invite_code()
    expires = utcnow() + timedelta(seconds=expires_in_seconds) if expires_in_seconds else None
    invite = SignupInvite(
        code_hash=digest_token(normalise_code(code)),
        created_by=created_by,
        max_uses=max_uses,
        uses=0,
        expires_at=expires,
        revoked=False,
        created_at=utcnow(),
    )
    session.add(invite)
    await session.flush()
    return invite, code


def normalise_code(code: str) -> str:
    """Codes compare without case, spaces or dashes (people retype them)."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


async def list_invites(session: AsyncSession) -> list[SignupInvite]:
    rows = await session.scalars(select(SignupInvite).order_by(SignupInvite.id.desc()).limit(500))
    return list(rows)


async def revoke_invite(session: AsyncSession, invite_id: int) -> SignupInvite:
    invite = await session.get(SignupInvite, invite_id)
    if invite is None:
        raise not_found("invite", "invite_not_found")
    invite.revoked = True
    await session.flush()
    return invite


def invite_state(invite: SignupInvite, now: datetime) -> str:
    if invite.revoked:
        return "revoked"
    if invite.expires_at is not None and invite.expires_at <= now:
        return "expired"
    if invite.uses >= invite.max_uses:
        return "used_up"
    return "active"


async def _claim_invite(session: AsyncSession, code: str | None) -> None:
    invalid = forbidden("invalid_invite", "the invite code is unknown, used up or expired")
    if not code:
        raise forbidden("invite_required", "sign-up needs an invite code")
    now = utcnow()
    claimed = await session.execute(
        update(SignupInvite)
        .where(
            SignupInvite.code_hash == digest_token(normalise_code(code)),
            SignupInvite.revoked.is_(False),
            SignupInvite.uses < SignupInvite.max_uses,
            (SignupInvite.expires_at.is_(None)) | (SignupInvite.expires_at > now),
        )
        .values(uses=SignupInvite.uses + 1)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise invalid


async def check_signup(
    session: AsyncSession,
    runtime: Runtime,
    login_id: str,
    invite_code: str | None,
    address: str | None,
) -> None:
    """Refuse a sign-up the site does not take, in the caller's transaction: throttled per
    address first (so probing modes and ids costs the same budget), then the mode (an
    invite use is claimed here and rolled back with a failed sign-up), then a held-back id."""
    if address is not None and runtime.signup_attempts is not None:
        count, retry_after = await runtime.signup_attempts.hit(f"signup:{address}")
        if count > runtime.settings.signups_per_address:
            raise rate_limited(retry_after)
    mode = await registration_mode(session)
    if mode == "closed":
        raise forbidden("registration_closed", "this site does not take new sign-ups")
    if mode == "invite":
        await _claim_invite(session, invite_code)
    reserved = await session.scalar(
        select(ReservedLoginId.until).where(ReservedLoginId.login_id == login_id)
    )
    if reserved is not None and reserved > utcnow():
        raise ParleyError(409, "login_id_taken", "that login id is taken")


async def reserve_login_id(session: AsyncSession, runtime: Runtime, login_id: str) -> None:
    """Hold a withdrawn login id back for PARLEY_WITHDRAWN_ID_RESERVE_DAYS (caller commits)."""
    days = runtime.settings.withdrawn_id_reserve_days
    if days <= 0:
        return
    await session.execute(delete(ReservedLoginId).where(ReservedLoginId.login_id == login_id))
    session.add(ReservedLoginId(login_id=login_id, until=utcnow() + timedelta(days=days)))
