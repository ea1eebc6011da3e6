"""HTTP plumbing shared by every router: strict JSON parsing, media types and size limits."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parley.core.errors import ParleyError, problem_response


class StrictJsonRequest(Request):
    """Parses bodies with orjson, which rejects invalid UTF-8 and lone surrogates outright."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = orjson.loads(await self.body())
        return self._json


def is_json_media_type(content_type: str | None) -> bool:
    """`application/json` or any `application/*+json`, parameters ignored."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


class ParleyRoute(APIRoute):
    """Every API route uses `StrictJsonRequest`, and a JSON body must say it is JSON.

    FastAPI hands a non-JSON body to the model as raw bytes, which surfaces as a confusing
    422 about object types; a client that sent a form or plain text deserves a 415 instead.
    Reading the body here, before FastAPI does, also lets a size-limit error escape as a 413
    rather than being rewrapped as FastAPI's generic 400 "error parsing the body".
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        expects_json = self.body_field is not None

        async def strict_handler(request: Request) -> Response:
            strict = StrictJsonRequest(request.scope, request.receive)
            if expects_json and await strict.body():
                content_type = strict.headers.get("content-type")
                if not is_json_media_type(content_type):
                    raise ParleyError(
                        415,
                        "unsupported_media_type",
                        f"the body must be application/json, not {content_type or 'untyped'}",
                    )
            return await handler(strict)

        return strict_handler


class _BodyTooLarge(HTTPException):
    """An HTTPException so that framework code which re-raises those lets it through."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body exceeds {limit} bytes")


class BodySizeLimitMiddleware:
    """Refuse request bodies over a bound with 413, before they are buffered whole."""

    def __init__(
        self, app: ASGIApp, default_limit: int, limits: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.default_limit = default_limit
        self.limits = limits or {}

    def _limit_for(self, path: str) -> int:
        for prefix, limit in self.limits.items():
            if path.startswith(prefix):
                return limit
        return self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope["path"])
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0 or declared > limit:
                    await self._refuse(scope, receive, send, limit)
                    return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await self._refuse(scope, receive, send, limit)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem_response(
            413, "body_too_large", f"request body exceeds {limit} bytes", instance=scope["path"]
        )
        await response(scope, receive, send)
