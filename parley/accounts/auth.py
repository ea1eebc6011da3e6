"""The one authentication path: a Bearer token or the session cookie becomes a `Principal`.

The JSON API (`accounts.deps`), the pages (`web.auth`) and the WebSocket handshake
(`realtime.gateway`) all read credentials with `read_credentials` and resolve them with
`authenticate`. The schemes are FastAPI security classes, so the OpenAPI document declares
them (`components.securitySchemes`) and lists them on every operation that needs a member.
What differs between the three callers is only the guard a cookie must pass, because a
browser attaches cookies to requests other sites make: the API wants the CSRF header on
unsafe methods, the gateway wants the page's own origin, and pages check their forms.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection

from parley.accounts.bots import BOT_TOKEN_PREFIX, resolve_bot_token
from parley.accounts.service import Principal, resolve_principal
from parley.core.errors import forbidden, unauthenticated
from parley.core.runtime import Runtime
from parley.core.security import InvalidToken, decode_access_token

ACCESS_COOKIE = "parley_access"
CSRF_COOKIE = "parley_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: OpenAPI names of the schemes (`components.securitySchemes`)
BEARER_SCHEME = "bearer"
COOKIE_SCHEME = "session_cookie"
CSRF_SCHEME = "csrf_token"
#: the session cookie counts only with the CSRF header on unsafe methods (`core.openapi`)
SECURITY_COMPANIONS = {COOKIE_SCHEME: CSRF_SCHEME}

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name=BEARER_SCHEME,
    bearerFormat="JWT",
    description="The access token of `POST /api/v1/auth/login`, or a bot's token "
    "(`POST /api/v1/me/bots/{id}/tokens`). API clients use this.",
)
session_cookie = APIKeyCookie(
    name=ACCESS_COOKIE,
    auto_error=False,
    scheme_name=COOKIE_SCHEME,
    description="The browser's access cookie. Ignored when an Authorization header is sent; "
    "unsafe methods also need the CSRF header.",
)
csrf_header = APIKeyHeader(
    name="X-CSRF-Token",
    auto_error=False,
    scheme_name=CSRF_SCHEME,
    description="The value of the `parley_csrf` cookie, on unsafe requests authenticated by "
    "the session cookie (double submit).",
)


@dataclass(frozen=True)
class Credentials:
    """An access token and where it came from (a cookie needs a guard against other sites)."""

    token: str
    via_cookie: bool


def pick_credentials(
    conn: HTTPConnection, bearer: HTTPAuthorizationCredentials | None, cookie: str | None
) -> Credentials | None:
    """The Bearer header wins; a request that sends any Authorization header is never
    cookie-authenticated, and one that is not `Bearer <token>` is `401 invalid_token`."""
    if bearer is not None and bearer.credentials.strip():
        return Credentials(bearer.credentials.strip(), via_cookie=False)
    if "authorization" in conn.headers:
        raise unauthenticated("Authorization header must be 'Bearer <token>'", "invalid_token")
    if cookie:
        return Credentials(cookie, via_cookie=True)
    return None


async def read_credentials(conn: HTTPConnection, *, bearer: bool = True) -> Credentials | None:
    """`pick_credentials` for callers outside FastAPI's routing (the WebSocket gateway)."""
    header = await bearer_scheme(conn) if bearer else None
    return pick_credentials(conn, header, await session_cookie(conn))


def check_csrf(method: str, cookies: Mapping[str, str], sent: str | None) -> None:
    """Double-submit check for cookie-authenticated unsafe requests (403 `csrf_failed`)."""
    if method in SAFE_METHODS:
        return
    cookie = cookies.get(CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), (sent or "").encode()):
        raise forbidden("csrf_failed", "missing or wrong CSRF token")


async def authenticate(
    runtime: Runtime,
    credentials: Credentials | None,
    *,
    cookie_guard: Callable[[], None] | None = None,
) -> Principal:
    """The member behind the credentials, on a short read-only session of its own.

    Read-only: a request never holds SQLite's write lock merely for being authenticated (it
    may wait on the message writer, which needs it). Short: the connection goes back to the
    pool before the route runs, so a request never holds two connections at once (forty
    concurrent requests would otherwise exhaust the pool while each waits for its second).
    A bot's token (`pbt_…`, Bearer only) resolves to a `BotPrincipal`.
    Raises 401 `unauthenticated`, `invalid_token` or `session_revoked`.
    """
    if credentials is None:
        raise unauthenticated()
    if credentials.via_cookie and cookie_guard is not None:
        cookie_guard()
    if credentials.token.startswith(BOT_TOKEN_PREFIX):  # a bot's long-lived token
        if credentials.via_cookie:
            raise unauthenticated("a bot token goes in the Authorization header", "invalid_token")
        async with runtime.db.read_sessions() as session:
            return await resolve_bot_token(session, credentials.token)
    try:
        claims = decode_access_token(runtime.settings, credentials.token)
    except InvalidToken:
        raise unauthenticated("access token is invalid or expired", "invalid_token") from None
    async with runtime.db.read_sessions() as session:
        return await resolve_principal(session, claims)
