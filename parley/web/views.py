"""Pages of the web UI: home, sign-up, login, logout, session refresh, account, language.

Views call the same service functions as the JSON API and validate forms with its schemas;
they only translate between forms, cookies and pages. Every form posts back to its own
page's path, so a login detour can always return to a page a GET can show.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from parley.accounts import service as accounts
from parley.accounts.recovery import regenerate_codes
from parley.accounts.schemas import (
    LoginRequest,
    NicknameChange,
    PasswordChange,
    RecoveryCodesRequest,
    SignupRequest,
    TokenPair,
    WithdrawRequest,
)
from parley.core.deps import ClientAddress, DbSession, ReadSession, RuntimeDep
from parley.core.errors import ParleyError, problem_response
from parley.flows import accounts as flows_accounts
from parley.notices import service as notices
from parley.rooms import listing
from parley.social.api import peers_of
from parley.web import (
    admin_views,
    mention_views,
    notice_views,
    oidc_views,
    pwa_views,
    room_views,
    search_views,
    social_views,
)
from parley.web.auth import MaybeMember, PageMember, login_location, safe_next
from parley.web.cookies import (
    LANG_COOKIE,
    REFRESH_COOKIE,
    SESSION_HINT_COOKIE,
    check_csrf_value,
    clear_session_cookies,
    is_https,
    set_session_cookies,
)
from parley.web.errors import redirect
from parley.web.forms import FormErrors, read_form, validate
from parley.web.i18n import CATALOGS, Translator, request_language
from parley.web.render import render

router = APIRouter(include_in_schema=False)
router.include_router(room_views.router)
router.include_router(notice_views.router)
router.include_router(social_views.router)
router.include_router(search_views.router)
router.include_router(mention_views.router)
router.include_router(admin_views.router)
router.include_router(oidc_views.router)
router.include_router(pwa_views.router)
HOME_NOTICES = 5
LANG_COOKIE_SECONDS = 365 * 86_400


def _t(request: Request) -> Translator:
    return Translator(request_language(request))


def _signed_in(request: Request, runtime: RuntimeDep, pair: TokenPair, to: str) -> Response:
    response = redirect(to)
    set_session_cookies(response, request, pair, runtime.settings)
    return response


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, principal: MaybeMember, session: ReadSession) -> Response:
    latest, _ = await notices.list_notices(session, 1)
    rooms: list[Any] = []
    invites: list[Any] = []
    dm_names: dict[int, str] = {}
    if principal is not None:
        rooms = await listing.my_rooms(session, principal.id)
        invites = await listing.invites_of(session, principal.member)
        direct = [room.id for room in rooms if room.kind == "direct"]
        peers = await peers_of(session, principal.id, direct) if direct else {}
        dm_names = {room_id: peer.nickname for room_id, peer in peers.items()}
    flash = _t(request)("account.goodbye") if request.query_params.get("bye") else None
    return render(
        request,
        "home.html",
        {
            "notices": latest[:HOME_NOTICES],
            "rooms": rooms,
            "dm_names": dm_names,
            "invites": invites,
            "flash": flash,
        },
    )


def _auth_form(
    request: Request,
    template: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    values = values or {}
    next_path = safe_next(values.get("next") or request.query_params.get("next"))
    public = {k: v for k, v in values.items() if "password" not in k}
    context = {"values": public, "errors": errors or {}, "error": error, "next": next_path}
    context.update(oidc_views.login_options(request.app.state.runtime.settings))
    return render(request, template, context, status=status)


@router.get("/signup", response_class=HTMLResponse)
async def signup_page(request: Request, principal: MaybeMember) -> Response:
    if principal is not None:
        return redirect(safe_next(request.query_params.get("next")))
    return _auth_form(request, "signup.html")


def _valid_signup(values: dict[str, str], t: Translator) -> SignupRequest:
    """The sign-up fields checked all at once: every bad field and a password mismatch are
    reported together, not one per attempt."""
    fields = {k: values.get(k, "") for k in ("login_id", "nickname", "password")}
    if values.get("invite_code", "").strip():
        fields["invite_code"] = values["invite_code"].strip()
    errors: dict[str, str] = {}
    if values.get("password", "") != values.get("password2", ""):
        errors["password2"] = t("error.passwords_differ")
    try:
        body = validate(SignupRequest, fields, t)
    except FormErrors as exc:
        raise FormErrors({**exc.errors, **errors}) from None
    if errors:
        raise FormErrors(errors)
    return body


@router.post("/signup")
async def signup(request: Request, session: DbSession, runtime: RuntimeDep) -> Response:
    values = await read_form(request)
    t = _t(request)
    try:
        body = _valid_signup(values, t)
        member = await accounts.signup(
            session,
            runtime,
            body.login_id,
            body.nickname,
            body.password,
            invite_code=body.invite_code,
            address=request.client.host if request.client else None,
        )
    except FormErrors as exc:
        return _auth_form(request, "signup.html", values, exc.errors, status=422)
    except ParleyError as exc:
        errors = {"login_id": t.error(exc.code, exc.detail)}
        return _auth_form(request, "signup.html", values, errors, status=exc.status)
    pair = await accounts.start_session(
        session, runtime, member, request.headers.get("user-agent", "")
    )
    return _signed_in(request, runtime, pair, safe_next(values.get("next")))


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, principal: MaybeMember) -> Response:
    if principal is not None:
        return redirect(safe_next(request.query_params.get("next")))
    return _auth_form(request, "login.html")


@router.post("/login")
async def login(
    request: Request, session: DbSession, runtime: RuntimeDep, address: ClientAddress
) -> Response:
    values = await read_form(request)
    t = _t(request)
    try:
        given = {"login_id": values.get("login_id", ""), "password": values.get("password", "")}
        if values.get("totp_code", "").strip():
            given["totp_code"] = values["totp_code"].strip()
        body = validate(LoginRequest, given, t)
        member = await accounts.authenticate(
            session, runtime, body.login_id, body.password, address, body.totp_code
        )
    except FormErrors:
        # an id that could never exist: the same answer as a wrong password
        return _auth_form(request, "login.html", values, error=t("error.invalid_credentials"))
    except ParleyError as exc:
        response = _auth_form(
            request, "login.html", values, error=t.error(exc.code, exc.detail), status=exc.status
        )
        response.headers.update(exc.headers)
        return response
    pair = await accounts.start_session(
        session, runtime, member, request.headers.get("user-agent", "")
    )
    return _signed_in(request, runtime, pair, safe_next(values.get("next")))


@router.post("/auth/logout")
async def logout(request: Request, session: DbSession) -> Response:
    """End this browser's session (revoked server-side, not just forgotten) and its cookies."""
    await read_form(request)
    token = request.cookies.get(REFRESH_COOKIE)
    if token and len(token) <= 256:
        await accounts.logout(session, token)
    response = redirect("/")
    clear_session_cookies(response, request)
    return response


async def _rotate(request: Request, session: DbSession, runtime: RuntimeDep) -> TokenPair | None:
    token = request.cookies.get(REFRESH_COOKIE)
    if not token or len(token) > 256:
        return None
    try:
        return await accounts.rotate_refresh_token(session, runtime, token)
    except ParleyError:
        return None


@router.get("/auth/refresh")
async def refresh_and_return(request: Request, session: DbSession, runtime: RuntimeDep) -> Response:
    """A page found its access cookie gone: rotate the refresh cookie and go back there.

    A GET because it is reached by redirect; the refresh cookie is SameSite=Strict, so a
    cross-site request cannot make it rotate anything.
    """
    next_path = safe_next(request.query_params.get("next"))
    pair = await _rotate(request, session, runtime)
    if pair is None:
        response = redirect(login_location(next_path))
        if request.cookies.get(REFRESH_COOKIE):
            clear_session_cookies(response, request)
        else:  # not sent (a cross-site arrival): keep it, only stop detouring here
            response.delete_cookie(SESSION_HINT_COOKIE, path="/", secure=is_https(request))
        return response
    response = redirect(next_path)
    set_session_cookies(response, request, pair, runtime.settings, keep_csrf=True)
    return response


@router.post("/auth/refresh")
async def refresh_for_script(request: Request, session: DbSession, runtime: RuntimeDep) -> Response:
    """Scripts call this after a 401 (or a 4001 socket close), then retry once."""
    check_csrf_value(request, request.headers.get("x-csrf-token"))
    pair = await _rotate(request, session, runtime)
    if pair is None:
        response = problem_response(
            401, "invalid_refresh_token", "the session has ended; log in again"
        )
        clear_session_cookies(response, request)
        return response
    response = Response(status_code=204)
    set_session_cookies(response, request, pair, runtime.settings, keep_csrf=True)
    return response


@router.post("/lang")
async def choose_language(request: Request) -> Response:
    values = await read_form(request)
    response = redirect(safe_next(values.get("next")))
    if values.get("lang") in CATALOGS:
        response.set_cookie(
            LANG_COOKIE,
            values["lang"],
            max_age=LANG_COOKIE_SECONDS,
            path="/",
            secure=is_https(request),
            httponly=True,
            samesite="lax",
        )
    return response


def _account_page(
    request: Request,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    t = _t(request)
    saved = request.query_params.get("saved")
    flash = t(f"account.saved_{saved}") if saved in ("nickname", "password") else None
    public = {k: v for k, v in (values or {}).items() if "password" not in k}
    context = {"values": public, "errors": errors or {}, "flash": flash}
    return render(request, "account.html", context, status=status)


@router.get("/account", response_class=HTMLResponse)
async def account_page(request: Request, principal: PageMember) -> Response:
    return _account_page(request)


@router.post("/account")
async def account_change(
    request: Request, principal: PageMember, session: DbSession, runtime: RuntimeDep
) -> Response:
    values = await read_form(request)
    t = _t(request)
    action = values.get("action")
    form_key = f"{action}_form"
    try:
        if action == "nickname":
            nick = validate(NicknameChange, {"nickname": values.get("nickname", "")}, t)
            await flows_accounts.change_nickname(session, principal, nick.nickname)
            return redirect("/account?saved=nickname")
        if action == "password":
            if values.get("new_password", "") != values.get("new_password2", ""):
                raise FormErrors({"new_password2": t("error.passwords_differ")})
            change = validate(
                PasswordChange,
                {k: values.get(k, "") for k in ("current_password", "new_password")},
                t,
            )
            await accounts.change_password(
                session, runtime, principal, change.current_password, change.new_password
            )
            return redirect("/account?saved=password")
        if action == "recovery_codes":
            given = validate(
                RecoveryCodesRequest, {"password": values.get("recovery_password", "")}, t
            )
            codes = await regenerate_codes(session, runtime, principal, given.password)
            # the "store these" step: shown once, on a page of its own, never cached
            page = render(request, "recovery_codes.html", {"codes": codes})
            page.headers["Cache-Control"] = "no-store"
            return page
        if action == "withdraw":
            bye = validate(WithdrawRequest, {"password": values.get("withdraw_password", "")}, t)
            await flows_accounts.withdraw(session, runtime, principal, bye.password)
            response = redirect("/?bye=1")
            clear_session_cookies(response, request)
            return response
    except FormErrors as exc:
        field = "recovery_password" if action == "recovery_codes" else "withdraw_password"
        errors = {(field if k == "password" else k): v for k, v in exc.errors.items()}
        return _account_page(request, values, errors, status=422)
    except ParleyError as exc:
        if exc.status == 401:
            raise
        errors = {form_key: t.error(exc.code, exc.detail)}
        return _account_page(request, values, errors, status=exc.status)
    return _account_page(request, values, {"nickname_form": t("error.generic")}, status=400)
