"""The audit log: every admin and moderator action, with who, on what, why, from where, when.

Entries are written in the action's transaction (`record`), so an action and its entry exist
together or not at all. Nothing updates or deletes an entry except the retention sweep
(PARLEY_AUDIT_RETENTION_DAYS), which runs at most once a minute per process as entries are
written.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.admin.models import AuditEntry
from parley.core.database import utcnow
from parley.core.request_context import current_address

_SWEEP_EVERY_SECONDS = 60.0
_last_sweep = 0.0


async def record(
    session: AsyncSession,
    *,
    actor_id: int | None,
    actor_login_id: str = "",
    action: str,
    target_type: str,
    target_id: int | None = None,
    room_id: int | None = None,
    reason: str = "",
    address: str | None = None,
    retention_days: int = 0,
    **details: Any,
) -> AuditEntry:
    """Add an entry in the caller's transaction (the caller commits)."""
    entry = AuditEntry(
        at=utcnow(),
        actor_id=actor_id,
        actor_login_id=actor_login_id[:32],
        action=action,
        target_type=target_type,
        target_id=target_id,
        room_id=room_id,
        reason=reason[:500],
        address=(address if address is not None else current_address.get())[:64],
        details=orjson.dumps(details, default=str).decode(),
    )
    session.add(entry)
    await _sweep(session, retention_days)
    return entry


async def _sweep(session: AsyncSession, retention_days: int) -> None:
    global _last_sweep
    now = time.monotonic()
    if retention_days <= 0 or now - _last_sweep < _SWEEP_EVERY_SECONDS:
        return
    _last_sweep = now
    cutoff = utcnow() - timedelta(days=retention_days)
    await session.execute(delete(AuditEntry).where(AuditEntry.at < cutoff))


def entry_payload(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_login_id": entry.actor_login_id,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "room_id": entry.room_id,
        "reason": entry.reason,
        "address": entry.address,
        "details": orjson.loads(entry.details or "{}"),
    }


async def query(
    session: AsyncSession,
    *,
    actor_id: int | None = None,
    action: str | None = None,
    before: int | None = None,
    since: datetime | None = None,
    limit: int = 50,
) -> list[AuditEntry]:
    """Newest first; `before` is an entry id (keyset paging)."""
    statement = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if actor_id is not None:
        statement = statement.where(AuditEntry.actor_id == actor_id)
    if action is not None:
        statement = statement.where(AuditEntry.action == action)
    if before is not None:
        statement = statement.where(AuditEntry.id < before)
    if since is not None:
        statement = statement.where(AuditEntry.at >= since)
    return list(await session.scalars(statement))


async def export_lines(
    session: AsyncSession, *, actor_id: int | None = None, action: str | None = None
) -> AsyncIterator[bytes]:
    """Every matching entry as JSON lines, oldest first, read in pages of 500."""
    after = 0
    while True:
        statement = select(AuditEntry).where(AuditEntry.id > after)
        if actor_id is not None:
            statement = statement.where(AuditEntry.actor_id == actor_id)
        if action is not None:
            statement = statement.where(AuditEntry.action == action)
        page = list(await session.scalars(statement.order_by(AuditEntry.id).limit(500)))
        if not page:
            return
        for entry in page:
            yield orjson.dumps(entry_payload(entry)) + b"\n"
        after = page[-1].id
