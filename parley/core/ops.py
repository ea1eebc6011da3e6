"""Operational endpoints: liveness, readiness, Prometheus metrics and the offline API docs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from parley.core.deps import RuntimeDep

log = logging.getLogger("parley.ops")
router = APIRouter()

#: readiness checks added by later layers (bus, Redis): name -> coroutine raising on failure
ReadinessCheck = Callable[[], Awaitable[None]]
#: a dependency that does not answer within this is as good as down (probes have deadlines)
CHECK_TIMEOUT_SECONDS = 2.0

#: Swagger UI 5 (reads OpenAPI 3.1), shipped inside the fastapi-offline wheel: no CDN
SWAGGER_UI_DIR = Path(fastapi_offline.__file__).parent / "static"
DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Parley API</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/swagger/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script>
</body></html>"""
#: the page runs only this process's files; Swagger UI styles elements through the DOM
#: (allowed) and draws its icons from `data:` images
DOCS_HEADERS = {
    "Content-Security-Policy": "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@router.get("/healthz", tags=["ops"])
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", tags=["ops"], response_model=None)
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Readiness: every dependency the process needs answers (the database, and more later)."""
    checks: dict[str, ReadinessCheck] = {"database": runtime.db.ping}
    checks.update(runtime.readiness)
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            await asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS)
            results[name] = "ok"
        except Exception as exc:  # any failure means not ready; the reason goes to the log
            log.warning("readiness check failed", extra={"check": name, "error": repr(exc)})
            results[name] = "unavailable"
    ready = all(v == "ok" for v in results.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": results},
        status_code=200 if ready else 503,
    )


@router.get("/metrics", tags=["ops"], response_class=Response)
async def metrics(runtime: RuntimeDep) -> Response:
    """Prometheus text format: connections, messages written, batches, deliveries, bus
    publications and errors, relay lag (parley/realtime/metrics.py)."""
    registry = runtime.metrics
    body = generate_latest(registry) if registry is not None else b""
    return Response(body, media_type=CONTENT_TYPE_LATEST)


@router.get("/docs", include_in_schema=False)
async def api_docs() -> HTMLResponse:
    """Swagger UI from files served by this process: works with no internet, cannot be framed."""
    return HTMLResponse(DOCS_PAGE, headers=DOCS_HEADERS)
