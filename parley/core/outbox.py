"""The transactional outbox: events written with the state change, published after commit.

A crash between commit and publish leaves the row behind and the relay publishes it on the
next start; a rollback removes the row with the change, so nothing is invented. Rows are
written by `parley.core.events.emit`, the one way an event leaves a transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from parley.core.database import Base, BigIntPK, LongText, UTCDateTime, utcnow


class OutboxEvent(Base):
    __tablename__ = "outbox"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    #: no foreign key: the event of a deleted room must outlive the room
    room_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    topic: Mapped[str] = mapped_column(String(32), default="room")
    #: the event in its bus encoding (`Event.to_wire`)
    payload: Mapped[str] = mapped_column(LongText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxLease(Base):
    """Which relay publishes the outbox now: one at a time, for a bounded time.

    The lease replaces a row lock held across the bus round trip: a relay renews it in a
    short transaction of its own, publishes with no transaction open, then deletes what it
    published. A relay that dies simply stops renewing; another takes over when it expires.
    """

    __tablename__ = "outbox_lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64), default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


#: set in `Session.info` when the transaction wrote events, so the relay wakes after commit
OUTBOX_PENDING = "parley_outbox_pending"


async def take_pending(session: AsyncSession, limit: int = 500) -> list[OutboxEvent]:
    rows = await session.scalars(select(OutboxEvent).order_by(OutboxEvent.id).limit(limit))
    return list(rows)


async def mark_published(session: AsyncSession, ids: list[int]) -> None:
    if ids:
        await session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(ids)))
