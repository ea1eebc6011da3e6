"""Notice board pages: the list, one notice, and the admins' write and edit forms.

The preview is rendered on the server by the very function that renders saved notices
(`parley.notices.markdown.render`, Markdown then the nh3 allow-list), so what an admin
previews is exactly what readers will get, and no script ever builds HTML from it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from parley.accounts.service import Principal
from parley.core.deps import DbSession, IdPath, PageQuery, ReadSession
from parley.core.errors import ParleyError
from parley.notices import service as notices
from parley.notices.markdown import render as render_markdown
from parley.notices.schemas import NoticeCreate
from parley.web.auth import MaybeMember, PageMember
from parley.web.errors import redirect
from parley.web.forms import FormErrors, read_form, validate
from parley.web.i18n import Translator, request_language
from parley.web.render import render

router = APIRouter(include_in_schema=False)


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise ParleyError(403, "admin_only", "only a site admin may do this")


@router.get("/notices", response_class=HTMLResponse)
async def notice_list(
    request: Request, principal: MaybeMember, session: ReadSession, page: PageQuery = 1
) -> Response:
    items, more = await notices.list_notices(session, page)
    return render(request, "notices.html", {"notices": items, "page": page, "has_more": more})


def _form(
    request: Request,
    action: str,
    notice_id: int | None,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    preview: str | None = None,
    status: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "action": action,
        "notice_id": notice_id,
        "values": values,
        "errors": errors or {},
        "error": None,
        "preview": preview,
    }
    return render(request, "notice_form.html", context, status=status)


async def _submit(
    request: Request, session: DbSession, principal: Principal, notice_id: int | None
) -> Response:
    """Preview, save (create or update) or delete, as the pressed button says."""
    _require_admin(principal)
    values = await read_form(request)
    action = f"/notices/{notice_id}/edit" if notice_id else "/notices/new"
    if values.get("action") == "delete" and notice_id is not None:
        await notices.delete_notice(session, notice_id)
        return redirect("/notices")
    t = Translator(request_language(request))
    fields = {"title": values.get("title", ""), "body": values.get("body", "")}
    try:
        body = validate(NoticeCreate, fields, t)
    except FormErrors as exc:
        return _form(request, action, notice_id, fields, errors=exc.errors, status=422)
    if values.get("action") == "preview":
        return _form(request, action, notice_id, fields, preview=render_markdown(body.body))
    if notice_id is None:
        saved = await notices.create_notice(session, principal.member, body.title, body.body)
    else:
        changes = {"title": body.title, "body": body.body}
        saved = await notices.update_notice(session, notice_id, changes)
    return redirect(f"/notices/{saved.id}")


@router.get("/notices/new", response_class=HTMLResponse)
async def new_notice_page(request: Request, principal: PageMember) -> Response:
    _require_admin(principal)
    return _form(request, "/notices/new", None, {})


@router.post("/notices/new")
async def create_notice(request: Request, principal: PageMember, session: DbSession) -> Response:
    return await _submit(request, session, principal, None)


@router.get("/notices/{notice_id}", response_class=HTMLResponse)
async def notice_detail(
    request: Request, notice_id: IdPath, principal: MaybeMember, session: ReadSession
) -> Response:
    notice = await notices.get_notice(session, notice_id)
    return render(request, "notice.html", {"notice": notice})


@router.get("/notices/{notice_id}/edit", response_class=HTMLResponse)
async def edit_notice_page(
    request: Request, notice_id: IdPath, principal: PageMember, session: ReadSession
) -> Response:
    _require_admin(principal)
    notice = await notices.get_notice(session, notice_id)
    values = {"title": notice.title, "body": notice.body_markdown}
    return _form(request, f"/notices/{notice_id}/edit", notice_id, values)


@router.post("/notices/{notice_id}/edit")
async def edit_notice(
    request: Request, notice_id: IdPath, principal: PageMember, session: DbSession
) -> Response:
    return await _submit(request, session, principal, notice_id)
