"""Who is looking at a page: the access cookie, refreshed transparently when it has expired.

A page request without a valid access cookie but with the session hint is sent through
`/auth/refresh` (where the refresh cookie is visible), which rotates the pair and sends the
browser back. Pages that need a member send everyone else to `/login?next=…`; `next` only
ever holds a local path, so the login form cannot be turned into an open redirect.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request, Security

from parley.accounts.auth import Credentials, authenticate, session_cookie
from parley.accounts.service import Principal
from parley.core.deps import RuntimeDep
from parley.core.errors import ParleyError
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
    request: Request,
    runtime: RuntimeDep,
    cookie: Annotated[str | None, Security(session_cookie)],
) -> Principal | None:
    """The member behind the access cookie, None for a visitor; may detour via a refresh.

    Pages are cookie-only (a proxy's `Authorization: Basic` must not break them); forms check
    their own CSRF field, so the cookie needs no guard here."""
    principal: Principal | None = None
    if cookie:
        try:
            principal = await authenticate(runtime, Credentials(cookie, via_cookie=True))
        except ParleyError:
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
