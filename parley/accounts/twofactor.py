"""Optional two-factor sign-in with TOTP (RFC 6238, `pyotp`): an authenticator app's
six-digit code on top of the password.

Setting up stores a secret (confirmed by the password) that counts only once a first code
proves the app has it. A code is accepted for the current 30 s step or the one either side
(clock drift), and never twice: the last step used is stored, so a code read over someone's
shoulder is spent. Wrong codes at login are charged to the login throttle with the password.
"""

from __future__ import annotations

import pyotp
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.models import Member
from parley.accounts.service import Principal, check_password, load_member
from parley.core.database import utcnow
from parley.core.errors import ParleyError, conflict, unauthenticated
from parley.core.runtime import Runtime

ISSUER = "Parley"


def _step_of(member: Member, code: str) -> int | None:
    """The time step `code` is valid for (now, or one step either side), else None."""
    if member.totp_secret is None or not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(member.totp_secret)
    now = int(utcnow().timestamp())
    for offset in (0, -1, 1):
        at = now + offset * totp.interval
        if totp.verify(code, for_time=at, valid_window=0):
            return at // totp.interval
    return None


def accept_code(member: Member, code: str | None) -> None:
    """Refuse a login without a fresh valid code when the member has two-factor on."""
    if member.totp_enabled_at is None:
        return
    if not code:
        raise unauthenticated("this account needs a two-factor code", "two_factor_required")
    step = _step_of(member, code)
    if step is None or (member.totp_last_step is not None and step <= member.totp_last_step):
        raise unauthenticated("the two-factor code is wrong or already used", "invalid_totp")
    member.totp_last_step = step


async def begin_setup(
    session: AsyncSession, runtime: Runtime, principal: Principal, password: str
) -> tuple[str, str]:
    """A new secret and its `otpauth://` URI for the authenticator app (not yet in force)."""
    await check_password(session, runtime, principal, password)
    member = await load_member(session, principal)
    if member.totp_enabled_at is not None:
        raise conflict("two_factor_on", "two-factor sign-in is already on; turn it off first")
    member.totp_secret = pyotp.random_base32()
    member.totp_last_step = None
    await session.commit()
    uri = pyotp.TOTP(member.totp_secret).provisioning_uri(name=member.login_id, issuer_name=ISSUER)
    return member.totp_secret, uri


async def confirm(session: AsyncSession, principal: Principal, code: str) -> None:
    member = await load_member(session, principal)
    if member.totp_secret is None:
        raise conflict("two_factor_not_set_up", "start the set-up first")
    step = _step_of(member, code)
    if step is None:
        raise ParleyError(422, "invalid_totp", "the two-factor code is wrong")
    member.totp_enabled_at = utcnow()
    member.totp_last_step = step
    await session.commit()


async def turn_off(
    session: AsyncSession, runtime: Runtime, principal: Principal, password: str
) -> None:
    await check_password(session, runtime, principal, password)
    member = await load_member(session, principal)
    member.totp_secret = None
    member.totp_enabled_at = None
    member.totp_last_step = None
    await session.commit()
