"""RFC 9457 problem details with a stable machine `code`, and the handlers that emit them."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

log = logging.getLogger("parley.errors")

PROBLEM_CONTENT_TYPE = "application/problem+json"

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}


class ParleyError(Exception):
    """A failure a client caused or must know about; becomes one problem+json response."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def not_found(what: str, code: str = "not_found") -> ParleyError:
    return ParleyError(404, code, f"{what} not found")


def conflict(code: str, detail: str) -> ParleyError:
    return ParleyError(409, code, detail)


def forbidden(code: str, detail: str) -> ParleyError:
    return ParleyError(403, code, detail)


def unauthenticated(
    detail: str = "authentication required", code: str = "unauthenticated"
) -> ParleyError:
    return ParleyError(401, code, detail, headers={"WWW-Authenticate": "Bearer"})


def rate_limited(retry_after: float) -> ParleyError:
    seconds = max(1, int(retry_after + 0.999))
    return ParleyError(
        429,
        "rate_limited",
        f"too many attempts; retry in {seconds} s",
        headers={"Retry-After": str(seconds)},
        extra={"retry_after": seconds},
    )


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": f"https://parley.invalid/problems/{code}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "code": code,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if extra:
        body.update(extra)
    return Response(
        orjson.dumps(body), status_code=status, media_type=PROBLEM_CONTENT_TYPE, headers=headers
    )


def _field_name(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or str(loc[0] if loc else "request")


def _validation_problem(request: Request, exc: RequestValidationError) -> Response:
    errors = []
    for error in exc.errors():
        field = _field_name(error.get("loc", ()))
        errors.append({"field": field, "message": str(error.get("msg", "invalid"))})
    if any(e.get("type") == "json_invalid" for e in exc.errors()):
        return problem_response(
            400, "malformed_json", "the request body is not valid JSON", instance=request.url.path
        )
    fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
    return problem_response(
        422,
        "validation_failed",
        f"invalid field(s): {fields}",
        instance=request.url.path,
        extra={"errors": errors},
    )


_METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(scope: Mapping[str, Any]) -> str:
    """Every method of the request's path, for `Allow` on a 405.

    Starlette answers with the methods of the first route matching the path alone; a path
    served by several routes (GET, PATCH and DELETE of `/me` are three) needs all of them.
    The routes are read through FastAPI's `iter_route_contexts`, which sees into included
    routers (kept lazily as branches since FastAPI 0.160, not flattened).
    """
    path = scope["path"]
    root = scope.get("root_path", "")
    if root and path.startswith(root + "/"):
        path = path[len(root) :]
    methods: set[str] = set()
    router = getattr(scope.get("app"), "router", None)
    for context in iter_route_contexts(getattr(router, "routes", [])):
        regex, route_methods = getattr(context, "path_regex", None), context.methods
        if route_methods and regex is not None and regex.match(path):
            methods.update(route_methods)
    known = [m for m in _METHOD_ORDER if m in methods]
    return ", ".join(known + sorted(methods - set(_METHOD_ORDER)))


def install_error_handlers(app: FastAPI) -> None:
    """Make every error, including the framework's own, a problem+json response."""

    @app.exception_handler(ParleyError)
    async def _parley_error(request: Request, exc: ParleyError) -> Response:
        return problem_response(
            exc.status,
            exc.code,
            exc.detail,
            instance=request.url.path,
            headers=exc.headers,
            extra=exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        return _validation_problem(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 404:
            detail = "no such resource"
        headers = exc.headers
        if exc.status_code == 405:
            detail = f"method {request.method} is not allowed here"
            allow = allowed_methods(request.scope) or (headers or {}).get("Allow", "")
            headers = {**(headers or {}), "Allow": allow}
        return problem_response(
            exc.status_code, code, detail, instance=request.url.path, headers=headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        if is_database_unavailable(exc):
            log.warning(
                "database unavailable", extra={"path": request.url.path, "error": repr(exc)}
            )
            return problem_response(
                503,
                "unavailable",
                "the database is busy or unreachable; nothing was changed, retry shortly",
                instance=request.url.path,
                headers={"Retry-After": "1"},
            )
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, "internal_error", "an unexpected error occurred")


def is_database_unavailable(exc: BaseException) -> bool:
    """A failure of the database service (not of the request): pool exhausted, connection
    lost or refused, lock wait timed out, a deadlock's victim. The transaction was rolled
    back, so retrying is safe."""
    if isinstance(exc, sa_exc.TimeoutError | ConnectionError | TimeoutError):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated or isinstance(exc, sa_exc.InterfaceError):
            return True
        if isinstance(exc, sa_exc.OperationalError):
            return True
        if _sqlstate(exc)[:2] in UNAVAILABLE_SQLSTATE_CLASSES or is_transaction_conflict(exc):
            return True
    return isinstance(exc, OSError)


#: SQLSTATEs of a transaction the server rolled back to break a conflict with another one:
#: serialization failure, deadlock detected (MySQL and MariaDB say 1213 for a deadlock)
CONFLICT_SQLSTATES = frozenset({"40001", "40P01"})
MYSQL_DEADLOCK = 1213


def is_transaction_conflict(exc: BaseException) -> bool:
    """The server chose this transaction as a deadlock's or a serialization conflict's
    victim and rolled it back: running the same work again is the documented answer."""
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if _sqlstate(exc) in CONFLICT_SQLSTATES:
        return True
    args: tuple[object, ...] = getattr(exc.orig, "args", ())
    return len(args) > 0 and args[0] == MYSQL_DEADLOCK


#: SQLSTATE classes of a server that cannot serve now: connection exception, insufficient
#: resources, operator intervention (shutting down, starting up: "cannot connect now")
UNAVAILABLE_SQLSTATE_CLASSES = frozenset({"08", "53", "57"})


def _sqlstate(exc: sa_exc.DBAPIError) -> str:
    """The SQLSTATE behind a driver error (asyncpg keeps it on the wrapped exception)."""
    for candidate in (exc.orig, getattr(exc.orig, "__cause__", None)):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(code, str):
            return code
    return ""
