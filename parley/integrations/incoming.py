"""Incoming webhooks: a secret URL that posts into one room as the webhook's bot.

The secret is the URL's last segment (`pih_…`), stored as its SHA-256 digest, so a leaked
table does not leak usable URLs; rotating replaces it. A post goes the normal send path
(`check_body`, the bot's send budget, slow mode and mutes, then `submit`), so it is
durable before it is visible, ordered, and rate-limited like any member.
"""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.api import Principal
from parley.core.errors import ParleyError, not_found
from parley.core.ports import Acked
from parley.core.runtime import Runtime
from parley.core.security import digest_token
from parley.integrations.access import require_manager, seat_webhook_bot
from parley.integrations.models import IncomingWebhook

SECRET_PREFIX = "pih_"  # noqa: S105 (a prefix, not a secret)
MAX_PER_ROOM = 20


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


async def create(
    runtime: Runtime, room_id: int, principal: Principal, name: str
) -> tuple[IncomingWebhook, str]:
    """A webhook and its bot in the room; returns the row and the secret (shown once)."""
    async with runtime.db.read_sessions() as session:
        await require_manager(session, room_id, principal)
        count = len(
            list(
                await session.scalars(
                    select(IncomingWebhook.id).where(IncomingWebhook.room_id == room_id)
                )
            )
        )
    if count >= MAX_PER_ROOM:
        raise ParleyError(409, "too_many_webhooks", f"a room has at most {MAX_PER_ROOM}")
    bot = await seat_webhook_bot(runtime, room_id, principal, name)
    secret = new_secret()
    async with runtime.db.sessions() as session:
        row = IncomingWebhook(
            room_id=room_id,
            bot_id=bot.id,
            name=name,
            secret_hash=digest_token(secret),
            created_by=principal.id,
        )
        session.add(row)
        await session.commit()
    return row, secret


async def of_room(session: AsyncSession, room_id: int) -> list[IncomingWebhook]:
    rows = await session.scalars(
        select(IncomingWebhook)
        .where(IncomingWebhook.room_id == room_id)
        .order_by(IncomingWebhook.id)
    )
    return list(rows)


async def find(session: AsyncSession, room_id: int, hook_id: int) -> IncomingWebhook:
    row = await session.get(IncomingWebhook, hook_id)
    if row is None or row.room_id != room_id:
        raise not_found("webhook", "webhook_not_found")
    return row


async def rotate(session: AsyncSession, row: IncomingWebhook) -> str:
    """A new secret; the old URL stops working with this commit."""
    secret = new_secret()
    row.secret_hash = digest_token(secret)
    await session.commit()
    return secret


async def post(runtime: Runtime, secret: str, text: str) -> Acked:
    """Post `text` as the webhook's bot through the normal send path (404 for a bad secret)."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 128:
        raise not_found("webhook", "webhook_not_found")
    async with runtime.db.read_sessions() as session:
        row = (
            await session.execute(
                select(IncomingWebhook.room_id, IncomingWebhook.bot_id).where(
                    IncomingWebhook.secret_hash == digest_token(secret)
                )
            )
        ).first()
    if row is None:
        raise not_found("webhook", "webhook_not_found")
    messaging = runtime.require_messaging()
    body = messaging.check_body(text)
    await messaging.check_send_rate(row.bot_id)
    await messaging.check_room_rules(row.bot_id, row.room_id)
    return await messaging.submit(row.bot_id, row.room_id, f"hook-{uuid.uuid4().hex}", body)
