"""Getting back into an account without e-mail (DESIGN §10): ten one-time recovery codes a
member keeps, or one code a site admin hands over; `recover` resets the password with either.

Codes are 80 random bits, stored as SHA-256 digests (a leaked table leaks no usable code; the
entropy makes a slow hash unnecessary). Using one is a conditional UPDATE, so a code works
exactly once even when presented twice at the same moment. `recover` is throttled with the
login counters, so guessing codes costs what guessing passwords does.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.community import normalise_code
from parley.accounts.models import AuthSession, Member, RecoveryCode
from parley.accounts.service import (
    Principal,
    _throttle_login,
    check_password,
    end_sessions,
)
from parley.core.database import utcnow
from parley.core.errors import not_found, unauthenticated
from parley.core.runtime import Runtime
from parley.core.security import digest_token

CODES_PER_MEMBER = 10


def new_recovery_code() -> str:
    """`XXXX-XXXX-XXXX-XXXX-XXXX`: 80 bits in hex, easy to copy and to read aloud."""
    raw = secrets.token_hex(10).upper()
    return "-".join(raw[i : i + 4] for i in range(0, 20, 4))


def _digest(code: str) -> str:
    return digest_token(normalise_code(code))


async def regenerate_codes(
    session: AsyncSession, runtime: Runtime, principal: Principal, password: str
) -> list[str]:
    """Ten fresh codes (the password confirms it is the member); the old ones stop working."""
    await check_password(session, runtime, principal, password)
    await session.execute(
        delete(RecoveryCode).where(
            RecoveryCode.member_id == principal.id, RecoveryCode.kind == "member"
        )
    )
    codes = [new_recovery_code() for _ in range(CODES_PER_MEMBER)]
    session.add_all(
        RecoveryCode(member_id=principal.id, code_hash=_digest(code), kind="member")
        for code in codes
    )
    await session.commit()
    return codes


async def codes_left(session: AsyncSession, member_id: int) -> int:
    rows = await session.scalars(
        select(RecoveryCode.id).where(
            RecoveryCode.member_id == member_id,
            RecoveryCode.kind == "member",
            RecoveryCode.used_at.is_(None),
        )
    )
    return len(list(rows))


async def issue_admin_code(
    session: AsyncSession, runtime: Runtime, member_id: int, ttl_seconds: int | None = None
) -> tuple[str, datetime]:
    """One code for a member who lost theirs, valid PARLEY_ADMIN_RECOVERY_CODE_TTL_SECONDS
    (or `ttl_seconds`); an earlier admin code of the member stops working. The caller audits
    and commits."""
    if await session.get(Member, member_id) is None:
        raise not_found("member", "member_not_found")
    await session.execute(
        delete(RecoveryCode).where(
            RecoveryCode.member_id == member_id, RecoveryCode.kind == "admin"
        )
    )
    code = new_recovery_code()
    ttl = runtime.settings.admin_recovery_code_ttl_seconds if ttl_seconds is None else ttl_seconds
    expires = utcnow() + timedelta(seconds=ttl)
    session.add(
        RecoveryCode(member_id=member_id, code_hash=_digest(code), kind="admin", expires_at=expires)
    )
    await session.flush()
    return code, expires


async def recover(
    session: AsyncSession,
    runtime: Runtime,
    login_id: str,
    code: str,
    new_password: str,
    address: str,
) -> Member:
    """Set a new password with a recovery code, turn two-factor sign-in off and end every
    session of the member.

    One answer (`invalid_recovery`) for an unknown id and a wrong, used or expired code.
    """
    await _throttle_login(runtime, login_id, address)
    invalid = unauthenticated("login id or recovery code is wrong", "invalid_recovery")
    member = await session.scalar(select(Member).where(Member.login_id == login_id))
    if member is None:
        raise invalid
    now = utcnow()
    used = await session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.member_id == member.id,
            RecoveryCode.code_hash == _digest(code),
            RecoveryCode.used_at.is_(None),
            (RecoveryCode.expires_at.is_(None)) | (RecoveryCode.expires_at > now),
        )
        .values(used_at=now)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise invalid
    member.password_hash = await runtime.hasher.hash(new_password)
    # recovery is for a lost password *or* a lost authenticator: two-factor goes off too
    member.totp_secret = member.totp_enabled_at = member.totp_last_step = None
    await session.execute(
        update(AuthSession)
        .where(AuthSession.member_id == member.id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoke_reason="recovered")
    )
    end_sessions(session, member.id, None, "recovered")
    await session.commit()
    await runtime.login_failures.clear(f"acct:{login_id}")
    return member
