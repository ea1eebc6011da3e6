"""Rooms, their memberships, bans and pending invites."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from parley.core.database import Base, BigIntPK, UTCDateTime, utcnow


class Room(Base):
    __tablename__ = "rooms"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(50))
    #: casefolded name: uniqueness is case-insensitive on every backend
    #: None for direct rooms: they take no name in the room-name namespace
    name_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    kind: Mapped[str] = mapped_column(String(8), default="group")  # group | direct
    is_private: Mapped[bool] = mapped_column(Boolean, default=False)
    topic: Mapped[str] = mapped_column(String(200), default="")
    capacity: Mapped[int] = mapped_column(Integer, default=500)
    members_can_invite: Mapped[bool] = mapped_column(Boolean, default=False)
    #: a member (not a room moderator) may send at most once per this many seconds (0: off)
    slow_mode_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: messages older than this many days are purged (NULL: PARLEY_RETENTION_DAYS)
    retention_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: every seq up to this one was purged (retention): a resume from before it gets `reset`
    purged_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    #: kept in step with room_members so capacity can be enforced by one conditional UPDATE
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    #: the seq of the newest message; the next message takes last_seq + 1
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RoomMember(Base):
    __tablename__ = "room_members"

    room_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(8), default="member")  # owner | admin | member
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_read_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    #: notification level: all | mentions | none; NULL: the room kind's default
    #: (`parley.rooms.notify.DEFAULT_LEVELS`)
    notify: Mapped[str | None] = mapped_column(String(8), nullable=True)
    #: no notification at all until then (NULL: not muted)
    notify_muted_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RoomBan(Base):
    __tablename__ = "room_bans"

    room_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    banned_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoomInvite(Base):
    __tablename__ = "room_invites"

    room_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    invited_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoomMute(Base):
    """A member who may read but not send in the room until `until`."""

    __tablename__ = "room_mutes"

    room_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    muted_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
