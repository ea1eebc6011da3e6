"""Who is looking at a page: the access cookie, refreshed transparently when it has expired.

A page request without a valid access cookie but with the session hint is sent through
`/auth/refresh` (where the refresh cookie is visible), which rotates the pair and sends the
browser back. Pages that need a member send everyone else to `/login?next=…`; `next` only
ever holds a local path, so the login form cannot be turned into an open redirect.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request

from parley.accounts.deps import ACCESS_COOKIE
from parley.accounts.service import Principal, resolve_principal
from parley.core.deps import ReadSession, SettingsDep
from parley.core.errors import ParleyError
from parley.core.security import InvalidToken, decode_access_token
from parley.web.cookies import SESSION_HINT_COOKIE

MAX_NEXT_LENGTH = 2000


class PageRedirect(Exception):
    """Leave the page for another one (303 See Other); handled by `web.errors`."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def safe_next(value: str | None, default: str = "/") -> str:
    """A local path to return to, or `default`: never another site.

    Refused: absolute URLs, scheme-relative `//host`, backslashes (browsers read `/\\host`
    as `//host`), control characters and anything over-long.
    """
    if not value or len(value) > MAX_NEXT_LENGTH or not value.startswith("/"):
        return default
    if value.startswith("//") or "\\" in value or not value.isprintable():
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def here(request: Request) -> str:
    """The current page as a `next` value (path and query)."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def login_location(next_path: str) -> str:
    return "/login" if next_path == "/" else f"/login?next={quote(next_path, safe='/')}"


def refresh_location(next_path: str) -> str:
    return f"/auth/refresh?next={quote(next_path, safe='/')}"


def _return_path(request: Request) -> str:
    """Where to come back to: this page, or for a form post the page it was posted from
    (forms post to their own page's path, so that is the same path)."""
    return here(request) if request.method == "GET" else request.url.path


async def optional_principal(
    request: Request, session: ReadSession, settings: SettingsDep
) -> Principal | None:
    """The member behind the access cookie, None for a visitor; may detour via a refresh."""
    principal: Principal | None = None
    token = request.cookies.get(ACCESS_COOKIE)
    if token:
        try:
            principal = await resolve_principal(session, decode_access_token(settings, token))
        except (InvalidToken, ParleyError):
            principal = None
    if principal is None and request.cookies.get(SESSION_HINT_COOKIE):
        raise PageRedirect(refresh_location(_return_path(request)))
    request.state.principal = principal
    return principal


async def required_principal(
    request: Request,
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise PageRedirect(login_location(_return_path(request)))
    return principal


MaybeMember = Annotated[Principal | None, Depends(optional_principal)]
PageMember = Annotated[Principal, Depends(required_principal)]
