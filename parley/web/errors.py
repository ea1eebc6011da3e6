"""Errors on page routes are pages; everywhere else they stay problem+json.

`install_page_errors` wraps the handlers `core.errors` installed: for a page path it renders
the 404 or error template (or redirects, for `PageRedirect` and a lapsed login); for the API
and the other machine endpoints it hands over to the original handler untouched.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from parley.core.errors import ParleyError, allowed_methods
from parley.web.auth import PageRedirect, here, login_location
from parley.web.i18n import Translator, request_language
from parley.web.render import render
from parley.web.security import is_page_path, page_headers

log = logging.getLogger("parley.web")
Handler = Callable[[Request, Any], Awaitable[Response]]


def redirect(location: str) -> RedirectResponse:
    """303, so a form post is followed by a GET of the next page."""
    return RedirectResponse(location, status_code=303)


def error_page(request: Request, status: int, message: str | None = None) -> Response:
    """The 404 page, or the error page with a status and a sentence for people."""
    t = Translator(request_language(request))
    if status == 404:
        return render(request, "404.html", status=404)
    return render(
        request,
        "error.html",
        {"status": status, "message": message or t("error.generic")},
        status=status,
    )


def page_error_response(request: Request, exc: ParleyError) -> Response:
    """How a service's refusal shows on a page."""
    if exc.status == 401:
        return redirect(login_location(here(request) if request.method == "GET" else "/"))
    t = Translator(request_language(request))
    return error_page(request, exc.status, t.error(exc.code, exc.detail))


def install_page_errors(app: FastAPI) -> None:
    """Route errors of page paths to HTML; leave the API's problem documents as they are."""
    originals: dict[Any, Handler] = dict(app.exception_handlers)

    def delegate(kind: Any) -> Handler:
        return originals.get(kind) or originals[Exception]

    @app.exception_handler(PageRedirect)
    async def _page_redirect(request: Request, exc: PageRedirect) -> Response:
        return redirect(exc.location)

    @app.exception_handler(ParleyError)
    async def _parley_error(request: Request, exc: ParleyError) -> Response:
        if is_page_path(request.url.path):
            return page_error_response(request, exc)
        return await delegate(ParleyError)(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if is_page_path(request.url.path):
            response = error_page(request, exc.status_code)
            if exc.status_code == 405:
                response.headers["Allow"] = allowed_methods(request.scope)
            return response
        return await delegate(StarletteHTTPException)(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        if is_page_path(request.url.path):
            in_path = any(error.get("loc", ("",))[0] == "path" for error in exc.errors())
            return error_page(request, 404 if in_path else 400)
        return await delegate(RequestValidationError)(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        if is_page_path(request.url.path):
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            # this answer leaves through the outermost middleware, past the headers one
            response = error_page(request, 500)
            response.headers.update(page_headers(request.headers.get("host")))
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Cache-Control"] = "no-store"
            return response
        return await delegate(Exception)(request, exc)
