"""Who is calling: a Bearer token, or the browser's session cookie with a CSRF token."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from parley.accounts.service import Principal, resolve_principal
from parley.core.deps import RuntimeDep
from parley.core.errors import ParleyError, forbidden, unauthenticated
from parley.core.security import InvalidToken, decode_access_token

ACCESS_COOKIE = "parley_access"
CSRF_COOKIE = "parley_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthenticated("Authorization header must be 'Bearer <token>'", "invalid_token")
    return token.strip()


def check_csrf(request: Request) -> None:
    """Double-submit check for cookie-authenticated unsafe requests."""
    if request.method in SAFE_METHODS:
        return
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), sent.encode()):
        raise forbidden("csrf_failed", "missing or wrong CSRF token")


async def get_principal(request: Request, runtime: RuntimeDep) -> Principal:
    """Authenticate on a short read-only session of its own.

    Read-only: a request never holds SQLite's write lock merely for being authenticated (it
    may wait on the message writer, which needs it). Short: the connection goes back to the
    pool before the route runs, so a request never holds two connections at once (forty
    concurrent requests would otherwise exhaust the pool while each waits for its second).
    """
    settings = runtime.settings
    token = bearer_token(request)
    if token is None:
        token = request.cookies.get(ACCESS_COOKIE)
        if token is None:
            raise unauthenticated()
        check_csrf(request)
    try:
        claims = decode_access_token(settings, token)
    except InvalidToken:
        raise unauthenticated("access token is invalid or expired", "invalid_token") from None
    async with runtime.db.read_sessions() as session:
        return await resolve_principal(session, claims)


CurrentMember = Annotated[Principal, Depends(get_principal)]


async def get_admin(principal: CurrentMember) -> Principal:
    if not principal.is_admin:
        raise ParleyError(403, "admin_only", "only a site admin may do this")
    return principal


CurrentAdmin = Annotated[Principal, Depends(get_admin)]
