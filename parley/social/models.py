"""Friendships, blocks and the registry of direct-message rooms."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from parley.core.database import Base, UTCDateTime, utcnow


class Friendship(Base):
    """One row per pair of members (`low_id` < `high_id`): a pending request or a friendship.

    Keying the pair, not the direction, makes "A asked B" and "B asked A" collide on the
    primary key, so a mutual request can only ever become one friendship.
    """

    __tablename__ = "friendships"
    __table_args__ = (CheckConstraint("low_id < high_id", name="ordered_pair"),)

    low_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    high_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    #: who sent the request (one of the pair)
    requested_by: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(8), default="pending")  # pending | accepted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Block(Base):
    """`blocker_id` no longer hears from `blocked_id` (requests, DMs, whispers, invites)."""

    __tablename__ = "blocks"

    blocker_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DirectRoom(Base):
    """The direct-message room of a pair: at most one per pair, enforced by a unique key.

    The room itself is an ordinary `rooms` row of kind `direct`; this row says whose it is,
    so block checks on a send need no parsing of room names.
    """

    __tablename__ = "direct_rooms"
    __table_args__ = (
        UniqueConstraint("low_id", "high_id", name="uq_direct_rooms_pair"),
        CheckConstraint("low_id < high_id", name="ordered_pair"),
    )

    room_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    low_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("members.id", ondelete="CASCADE"))
    high_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
