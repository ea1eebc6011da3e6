"""Members linked to an OpenID provider's accounts by `(issuer, sub)`, and auto-provisioning.

The link is the only thing trusted: never an e-mail address or a username claim, which a
provider may let its users change (or reuse), so a login id is derived once at provisioning
and the member keeps it. The provider is the gate for who may have an account; the site's
registration mode is for password sign-ups (docs/integrations.md).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from parley.accounts.models import Member, ReservedLoginId
from parley.accounts.oidc import OidcError
from parley.accounts.service import nickname_key, refuse_suspended
from parley.core.database import Base, BigIntPK, UTCDateTime, utcnow
from parley.core.runtime import Runtime

LOGIN_ID_MAX = 32
_NOT_ID = re.compile(r"[^a-z0-9_]+")
ATTEMPTS = 3


class OidcLink(Base):
    """One provider account (`issuer`, `subject`) belongs to one member."""

    __tablename__ = "oidc_links"
    __table_args__ = (
        UniqueConstraint("issuer", "subject"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    member_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def base_login_id(claims: dict[str, Any]) -> str:
    """A login id shaped like the sign-up form's (`[a-z0-9_]{3,32}`) from the claims."""
    email = claims.get("email")
    for raw in (
        claims.get("preferred_username"),
        email.split("@", 1)[0] if isinstance(email, str) else None,
        claims.get("name"),
    ):
        if not isinstance(raw, str):
            continue
        folded = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode().lower()
        candidate = _NOT_ID.sub("_", folded).strip("_")[: LOGIN_ID_MAX - 4]
        if len(candidate) >= 3:
            return candidate
    return "user"


def nickname_from(claims: dict[str, Any], login_id: str) -> str:
    for raw in (claims.get("name"), claims.get("preferred_username")):
        if isinstance(raw, str):
            text = " ".join("".join(c for c in raw if c.isprintable()).split())[:32].strip()
            if text:
                return text
    return login_id


async def _free_login_id(session: AsyncSession, base: str) -> str:
    """`base`, else `base_2` … `base_99`, else `base_` and random digits: never a taken or
    held-back id (a withdrawn member's id stays reserved)."""
    candidates = [base, *(f"{base}_{n}" for n in range(2, 100))]
    taken = set(
        await session.scalars(select(Member.login_id).where(Member.login_id.in_(candidates)))
    )
    held = set(
        await session.scalars(
            select(ReservedLoginId.login_id).where(
                ReservedLoginId.login_id.in_(candidates), ReservedLoginId.until > utcnow()
            )
        )
    )
    for candidate in candidates:
        if candidate not in taken and candidate not in held:
            return candidate
    return f"{base}_{secrets.randbelow(10**6):06d}"


async def _linked_member(session: AsyncSession, issuer: str, subject: str) -> Member | None:
    link = await session.scalar(
        select(OidcLink).where(OidcLink.issuer == issuer, OidcLink.subject == subject)
    )
    if link is None:
        return None
    link.last_login_at = utcnow()
    return await session.get(Member, link.member_id)


async def _provision(
    session: AsyncSession,
    runtime: Runtime,
    issuer: str,
    claims: dict[str, Any],
    password_hash: str,
) -> Member:
    """A new member and its link, flushed (403 `oidc_no_account` when the site forbids)."""
    if not runtime.settings.oidc_auto_provision:
        await session.rollback()
        raise OidcError("oidc_no_account", "no account here is linked to that sign-in", 403)
    login_id = await _free_login_id(session, base_login_id(claims))
    nickname = nickname_from(claims, login_id)
    member = Member(
        login_id=login_id,
        nickname=nickname,
        nickname_key=nickname_key(nickname),
        password_hash=password_hash,  # a discarded secret: never a password login
        role="user",
    )
    session.add(member)
    await session.flush()
    session.add(OidcLink(issuer=issuer, subject=str(claims["sub"]), member_id=member.id))
    await session.flush()
    return member


async def member_for_claims(
    session: AsyncSession, runtime: Runtime, issuer: str, claims: dict[str, Any]
) -> Member:
    """The member linked to the token's `(issuer, sub)`, provisioned at a first login when the
    site allows it (403 `oidc_no_account` otherwise); committed. Two first logins racing for
    the same subject end with one member: the loser's insert fails and it finds the link."""
    subject = str(claims["sub"])
    # hashed before the transaction (SQLite's write lock must not wait on a hash)
    password_hash = await runtime.hasher.hash(secrets.token_urlsafe(32))
    for _ in range(ATTEMPTS):
        try:
            member = await _linked_member(session, issuer, subject)
            if member is None:
                member = await _provision(session, runtime, issuer, claims, password_hash)
            await session.commit()
        except IntegrityError:  # another first login took the link (or the login id)
            await session.rollback()
            continue
        refuse_suspended(member)
        return member
    raise OidcError("oidc_busy", "the account could not be created; try again", 409)
