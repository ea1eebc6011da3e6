"""Structured logs: one JSON object per line, never a password or a token."""

from __future__ import annotations

import logging
import re
import sys
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: record attributes that are not `extra` fields; `color_message` is uvicorn's ANSI-coloured
#: duplicate of `msg`, noise in a JSON line
_RESERVED = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "color_message",
}
#: loggers whose info lines say nothing an operator needs (alembic lists its plugins on
#: every migration, and the embedded server migrates on every start); aiosqlite's debug
#: lines repeat every statement with its parameters (token hashes, message bodies)
_QUIET_LOGGERS = ("alembic.runtime.plugins", "aiosqlite")
#: a path followed by a query string: `/ws?ticket=…` (a ticket, or a token a client wrongly
#: put in the URL). uvicorn's WebSocket lines and websockets' debug lines print the target
#: as received, so every rendered line is scrubbed, whoever logged it.
_QUERY = re.compile(r"(/[^\s?\"'<>]*)\?[^\s\"'<>]*")


#: websockets' debug lines print every handshake header (`< Authorization: Bearer …`)
_CREDENTIAL_HEADER = re.compile(
    r"^([<>] (?:authorization|proxy-authorization|cookie|set-cookie)):.*$", re.I | re.M
)


def scrub_queries(text: str) -> str:
    """Drop the query string of every path in `text` (`/ws?ticket=x` becomes `/ws?…`), and
    the value of a logged credential header."""
    if "?" in text:
        text = _QUERY.sub(r"\1?…", text)
    if text.startswith(("< ", "> ")):
        text = _CREDENTIAL_HEADER.sub(r"\1: …", text)
    return text


class JsonFormatter(logging.Formatter):
    """Render a record and its `extra` fields as a single JSON line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": scrub_queries(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = scrub_queries(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exc"] = scrub_queries(self.formatException(record.exc_info))
        return orjson.dumps(entry, default=str).decode()


def configure_logging(level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


access_log = logging.getLogger("parley.access")


class AccessLogMiddleware:
    """Log method, path (never the query string, which may hold a ticket), status, duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            client = scope.get("client")
            access_log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "client": client[0] if client else None,
                },
            )
