"""Single-use WebSocket tickets: a way to authenticate `/ws` without a token in the URL."""

from __future__ import annotations

import time
from dataclasses import dataclass

from parley.core.security import digest_token, new_opaque_token


@dataclass(frozen=True, slots=True)
class TicketGrant:
    member_id: int
    session_id: str


class MemoryTicketStore:
    """Tickets kept in this process (embedded mode); only digests are stored."""

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self._tickets: dict[str, tuple[TicketGrant, float]] = {}

    async def issue(self, member_id: int, session_id: str) -> str:
        now = time.monotonic()
        if len(self._tickets) > 10_000:
            self._tickets = {k: v for k, v in self._tickets.items() if v[1] > now}
        ticket = new_opaque_token()
        self._tickets[digest_token(ticket)] = (TicketGrant(member_id, session_id), now + self.ttl)
        return ticket

    async def redeem(self, ticket: str) -> TicketGrant | None:
        """The grant, once: a second use, or a use after expiry, gets None."""
        found = self._tickets.pop(digest_token(ticket), None)
        if found is None or found[1] < time.monotonic():
            return None
        return found[0]
