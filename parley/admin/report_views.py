"""HTTP routes of reports and of the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import StreamingResponse

from parley.accounts.api import CurrentMember
from parley.admin import audit, reports
from parley.admin.deps import SiteAdmin
from parley.admin.schemas import (
    AuditOut,
    AuditPage,
    ReportCreate,
    ReportOut,
    ReportResolve,
    ReportStatus,
)
from parley.core.database import MAX_BIGINT
from parley.core.deps import DbSession, IdPath, ReadSession, RuntimeDep
from parley.core.http import ParleyRoute

router = APIRouter(route_class=ParleyRoute, tags=["admin"])
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_BIGINT)]
ActionQuery = Annotated[str | None, Query(pattern=r"^[a-z_.]{1,40}$")]


@router.post("/rooms/{room_id}/messages/{message_id}/reports", status_code=201, tags=["rooms"])
async def report_message(
    room_id: IdPath,
    message_id: IdPath,
    body: ReportCreate,
    principal: CurrentMember,
    session: DbSession,
) -> ReportOut:
    """Report a message to the room's moderators and the site admins."""
    report = await reports.file_report(session, principal, room_id, message_id, body.reason)
    return reports.report_out(report)


@router.get("/rooms/{room_id}/reports", tags=["rooms"])
async def room_reports(
    room_id: IdPath,
    principal: CurrentMember,
    session: ReadSession,
    status: Annotated[ReportStatus | None, Query()] = None,
) -> list[ReportOut]:
    """The room's report queue (owner and room admins)."""
    return await reports.room_reports(session, principal, room_id, status)


@router.get("/admin/reports")
async def site_reports(
    admin: SiteAdmin,
    session: ReadSession,
    status: Annotated[ReportStatus | None, Query()] = None,
    before: OptionalId = None,
) -> list[ReportOut]:
    return await reports.site_reports(session, status, before)


@router.post("/admin/reports/{report_id}/resolve")
async def resolve_report(
    report_id: IdPath,
    body: ReportResolve,
    principal: CurrentMember,
    session: DbSession,
    runtime: RuntimeDep,
) -> ReportOut:
    """Dismiss, delete the message, or suspend its sender (site admins; the room's
    moderators for their room, all but `suspend_sender`)."""
    report = await reports.resolve(session, runtime, principal, report_id, body.action, body.note)
    return reports.report_out(report)


@router.get("/admin/audit")
async def audit_log(
    admin: SiteAdmin,
    session: ReadSession,
    actor_id: OptionalId = None,
    action: ActionQuery = None,
    before: OptionalId = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPage:
    """Admin and moderator actions, newest first."""
    entries = await audit.query(
        session, actor_id=actor_id, action=action, before=before, limit=limit
    )
    items = [AuditOut.model_validate(audit.entry_payload(e)) for e in entries]
    return AuditPage(items=items, next_before=items[-1].id if len(items) == limit else None)


@router.get(
    "/admin/audit/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
    status_code=status.HTTP_200_OK,
)
async def export_audit(
    admin: SiteAdmin,
    runtime: RuntimeDep,
    actor_id: OptionalId = None,
    action: ActionQuery = None,
) -> StreamingResponse:
    """The whole log (or the filtered part) as JSON lines, oldest first."""

    async def lines() -> AsyncIterator[bytes]:
        async with runtime.db.read_sessions() as session:
            async for line in audit.export_lines(session, actor_id=actor_id, action=action):
                yield line

    return StreamingResponse(
        lines(),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="parley-audit.jsonl"'},
    )
