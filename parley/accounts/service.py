"""Member and session rules. Plain functions over a session; they never touch HTTP."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.community import check_signup, reserve_login_id
from parley.accounts.models import AuthSession, Member, RefreshToken
from parley.accounts.schemas import MemberOut, TokenPair
from parley.core.database import utcnow
from parley.core.errors import ParleyError, conflict, rate_limited, unauthenticated
from parley.core.events import emit
from parley.core.runtime import Runtime
from parley.core.security import (
    AccessClaims,
    digest_token,
    issue_access_token,
    new_opaque_token,
)
from parley.core.text import contains_pattern, search_key

INVALID_CREDENTIALS = "invalid_credentials"
LOCAL_PASSWORDS_DISABLED = "local_passwords_disabled"


def nickname_key(nickname: str) -> str:
    """The form nickname search compares: case- and width-insensitive."""
    return search_key(nickname)


async def signup(
    session: AsyncSession,
    runtime: Runtime,
    login_id: str,
    nickname: str,
    password: str,
    role: str = "user",
    *,
    invite_code: str | None = None,
    address: str | None = None,
    gate: bool = True,
) -> Member:
    """Create an account. `gate` applies the site's sign-up rules (mode, invite, throttle,
    held-back ids); only the CLI's `admin create` skips them."""
    # hash before the first statement: on SQLite that statement opens the write transaction,
    # which would otherwise be held for the whole (bounded, queued) hash
    if gate:
        refuse_local_passwords(runtime)
    password_hash = await runtime.hasher.hash(password)
    if gate:
        await check_signup(session, runtime, login_id, invite_code, address)
    member = Member(
        login_id=login_id,
        nickname=nickname,
        nickname_key=nickname_key(nickname),
        password_hash=password_hash,
        role=role,
    )
    session.add(member)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise conflict("login_id_taken", "that login id is taken") from None
    return member


def refuse_local_passwords(runtime: Runtime) -> None:
    """403 `local_passwords_disabled` when the site signs in through its OpenID provider only
    (`PARLEY_LOCAL_PASSWORDS=false`)."""
    if not runtime.settings.local_passwords:
        raise ParleyError(
            403, LOCAL_PASSWORDS_DISABLED, "password login is switched off; use single sign-on"
        )


async def _throttle_login(runtime: Runtime, login_id: str, address: str) -> None:
    """Refuse a throttled attempt, else charge it to the address and, provisionally, the account.

    The account is charged *before* the password is checked (and cleared on success):
    checking only afterwards let a burst of concurrent guesses all pass the check while the
    first ones were still hashing, so the limit bounded nothing for a parallel attacker.
    """
    settings = runtime.settings
    checks = (
        (f"acct:{login_id}", settings.login_failures_per_account),
        (f"addr:{address}", settings.login_attempts_per_address),
    )
    for key, limit in checks:
        # one atomic hit-and-count (shared by every process when Redis is configured)
        count, retry_after = await runtime.login_failures.hit(key)
        if count > limit:
            raise rate_limited(retry_after)


async def authenticate(
    session: AsyncSession,
    runtime: Runtime,
    login_id: str,
    password: str,
    address: str,
    totp_code: str | None = None,
) -> Member:
    """Check credentials with one answer for unknown ids and wrong passwords, throttled;
    then the two-factor code of a member who turned it on, then a suspension."""
    refuse_local_passwords(runtime)
    await _throttle_login(runtime, login_id, address)
    # look up and verify outside the write transaction (on SQLite the write session's first
    # statement takes the database's one write lock, which must not wait on a hash)
    async with runtime.db.read_sessions() as reader:
        found = (
            await reader.execute(
                select(Member.id, Member.password_hash).where(Member.login_id == login_id)
            )
        ).first()
    if found is None:
        await runtime.hasher.burn_time(password)
        valid, new_hash = False, None
    else:
        valid, new_hash = await runtime.hasher.verify(password, found.password_hash)
    member = await session.get(Member, found.id) if found is not None and valid else None
    if not valid or member is None:
        raise unauthenticated("login id or password is wrong", INVALID_CREDENTIALS)
    from parley.accounts.twofactor import accept_code

    accept_code(member, totp_code)
    await runtime.login_failures.clear(f"acct:{login_id}")
    refuse_suspended(member)
    if new_hash:
        member.password_hash = new_hash
    return member


async def _issue_refresh_token(session: AsyncSession, runtime: Runtime, session_id: str) -> str:
    token = new_opaque_token()
    ttl = timedelta(seconds=runtime.settings.refresh_token_ttl_seconds)
    session.add(
        RefreshToken(
            token_hash=digest_token(token), session_id=session_id, expires_at=utcnow() + ttl
        )
    )
    return token


def _token_pair(runtime: Runtime, member: Member, session_id: str, refresh: str) -> TokenPair:
    access, ttl = issue_access_token(runtime.settings, member.id, session_id)
    return TokenPair(
        access_token=access,
        refresh_token=refresh,
        expires_in=ttl,
        member=MemberOut.model_validate(member),
    )


async def start_session(
    session: AsyncSession, runtime: Runtime, member: Member, user_agent: str = ""
) -> TokenPair:
    """Open a new login session (a refresh-token family) and hand out its first tokens."""
    auth_session = AuthSession(
        id=uuid.uuid4().hex, member_id=member.id, user_agent=user_agent[:200]
    )
    session.add(auth_session)
    refresh = await _issue_refresh_token(session, runtime, auth_session.id)
    await session.commit()
    return _token_pair(runtime, member, auth_session.id, refresh)


async def _revoke_sessions(
    session: AsyncSession,
    member_id: int,
    reason: str,
    *,
    only: str | None = None,
    keep: str | None = None,
) -> None:
    """Revoke sessions and close their open sockets (on every process) once this commits."""
    live = select(AuthSession.id).where(
        AuthSession.member_id == member_id, AuthSession.revoked_at.is_(None)
    )
    if only is not None:
        live = live.where(AuthSession.id == only)
    if keep is not None:
        live = live.where(AuthSession.id != keep)
    ended = list(await session.scalars(live))
    if not ended:
        return
    await session.execute(
        update(AuthSession)
        .where(AuthSession.id.in_(ended))
        .values(revoked_at=utcnow(), revoke_reason=reason)
    )
    end_sessions(session, member_id, ended, reason)


def end_sessions(
    session: AsyncSession, member_id: int, session_ids: list[str] | None, reason: str
) -> None:
    """Emit the end of login sessions (all of the member's when `session_ids` is None):
    their WebSocket connections get a `session_ended` frame and close with 4001."""
    frame = {"type": "session_ended", "reason": reason}
    if session_ids is None:
        emit(session, frame, audience=[member_id], end_member=True)
    else:
        emit(session, frame, audience=[member_id], end_sessions=session_ids)


async def rotate_refresh_token(session: AsyncSession, runtime: Runtime, token: str) -> TokenPair:
    """Trade a refresh token for a new pair; presenting a rotated token revokes its family."""
    row = await session.execute(
        select(RefreshToken, AuthSession, Member)
        .join(AuthSession, AuthSession.id == RefreshToken.session_id)
        .join(Member, Member.id == AuthSession.member_id)
        .where(RefreshToken.token_hash == digest_token(token))
    )
    found = row.first()
    invalid = unauthenticated("refresh token is invalid or expired", "invalid_refresh_token")
    if found is None:
        raise invalid
    refresh, auth_session, member = found
    if auth_session.revoked_at is not None:
        raise invalid
    if refresh.used_at is not None:
        await _revoke_sessions(session, member.id, "refresh_reuse", only=auth_session.id)
        await session.commit()
        raise unauthenticated(
            "refresh token was already used; the session has been revoked", "refresh_token_reused"
        )
    if refresh.expires_at <= utcnow():
        raise invalid
    claimed = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == refresh.token_hash, RefreshToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        # a concurrent refresh with the same token won the race: treat as reuse
        await _revoke_sessions(session, member.id, "refresh_reuse", only=auth_session.id)
        await session.commit()
        raise unauthenticated("refresh token was already used", "refresh_token_reused")
    auth_session.last_used_at = utcnow()
    new_refresh = await _issue_refresh_token(session, runtime, auth_session.id)
    await session.commit()
    return _token_pair(runtime, member, auth_session.id, new_refresh)


async def logout(session: AsyncSession, token: str) -> None:
    """Revoke the session the refresh token belongs to; unknown tokens are ignored."""
    auth_session_id = await session.scalar(
        select(RefreshToken.session_id).where(RefreshToken.token_hash == digest_token(token))
    )
    if auth_session_id is not None:
        member_id = await session.scalar(
            select(AuthSession.member_id).where(AuthSession.id == auth_session_id)
        )
        if member_id is not None:
            await _revoke_sessions(session, member_id, "logout", only=auth_session_id)
    await session.commit()


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated member of a request or a connection, read from the session only.

    `member` is a read-only snapshot (loaded by the authentication query); services that
    change the member load it again in their own transaction with `load_member`.
    """

    member: Member
    session_id: str

    @property
    def id(self) -> int:
        return self.member.id

    @property
    def is_admin(self) -> bool:
        return self.member.role == "admin"


async def resolve_principal(session: AsyncSession, claims: AccessClaims) -> Principal:
    """The member behind valid access claims, if their session is still alive."""
    return await resolve_session(session, claims.member_id, claims.session_id)


async def resolve_session(session: AsyncSession, member_id: int, session_id: str) -> Principal:
    """The member of a live login session (access tokens and WebSocket tickets)."""
    row = await session.execute(
        select(Member, AuthSession.revoked_at)
        .join(AuthSession, AuthSession.member_id == Member.id)
        .where(AuthSession.id == session_id, Member.id == member_id)
    )
    found = row.first()
    if found is None or found[1] is not None:
        raise unauthenticated("session has ended", "session_revoked")
    refuse_suspended(found[0])
    return Principal(member=found[0], session_id=session_id)


def refuse_suspended(member: Member) -> None:
    """403 `suspended` (with the reason and the end, if any) while a suspension is in force."""
    if member.suspended(utcnow()):
        until = member.suspended_until.isoformat() if member.suspended_until else None
        detail = "this account is suspended"
        if member.suspend_reason:
            detail += f": {member.suspend_reason}"
        raise ParleyError(403, "suspended", detail, extra={"until": until})


async def load_member(session: AsyncSession, principal: Principal) -> Member:
    """The principal's member row, attached to `session` so changes to it are saved."""
    member = await session.get(Member, principal.id)
    if member is None:
        raise unauthenticated("the account no longer exists", "session_revoked")
    return member


async def _check_password(runtime: Runtime, member: Member, password: str) -> None:
    valid, _ = await runtime.hasher.verify(password, member.password_hash)
    if not valid:
        raise ParleyError(403, "wrong_password", "the password is wrong")


async def change_password(
    session: AsyncSession, runtime: Runtime, principal: Principal, current: str, new: str
) -> None:
    """Set a new password and end every other session of the member."""
    member = await load_member(session, principal)
    await _check_password(runtime, member, current)
    member.password_hash = await runtime.hasher.hash(new)
    await _revoke_sessions(session, principal.id, "password_changed", keep=principal.session_id)
    await session.commit()


async def set_nickname(session: AsyncSession, principal: Principal, nickname: str) -> Member:
    """Change the nickname in the caller's transaction (the flow announces it and commits)."""
    member = await load_member(session, principal)
    member.nickname = nickname
    member.nickname_key = nickname_key(nickname)
    await session.flush()
    return member


async def check_password(
    session: AsyncSession, runtime: Runtime, principal: Principal, password: str
) -> None:
    """`wrong_password` unless `password` is the member's (hashing off the event loop)."""
    await _check_password(runtime, await load_member(session, principal), password)


async def delete_member(
    session: AsyncSession, member_id: int, runtime: Runtime | None = None
) -> None:
    """Delete the account row in the caller's transaction and end every session it had;
    its messages stay, shown as from a deleted member. With `runtime`, the login id is held
    back for PARLEY_WITHDRAWN_ID_RESERVE_DAYS."""
    if runtime is not None:
        login_id = await session.scalar(select(Member.login_id).where(Member.id == member_id))
        if login_id is not None:
            await reserve_login_id(session, runtime, login_id)
    end_sessions(session, member_id, None, "withdrawn")
    await session.execute(delete(Member).where(Member.id == member_id))


async def search_members(
    session: AsyncSession, query: str, limit: int, page: int
) -> tuple[list[Member], bool]:
    """Members whose nickname contains the query, case-insensitively; (page, has_more)."""
    pattern = contains_pattern(query)
    rows = await session.scalars(
        select(Member)
        .where(Member.nickname_key.like(pattern, escape="\\"))
        .order_by(Member.nickname_key, Member.id)
        .offset((page - 1) * limit)
        .limit(limit + 1)
    )
    members = list(rows)
    return members[:limit], len(members) > limit


async def create_admin(
    session: AsyncSession, runtime: Runtime, login_id: str, nickname: str, password: str
) -> Member:
    """Make an admin account, or promote an existing one (the CLI's `admin create`)."""
    existing = await session.scalar(select(Member).where(Member.login_id == login_id))
    if existing is not None:
        existing.role = "admin"
        await session.commit()
        return existing
    return await signup(session, runtime, login_id, nickname, password, role="admin", gate=False)


async def count_members(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Member)) or 0)
