"""The ASGI application: routers of every domain, error handling, logging, static assets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from parley import __version__, flows
from parley.accounts.auth import SECURITY_COMPANIONS
from parley.accounts.bot_views import router as bots_router
from parley.accounts.recovery_views import router as recovery_router
from parley.accounts.views import router as accounts_router
from parley.admin.report_views import router as reports_router
from parley.admin.views import router as admin_router
from parley.chat.views import router as chat_router
from parley.core import ops
from parley.core.config import Settings
from parley.core.errors import install_error_handlers
from parley.core.http import BodySizeLimitMiddleware
from parley.core.logging import AccessLogMiddleware
from parley.core.openapi import install_openapi
from parley.core.proxy import ForwardedHeadersMiddleware, parse_networks
from parley.core.request_context import RequestContextMiddleware
from parley.core.runtime import Runtime
from parley.files.service import start_files, stop_files
from parley.files.views import router as files_router
from parley.flows.retention import RetentionJob
from parley.flows.views import router as flows_router
from parley.integrations.api import router as integrations_router
from parley.notices.views import router as notices_router
from parley.notify.api import router as push_router
from parley.realtime.gateway import GatewayMiddleware
from parley.realtime.service import start_realtime, stop_realtime
from parley.realtime.views import router as realtime_router
from parley.rooms.moderation_views import router as room_moderation_router
from parley.rooms.views import router as rooms_router
from parley.search.api import Indexer
from parley.search.api import router as search_router
from parley.social.views import router as social_router
from parley.web import install_web

STATIC_DIR = Path(__file__).parent / "web" / "static"
API_PREFIX = "/api/v1"
JSON_BODY_LIMIT = 256 * 1024
#: room for the multipart framing around an upload of the largest allowed file
MULTIPART_OVERHEAD = 64 * 1024


def create_app(settings: Settings, runtime: Runtime | None = None) -> FastAPI:
    """Build the application; the runtime (database, hashing, …) lives for the app's lifespan."""
    flows.install()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_runtime = runtime is None
        app.state.runtime = runtime or Runtime.build(settings)
        await start_realtime(app.state.runtime)
        await start_files(app.state.runtime)
        indexer = Indexer(app.state.runtime.db)
        if settings.role != "gateway":
            indexer.start()
        retention = RetentionJob(app.state.runtime)
        if settings.role != "gateway":
            retention.start()
        try:
            yield
        finally:
            await retention.stop()
            await indexer.stop()
            await stop_files(app.state.runtime)
            await stop_realtime(app.state.runtime)
            if own_runtime:
                await app.state.runtime.close()

    app = FastAPI(
        title="Parley",
        version=__version__,
        description="A self-hosted real-time chat server. Errors are RFC 9457 problem+json.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    install_error_handlers(app)
    install_openapi(app, SECURITY_COMPANIONS)
    app.include_router(ops.router)
    if settings.role != "api":  # `--role gateway` (or `all`) serves the WebSocket…
        app.add_middleware(GatewayMiddleware)
    if settings.role == "gateway":  # …and then only that, the probes and /metrics
        _add_outer_middleware(app, settings)
        return app
    app.include_router(accounts_router, prefix=API_PREFIX)
    app.include_router(flows_router, prefix=API_PREFIX)
    app.include_router(bots_router, prefix=API_PREFIX)
    app.include_router(integrations_router, prefix=API_PREFIX)

    app.include_router(realtime_router, prefix=API_PREFIX)
    app.include_router(chat_router, prefix=API_PREFIX)
    app.include_router(rooms_router, prefix=API_PREFIX)
    app.include_router(notices_router, prefix=API_PREFIX)
    app.include_router(social_router, prefix=API_PREFIX)
    app.include_router(files_router, prefix=API_PREFIX)
    app.include_router(recovery_router, prefix=API_PREFIX)
    app.include_router(room_moderation_router, prefix=API_PREFIX)
    app.include_router(reports_router, prefix=API_PREFIX)
    app.include_router(admin_router, prefix=API_PREFIX)
    app.include_router(search_router, prefix=API_PREFIX)
    app.include_router(push_router, prefix=API_PREFIX)
    app.mount(
        "/static/swagger",
        StaticFiles(directory=ops.SWAGGER_UI_DIR),
        name="swagger",
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_web(app)
    upload_limit = settings.upload_max_bytes + MULTIPART_OVERHEAD
    app.add_middleware(
        BodySizeLimitMiddleware,
        default_limit=JSON_BODY_LIMIT,
        limits={f"{API_PREFIX}/files": upload_limit},
    )
    _add_outer_middleware(app, settings)
    return app


def _add_outer_middleware(app: FastAPI, settings: Settings) -> None:
    """The access log, and outside it the proxy headers: the log, the login throttle and
    the cookies' `Secure` flag all see the client's address and scheme, not the proxy's
    (and so does the audit log's address, set inside them)."""
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(
        ForwardedHeadersMiddleware, trusted=parse_networks(settings.forwarded_allow_ips)
    )
