"""The client address of the request being served, for records made deep in a service.

An audit entry names the address an action came from, yet a room service (a moderator's
kick) sees no request. `RequestContextMiddleware` sets this for every HTTP request and
WebSocket connection, inside the proxy-header middleware, so it is the client behind a
trusted proxy.
"""

from __future__ import annotations

from contextvars import ContextVar

from starlette.types import ASGIApp, Receive, Scope, Send

current_address: ContextVar[str] = ContextVar("parley_client_address", default="")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            token = current_address.set(client[0] if client else "")
            try:
                await self.app(scope, receive, send)
            finally:
                current_address.reset(token)
            return
        await self.app(scope, receive, send)
