"""`GET /auth/oidc/login` and `GET /auth/oidc/callback`: signing in through the OpenID
provider, ending with the same browser cookies as a password login (`web.cookies`).

The flow cookie lives under `/auth/oidc` only, is HttpOnly and SameSite=Lax (the provider's
redirect back is a top-level GET from another site, which Lax still carries) and is
cleared once the callback has used it, whatever the outcome.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from parley.accounts import oidc
from parley.accounts import service as accounts
from parley.accounts.oidc_links import member_for_claims
from parley.core.config import Settings
from parley.core.deps import DbSession, RuntimeDep
from parley.core.errors import ParleyError
from parley.web.auth import safe_next
from parley.web.cookies import is_https, set_session_cookies
from parley.web.errors import error_page, redirect
from parley.web.i18n import Translator, request_language
from parley.web.render import render

router = APIRouter(include_in_schema=False)


def login_options(settings: Settings) -> dict[str, Any]:
    """What the login page shows: the provider's button, and whether passwords are on."""
    return {
        "oidc_name": oidc.display_name(settings) if oidc.enabled(settings) else None,
        "local_passwords": settings.local_passwords,
    }


def _redirect_uri(request: Request) -> str:
    return str(request.url_for("oidc_callback"))


def _failed(request: Request, exc: ParleyError, next_path: str = "/") -> Response:
    """The login page again, saying which step refused (in the visitor's language)."""
    t = Translator(request_language(request))
    context = {
        "values": {},
        "errors": {},
        "error": t.error(exc.code, exc.detail),
        "next": next_path,
        **login_options(request.app.state.runtime.settings),
    }
    response = render(request, "login.html", context, status=exc.status)
    _clear_flow(response, request)
    return response


def _clear_flow(response: Response, request: Request) -> None:
    response.delete_cookie(
        oidc.FLOW_COOKIE, path=oidc.FLOW_PATH, secure=is_https(request), httponly=True
    )


@router.get("/auth/oidc/login", name="oidc_login")
async def oidc_login(request: Request, runtime: RuntimeDep) -> Response:
    """Send the browser to the provider with a fresh state, nonce and PKCE challenge."""
    settings = runtime.settings
    if not oidc.enabled(settings):
        return error_page(request, 404)
    next_path = safe_next(request.query_params.get("next"))
    flow = oidc.new_flow(next_path)
    try:
        async with oidc.http_client() as client:
            meta = await oidc.discover(client, settings.oidc_issuer or "")
    except ParleyError as exc:
        return _failed(request, exc, next_path)
    response = redirect(oidc.authorization_url(settings, meta, flow, _redirect_uri(request)))
    response.set_cookie(
        oidc.FLOW_COOKIE,
        oidc.seal_flow(settings, flow),
        max_age=oidc.FLOW_TTL_SECONDS,
        path=oidc.FLOW_PATH,
        secure=is_https(request),
        httponly=True,
        samesite="lax",
    )
    return response


@router.get("/auth/oidc/callback", name="oidc_callback")
async def oidc_callback(request: Request, session: DbSession, runtime: RuntimeDep) -> Response:
    """Check the state, trade the code, validate the ID token, link or provision the member,
    and sign the browser in."""
    settings = runtime.settings
    if not oidc.enabled(settings):
        return error_page(request, 404)
    query = request.query_params
    try:
        flow = oidc.open_flow(settings, request.cookies.get(oidc.FLOW_COOKIE), query.get("state"))
    except ParleyError as exc:
        return _failed(request, exc)
    try:
        if query.get("error"):
            raise oidc.OidcError("oidc_denied", f"the provider said: {query['error'][:100]}", 403)
        code = query.get("code")
        if not code or len(code) > 2048:
            raise oidc.OidcError("oidc_exchange_failed", "the provider sent no code")
        redirect_uri = _redirect_uri(request)
        async with oidc.http_client() as client:
            meta = await oidc.discover(client, settings.oidc_issuer or "")
            token = await oidc.exchange_code(
                client, settings, meta, code, flow.verifier, redirect_uri
            )
            claims = await oidc.validate_id_token(client, settings, meta, token, flow.nonce)
        member = await member_for_claims(session, runtime, settings.oidc_issuer or "", claims)
    except ParleyError as exc:
        return _failed(request, exc, flow.next)
    pair = await accounts.start_session(
        session, runtime, member, request.headers.get("user-agent", "")
    )
    response = redirect(flow.next)
    set_session_cookies(response, request, pair, settings)
    _clear_flow(response, request)
    return response
