"""The browser's credentials: which cookies exist, their attributes, and the CSRF token.

* `parley_access` — the access token (HttpOnly, SameSite=Lax, path `/`, expires with the
  token). `CurrentMember` of the JSON API and the `/ws` gateway accept it.
* `parley_refresh` — the refresh token (HttpOnly, SameSite=Strict). Its path is `/auth`, so
  the browser sends it to the refresh and logout routes only, never with ordinary requests.
* `parley_session` — a harmless hint that a refresh cookie exists: pages cannot see the
  refresh cookie (its path), so the hint tells them a rotation is worth trying when the
  access cookie is missing or expired.
* `parley_csrf` — the double-submit token, readable by scripts: forms repeat it in a hidden
  field, scripts in the `X-CSRF-Token` header. A new one is issued at each login.

Cookies are `Secure` when the request arrived over HTTPS; behind a proxy that terminates
TLS, the scheme is its `X-Forwarded-Proto`, believed when `PARLEY_FORWARDED_ALLOW_IPS` names
the proxy (parley/core/proxy.py).
"""

from __future__ import annotations

import hmac
import re
import secrets
from typing import Literal

from fastapi import Request, Response

from parley.accounts.deps import ACCESS_COOKIE, CSRF_COOKIE
from parley.accounts.schemas import TokenPair
from parley.core.config import Settings
from parley.core.errors import forbidden

REFRESH_COOKIE = "parley_refresh"
SESSION_HINT_COOKIE = "parley_session"
LANG_COOKIE = "parley_lang"
AUTH_PATH = "/auth"
CSRF_FIELD = "csrf_token"
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-]{32,128}$")

SameSite = Literal["lax", "strict", "none"]


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def _set(
    response: Response,
    request: Request,
    name: str,
    value: str,
    max_age: int,
    *,
    httponly: bool = True,
    samesite: SameSite = "lax",
    path: str = "/",
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        secure=is_https(request),
        httponly=httponly,
        samesite=samesite,
    )


def set_session_cookies(
    response: Response,
    request: Request,
    pair: TokenPair,
    settings: Settings,
    *,
    keep_csrf: bool = False,
) -> None:
    """Store a fresh token pair. A login issues a new CSRF token; a rotation (`keep_csrf`)
    keeps the current one, so forms already on screen can still be posted."""
    refresh_ttl = settings.refresh_token_ttl_seconds
    _set(response, request, ACCESS_COOKIE, pair.access_token, pair.expires_in)
    _set(
        response,
        request,
        REFRESH_COOKIE,
        pair.refresh_token,
        refresh_ttl,
        samesite="strict",
        path=AUTH_PATH,
    )
    _set(response, request, SESSION_HINT_COOKIE, "1", refresh_ttl)
    existing = request.cookies.get(CSRF_COOKIE, "")
    token = existing if keep_csrf and _TOKEN_SHAPE.match(existing) else new_csrf_token()
    set_csrf_cookie(response, request, token, refresh_ttl)


def clear_session_cookies(response: Response, request: Request) -> None:
    secure = is_https(request)
    response.delete_cookie(ACCESS_COOKIE, path="/", secure=secure, httponly=True)
    response.delete_cookie(REFRESH_COOKIE, path=AUTH_PATH, secure=secure, httponly=True)
    response.delete_cookie(SESSION_HINT_COOKIE, path="/", secure=secure, httponly=True)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def set_csrf_cookie(response: Response, request: Request, token: str, max_age: int) -> None:
    _set(response, request, CSRF_COOKIE, token, max_age, httponly=False)


def csrf_token(request: Request) -> str:
    """The request's CSRF token: the cookie's, or a new one that `render` will set."""
    existing = request.cookies.get(CSRF_COOKIE, "")
    if _TOKEN_SHAPE.match(existing):
        return existing
    token: str | None = getattr(request.state, "new_csrf_token", None)
    if token is None:
        token = new_csrf_token()
        request.state.new_csrf_token = token
    return token


def store_new_csrf_cookie(response: Response, request: Request, settings: Settings) -> None:
    """Set the CSRF cookie if this request had to invent the token its page embeds."""
    token = getattr(request.state, "new_csrf_token", None)
    if token is not None:
        set_csrf_cookie(response, request, token, settings.refresh_token_ttl_seconds)


def check_csrf_value(request: Request, sent: str | None) -> None:
    """The double-submit check: the value sent must equal the cookie (403 `csrf_failed`)."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not sent or not hmac.compare_digest(cookie.encode(), sent.encode()):
        raise forbidden("csrf_failed", "missing or wrong CSRF token")
