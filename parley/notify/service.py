"""Subscribe and unsubscribe a browser; the rules of an acceptable subscription."""

from __future__ import annotations

import hashlib
import time

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.core.addresses import resolve
from parley.core.errors import ParleyError, not_found
from parley.notify.models import PushSubscription
from parley.notify.webpush import BadKeys, check_keys

#: a member's subscriptions (browsers, devices); subscribing one more drops the oldest
MAX_PER_MEMBER = 20


class _Made:
    """When this process last stored a subscription: until its transaction has surely
    committed, push dispatchers do not trust a cached "nobody has one"."""

    at = float("-inf")


made = _Made()


def endpoint_key(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()


async def subscribe(
    session: AsyncSession,
    member_id: int,
    endpoint: str,
    p256dh: str,
    auth: str,
    *,
    session_id: str | None,
    allow_insecure: bool,
) -> PushSubscription:
    """Store the subscription (replacing one of the same endpoint, whoever held it)."""
    await resolve(endpoint, allow_insecure)  # https + public addresses (422 endpoint_refused)
    try:
        check_keys(p256dh, auth)
    except BadKeys as exc:
        raise ParleyError(422, "invalid_subscription_keys", str(exc)) from None
    key = endpoint_key(endpoint)
    made.at = time.monotonic()
    await session.execute(delete(PushSubscription).where(PushSubscription.endpoint_key == key))
    count = await session.scalar(
        select(func.count()).where(PushSubscription.member_id == member_id)
    )
    if (count or 0) >= MAX_PER_MEMBER:
        oldest = await session.scalar(
            select(PushSubscription.id)
            .where(PushSubscription.member_id == member_id)
            .order_by(PushSubscription.id)
            .limit(1)
        )
        await session.execute(delete(PushSubscription).where(PushSubscription.id == oldest))
    row = PushSubscription(
        member_id=member_id,
        endpoint=endpoint,
        endpoint_key=key,
        p256dh=p256dh,
        auth=auth,
        session_id=session_id,
    )
    session.add(row)
    await session.commit()
    return row


async def unsubscribe(session: AsyncSession, member_id: int, subscription_id: int) -> None:
    """Only the member's own subscription; another's is a 404 like a missing one."""
    result = await session.execute(
        delete(PushSubscription).where(
            PushSubscription.id == subscription_id, PushSubscription.member_id == member_id
        )
    )
    if not getattr(result, "rowcount", 0):
        raise not_found("push subscription", "subscription_not_found")
    await session.commit()
