"""State every process must see the same way, kept in Redis when scaled out: tickets.

A ticket is issued by whichever process serves `POST /auth/ws-ticket` (an api process) and
redeemed by whichever serves the handshake (a gateway), so it must live in Redis; `GETDEL`
makes the redemption single-use even when two gateways race for the same ticket.
"""

from __future__ import annotations

from typing import Protocol

from redis.asyncio import Redis

from parley.core.config import Settings
from parley.core.errors import ParleyError
from parley.core.redis import REDIS_ERRORS, redis_key
from parley.core.security import digest_token, new_opaque_token
from parley.realtime.tickets import TicketGrant


class TicketStore(Protocol):
    async def issue(self, member_id: int, session_id: str) -> str: ...

    async def redeem(self, ticket: str) -> TicketGrant | None:
        """The grant, once: a second use, or a use after expiry, gets None."""
        ...


class RedisTicketStore:
    """Only the ticket's digest is a key; the value is `member_id:session_id`."""

    def __init__(self, client: Redis, settings: Settings) -> None:
        self._client = client
        self._settings = settings
        self.ttl = settings.ws_ticket_ttl_seconds

    def _key(self, ticket: str) -> str:
        return redis_key(self._settings, "ticket", digest_token(ticket))

    async def issue(self, member_id: int, session_id: str) -> str:
        ticket = new_opaque_token()
        try:
            await self._client.set(self._key(ticket), f"{member_id}:{session_id}", ex=self.ttl)
        except REDIS_ERRORS:
            raise ParleyError(
                503, "unavailable", "tickets are unavailable; authenticate with a Bearer header"
            ) from None
        return ticket

    async def redeem(self, ticket: str) -> TicketGrant | None:
        try:
            raw = await self._client.getdel(self._key(ticket))
        except REDIS_ERRORS as exc:
            raise ConnectionError("ticket store unavailable") from exc
        if raw is None:
            return None
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        member_id, _, session_id = text.partition(":")
        return TicketGrant(int(member_id), session_id)
