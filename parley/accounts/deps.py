"""Who is calling an API route: a Bearer token, or the browser's session cookie with a CSRF
token (`accounts.auth` holds the one authentication path these dependencies use)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials

from parley.accounts.auth import (
    ACCESS_COOKIE,
    CSRF_COOKIE,
    CSRF_HEADER,
    SAFE_METHODS,
    authenticate,
    bearer_scheme,
    check_csrf,
    csrf_header,
    pick_credentials,
    session_cookie,
)
from parley.accounts.bots import BotPrincipal
from parley.accounts.service import Principal
from parley.core.deps import RuntimeDep
from parley.core.errors import ParleyError

__all__ = [
    "ACCESS_COOKIE",
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "SAFE_METHODS",
    "CurrentAdmin",
    "CurrentMember",
    "get_admin",
    "get_principal",
]


async def get_principal(
    request: Request,
    runtime: RuntimeDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
    cookie: Annotated[str | None, Security(session_cookie)],
    csrf: Annotated[str | None, Security(csrf_header)],
) -> Principal:
    """The member of an API request; the security parameters also document the schemes.
    A bot token limited to rooms is refused (403 `room_not_allowed`) on another room's routes."""
    principal = await authenticate(
        runtime,
        pick_credentials(request, bearer, cookie),
        cookie_guard=lambda: check_csrf(request.method, request.cookies, csrf),
    )
    if isinstance(principal, BotPrincipal) and principal.rooms is not None:
        room_id = str(request.path_params.get("room_id", ""))
        if not room_id.isdigit() or not principal.may_use_room(int(room_id)):
            raise ParleyError(403, "room_not_allowed", "this bot token is limited to other rooms")
    return principal


CurrentMember = Annotated[Principal, Depends(get_principal)]


async def get_admin(principal: CurrentMember) -> Principal:
    if not principal.is_admin:
        raise ParleyError(403, "admin_only", "only a site admin may do this")
    return principal


CurrentAdmin = Annotated[Principal, Depends(get_admin)]
