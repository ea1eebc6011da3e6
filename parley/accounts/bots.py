"""Bot members: accounts owned by a member that authenticate with long-lived tokens.

A bot is a `members` row plus a `bots` row (its owner and kind). Its login id has a dash,
which the login request refuses, and its password hash is of a discarded random secret, so
no password ever logs it in. Its tokens (`pbt_…`) are shown once and stored as SHA-256
digests; a token may be limited to some rooms. `auth.authenticate` resolves them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import BigInteger, ForeignKey, String, Text, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, aliased, mapped_column

from parley.accounts.models import Member
from parley.accounts.service import Principal, nickname_key, refuse_suspended
from parley.core.database import Base, BigIntPK, UTCDateTime, utcnow
from parley.core.errors import ParleyError, not_found, unauthenticated
from parley.core.events import emit
from parley.core.runtime import Runtime
from parley.core.security import digest_token

#: bot tokens start with this, so they are told apart from access JWTs without a lookup
BOT_TOKEN_PREFIX = "pbt_"  # noqa: S105 (a prefix, not a secret)
#: the most bots a member owns, and live tokens a bot has
MAX_BOTS = 25
MAX_TOKENS = 20
BOT_KINDS = ("bot", "webhook")
#: the kind of a deleted bot (kept so its messages keep its name)
RETIRED = "retired"


class Bot(Base):
    """The bot side of a member: who owns it; `webhook` bots belong to an incoming webhook."""

    __tablename__ = "bots"

    member_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    owner_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8), default="bot")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BotToken(Base):
    """A bot's long-lived token as its SHA-256 digest; `rooms` a JSON list, or None for all."""

    __tablename__ = "bot_tokens"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    bot_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    rooms: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@dataclass(frozen=True, slots=True)
class BotPrincipal(Principal):
    """A bot authenticated by a token; `rooms` limits it (None: every room it is in)."""

    token_id: int = 0
    rooms: frozenset[int] | None = None

    def may_use_room(self, room_id: int) -> bool:
        return self.rooms is None or room_id in self.rooms


def token_session_id(token_id: int) -> str:
    """The session id a token's connections carry (revoking the token ends them)."""
    return f"bot:{token_id}"


async def create_bot(
    session: AsyncSession, runtime: Runtime, owner_id: int, nickname: str, kind: str = "bot"
) -> Member:
    """A bot member owned by `owner_id`, flushed (the caller commits)."""
    if kind == "bot":
        owned = await session.scalar(
            select(Bot.member_id)
            .where(Bot.owner_id == owner_id, Bot.kind == "bot")
            .limit(1)
            .offset(MAX_BOTS - 1)
        )
        if owned is not None:
            raise ParleyError(409, "too_many_bots", f"a member owns at most {MAX_BOTS} bots")
    # a dash: the login request's pattern refuses it; the password is never known
    password_hash = await runtime.hasher.hash(secrets.token_urlsafe(32))
    member = Member(
        login_id=f"bot-{secrets.token_hex(12)}",
        nickname=nickname,
        nickname_key=nickname_key(nickname),
        password_hash=password_hash,
        role="user",
    )
    session.add(member)
    await session.flush()
    session.add(Bot(member_id=member.id, owner_id=owner_id, kind=kind))
    await session.flush()
    return member


async def bots_of(session: AsyncSession, owner_id: int) -> list[tuple[Member, Bot]]:
    rows = await session.execute(
        select(Member, Bot)
        .join(Bot, Bot.member_id == Member.id)
        .where(Bot.owner_id == owner_id, Bot.kind == "bot")
        .order_by(Member.id)
    )
    return [(m, b) for m, b in rows.tuples()]


async def owned_bot(session: AsyncSession, owner_id: int, bot_id: int) -> Member:
    """The caller's bot, or 404 (someone else's bots do not exist for them)."""
    row = (
        await session.execute(
            select(Member)
            .join(Bot, Bot.member_id == Member.id)
            .where(Bot.member_id == bot_id, Bot.owner_id == owner_id, Bot.kind == "bot")
        )
    ).scalar_one_or_none()
    if row is None:
        raise not_found("bot", "bot_not_found")
    return row


async def issue_token(
    session: AsyncSession, bot_id: int, rooms: list[int] | None
) -> tuple[BotToken, str]:
    """A new token (the secret returned once) for a bot the caller has checked is theirs."""
    live = await session.scalar(
        select(BotToken.id).where(BotToken.bot_id == bot_id).limit(1).offset(MAX_TOKENS - 1)
    )
    if live is not None:
        raise ParleyError(409, "too_many_tokens", f"a bot has at most {MAX_TOKENS} tokens")
    secret = BOT_TOKEN_PREFIX + secrets.token_urlsafe(32)
    limit = orjson.dumps(sorted(set(rooms))).decode() if rooms is not None else None
    row = BotToken(bot_id=bot_id, token_hash=digest_token(secret), rooms=limit)
    session.add(row)
    await session.flush()
    return row, secret


async def tokens_of(session: AsyncSession, bot_id: int) -> list[BotToken]:
    rows = await session.scalars(
        select(BotToken).where(BotToken.bot_id == bot_id).order_by(BotToken.id)
    )
    return list(rows)


async def revoke_token(session: AsyncSession, bot_id: int, token_id: int) -> None:
    """Delete the token and close its WebSocket connections (4001), in one transaction."""
    row = await session.get(BotToken, token_id)
    if row is None or row.bot_id != bot_id:
        raise not_found("token", "token_not_found")
    await session.delete(row)
    frame = {"type": "session_ended", "reason": "logout"}  # the documented reasons
    emit(session, frame, audience=[bot_id], end_sessions=[token_session_id(token_id)])


def token_rooms(row: BotToken) -> list[int] | None:
    return None if row.rooms is None else [int(r) for r in orjson.loads(row.rooms)]


async def resolve_bot_token(session: AsyncSession, token: str) -> BotPrincipal:
    """The bot behind a token (401 `invalid_token` for an unknown or revoked one, or a bot
    whose owner withdrew; 403 `suspended` while the bot or its owner is suspended)."""
    if len(token) > 256:
        raise unauthenticated("bot token is invalid or revoked", "invalid_token")
    owner = aliased(Member)
    found = (
        await session.execute(
            select(Member, BotToken, owner)
            .join(BotToken, BotToken.bot_id == Member.id)
            .join(Bot, Bot.member_id == Member.id)
            .join(owner, owner.id == Bot.owner_id)
            .where(BotToken.token_hash == digest_token(token), Bot.kind != RETIRED)
        )
    ).first()
    if found is None:
        raise unauthenticated("bot token is invalid or revoked", "invalid_token")
    member, row, owner_row = found
    refuse_suspended(member)
    if owner_row.suspended(utcnow()):
        raise ParleyError(403, "suspended", "the bot's owner is suspended")
    rooms = token_rooms(row)
    return BotPrincipal(
        member=member,
        session_id=token_session_id(row.id),
        token_id=row.id,
        rooms=None if rooms is None else frozenset(rooms),
    )


async def bot_ids_of(session: AsyncSession, owner_id: int) -> list[int]:
    """Every live bot of the member (webhooks' bots included)."""
    rows = await session.scalars(
        select(Bot.member_id).where(Bot.owner_id == owner_id, Bot.kind != RETIRED)
    )
    return list(rows)


def end_bot_sessions(session: AsyncSession, bot_ids: list[int], reason: str) -> None:
    """Close the bots' WebSocket connections (on commit): their owner was suspended, or they
    are deleted. Their tokens are refused from then on (`resolve_bot_token`)."""
    frame = {"type": "session_ended", "reason": reason}
    for bot_id in bot_ids:
        emit(session, frame, audience=[bot_id], end_member=True)


async def retire_bot(session: AsyncSession, bot_id: int) -> None:
    """A deleted bot: its tokens go and its connections close; the member row stays (with
    its nickname, so its messages keep their name), suspended and unable to authenticate."""
    await session.execute(delete(BotToken).where(BotToken.bot_id == bot_id))
    await session.execute(update(Bot).where(Bot.member_id == bot_id).values(kind=RETIRED))
    await session.execute(
        update(Member)
        .where(Member.id == bot_id)
        .values(suspended_at=utcnow(), suspended_until=None, suspend_reason="bot deleted")
    )
    end_bot_sessions(session, [bot_id], "withdrawn")


async def bot_kind(session: AsyncSession, member_id: int) -> str | None:
    """`bot`, `webhook`, or None for a person."""
    kind: str | None = await session.scalar(select(Bot.kind).where(Bot.member_id == member_id))
    return kind
