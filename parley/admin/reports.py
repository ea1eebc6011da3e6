"""Reports of messages: a member files one, the room's moderators and site admins work the
queue. Resolving dismisses, deletes the message (a moderator deletion) or suspends the
sender (site admins only); each resolution is an audit entry in its transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.api import Principal
from parley.admin import audit, service
from parley.admin.models import Report
from parley.admin.schemas import ReportOut
from parley.chat import api as chat
from parley.core.database import utcnow
from parley.core.errors import ParleyError, conflict, forbidden, not_found
from parley.core.runtime import Runtime
from parley.rooms import api as rooms

#: open reports one member may have at a time (a flood of reports is itself abuse)
MAX_OPEN_PER_REPORTER = 50


def report_out(report: Report, body: str = "") -> ReportOut:
    return ReportOut(
        id=report.id,
        room_id=report.room_id,
        message_id=report.message_id,
        sender_id=report.sender_id,
        reporter_id=report.reporter_id,
        reason=report.reason,
        status=report.status,
        resolution=report.resolution,
        note=report.note,
        resolved_by=report.resolved_by,
        resolved_at=report.resolved_at,
        created_at=report.created_at,
        body=body,
    )


async def file_report(
    session: AsyncSession, principal: Principal, room_id: int, message_id: int, reason: str
) -> Report:
    """A member of the room reports a message they can see (not their own, not a system
    message); one open report per member and message."""
    if await rooms.get_membership(session, room_id, principal.id) is None:
        raise rooms.not_a_member()
    message = await chat.find_message(session, room_id, message_id, principal.id)
    if message is None:
        raise not_found("message", "message_not_found")
    if message.kind == "system":
        raise forbidden("system_message", "system messages cannot be reported")
    if message.sender_id == principal.id:
        raise forbidden("own_message", "you cannot report your own message")
    mine = select(Report.id).where(Report.reporter_id == principal.id, Report.status == "open")
    if await session.scalar(mine.where(Report.message_id == message_id)) is not None:
        raise conflict("already_reported", "you have already reported this message")
    if len(list(await session.scalars(mine.limit(MAX_OPEN_PER_REPORTER)))) >= MAX_OPEN_PER_REPORTER:
        raise ParleyError(429, "too_many_reports", "too many open reports; wait for them")
    report = Report(
        room_id=room_id,
        message_id=message_id,
        sender_id=message.sender_id,
        reporter_id=principal.id,
        reason=reason,
        status="open",
        note="",
        created_at=utcnow(),
    )
    session.add(report)
    await session.commit()
    return report


async def _with_bodies(session: AsyncSession, reports: list[Report]) -> list[ReportOut]:
    out = []
    for report in reports:
        message = await chat.find_message(session, report.room_id, report.message_id, None)
        out.append(report_out(report, message.body if message else ""))
    return out


async def room_reports(
    session: AsyncSession, principal: Principal, room_id: int, status: str | None
) -> list[ReportOut]:
    """The room's queue, for its owner and admins."""
    await rooms.load_room(session, room_id)
    if not await rooms.is_moderator(session, room_id, principal.id):
        raise forbidden("forbidden_role", "only the owner and room admins may do this")
    statement = select(Report).where(Report.room_id == room_id)
    if status is not None:
        statement = statement.where(Report.status == status)
    rows = list(await session.scalars(statement.order_by(Report.id.desc()).limit(200)))
    return await _with_bodies(session, rows)


async def site_reports(
    session: AsyncSession, status: str | None, before: int | None
) -> list[ReportOut]:
    statement = select(Report)
    if status is not None:
        statement = statement.where(Report.status == status)
    if before is not None:
        statement = statement.where(Report.id < before)
    rows = list(await session.scalars(statement.order_by(Report.id.desc()).limit(100)))
    return await _with_bodies(session, rows)


async def resolve(
    session: AsyncSession,
    runtime: Runtime,
    actor: Principal,
    report_id: int,
    action: str,
    note: str,
) -> Report:
    """Resolve an open report (site admins; room moderators for their room, except
    `suspend_sender`). `delete_message` is chat's moderator deletion, committed first in its
    own transaction (its seq and event; a message already deleted is left as it is)."""
    report = await session.get(Report, report_id)
    if report is None:
        raise not_found("report", "report_not_found")
    moderator = await rooms.is_moderator(session, report.room_id, actor.id)
    if not actor.is_admin and not moderator:
        raise forbidden("admin_only", "only a site admin or the room's moderators may do this")
    if action == "suspend_sender" and not actor.is_admin:
        raise forbidden("admin_only", "only a site admin may suspend a member")
    if report.status != "open":
        raise conflict("already_resolved", "this report is already resolved")
    if action == "suspend_sender" and report.sender_id is None:
        raise conflict("sender_gone", "the sender has withdrawn")
    room_id, message_id = report.room_id, report.message_id
    await session.rollback()
    if action == "delete_message":
        if await chat.delete_message(session, room_id, message_id, actor) is None:
            await session.rollback()
        else:
            await session.commit()
    report = await session.get(Report, report_id, with_for_update=True, populate_existing=True)
    if report is None or report.status != "open":
        raise conflict("already_resolved", "this report is already resolved")
    report.status, report.resolution, report.note = "resolved", action, note
    report.resolved_by, report.resolved_at = actor.id, utcnow()
    await audit.record(
        session,
        actor_id=actor.id,
        actor_login_id=actor.member.login_id,
        action=f"report.{action}",
        target_type="report",
        target_id=report.id,
        room_id=report.room_id,
        reason=note,
        retention_days=runtime.settings.audit_retention_days,
        message_id=report.message_id,
        sender_id=report.sender_id,
    )
    if action == "suspend_sender" and report.sender_id is not None:
        reason = note or f"report {report.id}: {report.reason}"
        await service.suspend(session, runtime, actor, report.sender_id, reason[:500], None)
        return report  # suspend committed the resolution with it
    await session.commit()
    return report
