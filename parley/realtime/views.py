"""HTTP side of the real-time layer: one-time tickets for `GET /ws`."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from parley.accounts.api import CurrentMember
from parley.core.deps import RuntimeDep
from parley.core.http import ParleyRoute
from parley.realtime.service import realtime_of

router = APIRouter(route_class=ParleyRoute, tags=["auth"])


class WsTicket(BaseModel):
    ticket: str
    expires_in: int


@router.post("/auth/ws-ticket")
async def issue_ws_ticket(principal: CurrentMember, runtime: RuntimeDep) -> WsTicket:
    """A single-use ticket for `GET /ws?ticket=`, valid for a short time: clients that cannot
    set headers on a WebSocket handshake never have to put a token in a URL."""
    realtime = realtime_of(runtime)
    ticket = await realtime.tickets.issue(principal.id, principal.session_id)
    return WsTicket(ticket=ticket, expires_in=runtime.settings.ws_ticket_ttl_seconds)
