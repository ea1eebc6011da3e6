"""Webhooks of a room: incoming (post by URL) and outgoing (room messages POSTed out)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parley.core.database import Base, BigIntPK, UTCDateTime, utcnow


class IncomingWebhook(Base):
    """`POST /api/v1/hooks/{secret}` posts as `bot_id` into `room_id`; the secret's digest."""

    __tablename__ = "incoming_webhooks"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    room_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("rooms.id", ondelete="CASCADE"), index=True
    )
    bot_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("members.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(32))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutgoingWebhook(Base):
    """Room messages (all, or those with a trigger word; or one `/command`) POSTed to `url`.

    `secret` signs deliveries, so it is kept (shown to the creator once). Answers are posted
    as `bot_id`. After `failures` consecutive failed deliveries it is disabled.
    """

    __tablename__ = "outgoing_webhooks"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    room_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("rooms.id", ondelete="CASCADE"), index=True
    )
    bot_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("members.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    #: a JSON list of words, or None for every message
    trigger_words: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: a custom slash command (`/deploy …`) this webhook answers, or None
    command: Mapped[str | None] = mapped_column(String(32), nullable=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    failures: Mapped[int] = mapped_column(Integer, default=0)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
