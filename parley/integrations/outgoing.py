"""Outgoing webhooks of a room: created by its owner/admins, checked endpoints, a secret."""

from __future__ import annotations

import secrets

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.api import Principal
from parley.core.addresses import resolve
from parley.core.errors import ParleyError, not_found
from parley.core.runtime import Runtime
from parley.integrations.access import require_manager, seat_webhook_bot
from parley.integrations.models import OutgoingWebhook

MAX_PER_ROOM = 20


def trigger_words_of(row: OutgoingWebhook) -> list[str] | None:
    return None if row.trigger_words is None else list(orjson.loads(row.trigger_words))


async def create(
    runtime: Runtime,
    room_id: int,
    principal: Principal,
    url: str,
    trigger_words: list[str] | None,
    command: str | None = None,
) -> OutgoingWebhook:
    """Check the endpoint (422 `endpoint_refused`), seat the answering bot, store the hook."""
    async with runtime.db.read_sessions() as session:
        await require_manager(session, room_id, principal)
        count = len(
            list(
                await session.scalars(
                    select(OutgoingWebhook.id).where(OutgoingWebhook.room_id == room_id)
                )
            )
        )
        if command is not None:
            taken = await session.scalar(
                select(OutgoingWebhook.id).where(
                    OutgoingWebhook.room_id == room_id, OutgoingWebhook.command == command
                )
            )
            if taken is not None:
                raise ParleyError(409, "command_taken", f"/{command} already has a webhook")
    if count >= MAX_PER_ROOM:
        raise ParleyError(409, "too_many_webhooks", f"a room has at most {MAX_PER_ROOM}")
    await resolve(url, runtime.settings.allow_insecure_endpoints)
    bot = await seat_webhook_bot(runtime, room_id, principal, "webhook")
    words = None
    if trigger_words is not None:
        words = orjson.dumps(sorted({w.casefold() for w in trigger_words})).decode()
    async with runtime.db.sessions() as session:
        row = OutgoingWebhook(
            room_id=room_id,
            bot_id=bot.id,
            url=url,
            trigger_words=words,
            command=command,
            secret=secrets.token_hex(32),
            created_by=principal.id,
            failures=0,
        )
        session.add(row)
        await session.commit()
    return row


async def of_room(session: AsyncSession, room_id: int) -> list[OutgoingWebhook]:
    rows = await session.scalars(
        select(OutgoingWebhook)
        .where(OutgoingWebhook.room_id == room_id)
        .order_by(OutgoingWebhook.id)
    )
    return list(rows)


async def find(session: AsyncSession, room_id: int, hook_id: int) -> OutgoingWebhook:
    row = await session.get(OutgoingWebhook, hook_id)
    if row is None or row.room_id != room_id:
        raise not_found("webhook", "webhook_not_found")
    return row
