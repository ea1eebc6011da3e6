"""The web UI: server-rendered pages over the same services as the JSON API."""

from __future__ import annotations

from fastapi import FastAPI


def install_web(app: FastAPI) -> None:
    """Mount the pages, their security headers and their HTML error pages on `app`.

    Called after the API's error handlers are installed: page errors wrap them.
    """
    from parley.web.errors import install_page_errors
    from parley.web.security import SecurityHeadersMiddleware
    from parley.web.views import router

    app.include_router(router)
    install_page_errors(app)
    app.add_middleware(SecurityHeadersMiddleware)
