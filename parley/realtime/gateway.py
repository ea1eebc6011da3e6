"""`GET /ws`: authenticate the handshake, then serve protocol v1 frames (docs/protocol.md)."""

from __future__ import annotations

import hmac
import logging
from urllib.parse import urlsplit

from fastapi import WebSocket
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect

from parley.accounts.api import (
    BotPrincipal,
    Principal,
    authenticate,
    read_credentials,
    resolve_session,
)
from parley.core.errors import ParleyError
from parley.realtime import handlers
from parley.realtime.connection import Connection
from parley.realtime.service import Realtime, realtime_of
from parley.realtime.wire import WIRE_EXTENSION

log = logging.getLogger("parley.realtime.gateway")
WS_PATH = "/ws"

CLOSE_UNAUTHENTICATED = 4001
CLOSE_FORBIDDEN = 4003


class HandshakeRefused(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _same_origin(websocket: HTTPConnection, allowed: list[str]) -> bool:
    origin = websocket.headers.get("origin")
    if origin is None:
        return False
    if origin in allowed:
        return True
    host = websocket.headers.get("host", "")
    parsed = urlsplit(origin)
    return parsed.scheme in ("http", "https") and hmac.compare_digest(parsed.netloc, host)


async def authenticate_handshake(websocket: HTTPConnection, realtime: Realtime) -> Principal:
    """Ticket, Bearer header, or session cookie from the same origin; never a token in the URL."""
    settings = realtime.settings
    ticket = websocket.query_params.get("ticket")
    if ticket is not None:
        grant = await realtime.tickets.redeem(ticket[:256])
        if grant is None:
            raise HandshakeRefused(CLOSE_UNAUTHENTICATED, "ticket is invalid, used or expired")
        return await _principal_of(realtime, grant.member_id, grant.session_id)

    def same_origin_only() -> None:  # a cookie rides along on any site's handshake
        if not _same_origin(websocket, settings.ws_allowed_origins):
            raise HandshakeRefused(CLOSE_FORBIDDEN, "cross-origin WebSocket refused")

    try:
        principal = await authenticate(
            realtime.runtime, await read_credentials(websocket), cookie_guard=same_origin_only
        )
    except ParleyError as refused:
        reason = _REASONS.get(refused.code, refused.detail)
        raise HandshakeRefused(CLOSE_UNAUTHENTICATED, reason) from None
    if isinstance(principal, BotPrincipal) and principal.rooms is not None:
        # the frame handlers check membership, not token limits: such a token uses HTTP
        raise HandshakeRefused(CLOSE_FORBIDDEN, "a room-limited bot token cannot open /ws")
    return principal


_REASONS = {
    "unauthenticated": "authentication required",
    "invalid_token": "token is invalid, expired or not Bearer",
    "session_revoked": "session has ended",
}


async def _principal_of(realtime: Realtime, member_id: int, session_id: str) -> Principal:
    async with realtime.runtime.db.read_sessions() as session:
        try:
            return await resolve_session(session, member_id, session_id)
        except ParleyError:
            raise HandshakeRefused(CLOSE_UNAUTHENTICATED, "session has ended") from None


class GatewayMiddleware:
    """Serves `GET /ws` ahead of the API's routing.

    A connection lives for hours and every layer it passes through stays suspended on its
    stack; skipping FastAPI's routing (exit stacks, scope copies) saves memory per connection.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == WS_PATH:
            await websocket_endpoint(WebSocket(scope, receive, send))
            return
        await self.app(scope, receive, send)


async def websocket_endpoint(websocket: WebSocket) -> None:
    realtime = realtime_of(websocket.app.state.runtime)
    await websocket.accept()
    wire = websocket.scope.get("extensions", {}).get(WIRE_EXTENSION)
    try:
        principal = await authenticate_handshake(websocket, realtime)
    except HandshakeRefused as refused:
        await websocket.close(refused.code, refused.reason)
        return
    except Exception:
        log.exception("handshake failed")
        await websocket.close(1011, "internal error")
        return
    if wire is not None:
        wire.release_handshake()
    # authenticated: the handshake headers (and Starlette's caches of them) are not needed again
    websocket.scope["headers"] = []
    for cached in ("_headers", "_cookies", "_query_params", "_url"):
        websocket.__dict__.pop(cached, None)
    conn = Connection(
        principal.id,
        principal.member.nickname,
        principal.session_id,
        wire,
        websocket.send,
        realtime.settings.ws_send_buffer_bytes,
    )
    await serve_connection(websocket, realtime, conn)


async def serve_connection(websocket: WebSocket, realtime: Realtime, conn: Connection) -> None:
    session = handlers.Session(realtime, conn)
    await session.send_ready()  # `ready` is always the first frame a client gets
    realtime.hub.add_connection(conn)
    realtime.presence.connected(conn.member_id)
    try:
        while not conn.closed:
            await session.capacity.wait()
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:
                conn.send(handlers.error_frame("binary_unsupported", "frames must be JSON text"))
                continue
            await session.handle_text(text)
    except WebSocketDisconnect:
        pass
    except (RuntimeError, ConnectionError) as exc:
        log.debug("connection ended", extra={"error": repr(exc)})
    finally:
        end_session(realtime, conn, session)


def end_session(realtime: Realtime, conn: Connection, session: handlers.Session) -> None:
    """The connection is gone (either path): forget it everywhere it was registered."""
    conn.stop()
    realtime.hub.remove_connection(conn)
    realtime.presence.disconnected(conn.member_id)
    session.cancel_pending()
