"""The transactional outbox: room events written with the state change, published after commit.

A crash between commit and publish leaves the row behind and the relay publishes it on the
next start; a rollback removes the row with the change, so nothing is invented.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
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
    payload: Mapped[str] = mapped_column(LongText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


#: set in `Session.info` when the transaction wrote events, so the relay wakes after commit
OUTBOX_PENDING = "parley_outbox_pending"


def enqueue_event(session: AsyncSession, room_id: int | None, frame: dict[str, Any]) -> None:
    """Add an event to the current transaction; it is published only if the transaction commits."""
    session.add(OutboxEvent(room_id=room_id, payload=orjson.dumps(frame).decode()))
    session.info[OUTBOX_PENDING] = True


async def take_pending(session: AsyncSession, limit: int = 500) -> list[OutboxEvent]:
    rows = await session.scalars(select(OutboxEvent).order_by(OutboxEvent.id).limit(limit))
    return list(rows)


async def mark_published(session: AsyncSession, ids: list[int]) -> None:
    if ids:
        await session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(ids)))
