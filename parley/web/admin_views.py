"""The site admin's console at `/admin`: registration and invites, members (search,
suspend, unsuspend, end sessions), the open reports and the latest audit entries.

Server-rendered forms over the same services as `/api/v1/admin/*` (their audit entries
included); every form carries the CSRF token, no inline script or style (the CSP holds).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from parley.accounts import api as accounts
from parley.accounts.api import Principal
from parley.admin import api as admin
from parley.admin.schemas import InviteCreate, ReportResolve, SettingsUpdate, SuspendRequest
from parley.core.deps import DbSession, RuntimeDep
from parley.core.errors import ParleyError
from parley.core.runtime import Runtime
from parley.web.auth import PageMember
from parley.web.errors import redirect
from parley.web.forms import FormErrors, read_form, validate
from parley.web.i18n import Translator, request_language
from parley.web.render import render

router = APIRouter(include_in_schema=False)


async def _site_admin(principal: Principal, runtime: Runtime) -> Principal:
    if not principal.is_admin:
        raise ParleyError(403, "admin_only", "only a site admin may do this")
    return await admin.get_site_admin(principal, runtime.settings)


async def _page(
    request: Request,
    runtime: Runtime,
    *,
    flash: str | None = None,
    error: str | None = None,
    invite_code: str | None = None,
    status: int = 200,
) -> Response:
    q = "".join(ch for ch in request.query_params.get("q", "")[:64] if ch.isprintable()).strip()
    wanted = request.query_params.get("status")
    member_status = wanted if wanted in ("active", "suspended", "admin") else None
    async with runtime.db.read_sessions() as session:
        mode = await accounts.community.registration_mode(session)
        invites = await accounts.community.list_invites(session)
        members, _ = await accounts.moderation.list_members(session, q, member_status, 1, 50)
        reports = await admin.reports.site_reports(session, "open", None)
        entries = await admin.audit.query(session, limit=30)
    context: dict[str, Any] = {
        "registration": mode,
        "invites": [admin.service.invite_out(i) for i in invites[:20]],
        "invite_code": invite_code,
        "members": [admin.service.member_out(m) for m in members],
        "q": q,
        "member_status": member_status or "",
        "reports": reports,
        "entries": [admin.audit.entry_payload(e) for e in entries],
        "flash": flash,
        "error": error,
    }
    return render(request, "admin.html", context, status=status)


@router.get("/admin", response_class=HTMLResponse)
async def console(request: Request, principal: PageMember, runtime: RuntimeDep) -> Response:
    await _site_admin(principal, runtime)
    saved = request.query_params.get("saved")
    t = Translator(request_language(request))
    return await _page(request, runtime, flash=t("admin.saved") if saved else None)


def _member_id(values: dict[str, str]) -> int:
    raw = values.get("member_id", "")
    if not raw.isdigit() or not 0 < int(raw) < 2**63:
        raise FormErrors({"member_id": "invalid"})
    return int(raw)


@router.post("/admin")
async def console_action(
    request: Request, principal: PageMember, session: DbSession, runtime: RuntimeDep
) -> Response:
    actor = await _site_admin(principal, runtime)
    values = await read_form(request)
    t = Translator(request_language(request))
    action = values.get("action", "")
    try:
        if action == "registration":
            mode = validate(SettingsUpdate, {"registration": values.get("registration")}, t)
            await admin.service.set_registration(session, runtime, actor, mode.registration)
        elif action == "invite":
            uses = values.get("max_uses", "1")
            days = values.get("expires_days", "")
            body = validate(
                InviteCreate,
                {
                    "max_uses": int(uses) if uses.isdigit() else -1,
                    "expires_in_seconds": int(days) * 86_400 if days.isdigit() else None,
                },
                t,
            )
            made = await admin.service.create_invite(
                session, runtime, actor, body.max_uses, body.expires_in_seconds
            )
            return await _page(request, runtime, invite_code=made.code)
        elif action == "suspend":
            body_s = validate(SuspendRequest, {"reason": values.get("reason", "")}, t)
            await admin.service.suspend(
                session, runtime, actor, _member_id(values), body_s.reason, None
            )
        elif action == "unsuspend":
            await admin.service.unsuspend(session, runtime, actor, _member_id(values))
        elif action == "logout":
            await admin.service.end_sessions(session, runtime, actor, _member_id(values))
        elif action == "resolve":
            report_id = values.get("report_id", "")
            resolve = validate(
                ReportResolve,
                {"action": values.get("resolution"), "note": values.get("note", "")},
                t,
            )
            if not report_id.isdigit():
                raise FormErrors({"report_id": "invalid"})
            await admin.reports.resolve(
                session, runtime, actor, int(report_id), resolve.action, resolve.note
            )
        else:
            raise FormErrors({"action": "invalid"})
    except FormErrors:
        await session.rollback()
        return await _page(request, runtime, error=t("error.invalid_field"), status=422)
    except ParleyError as exc:
        await session.rollback()
        if exc.status == 401:
            raise
        return await _page(request, runtime, error=t.error(exc.code, exc.detail), status=exc.status)
    return redirect("/admin?saved=1")
