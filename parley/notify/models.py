"""A browser's push subscription (RFC 8030 endpoint and RFC 8291 keys) for one member."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from parley.core.database import Base, BigIntPK, UTCDateTime, utcnow


class PushSubscription(Base):
    """One browser profile's endpoint. An endpoint belongs to whoever subscribed it last
    (`endpoint_key`, its SHA-256, is unique), so a shared browser never pushes to two."""

    __tablename__ = "push_subscriptions"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    endpoint: Mapped[str] = mapped_column(String(2000))
    endpoint_key: Mapped[str] = mapped_column(String(64), unique=True)
    #: the browser's P-256 public key and auth secret, base64url as the browser gave them
    p256dh: Mapped[str] = mapped_column(String(100))
    auth: Mapped[str] = mapped_column(String(40))
    #: the login session that subscribed it: pushes stop when that session ends (logout on
    #: a shared computer); NULL for credentials without a session (bot tokens)
    session_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
