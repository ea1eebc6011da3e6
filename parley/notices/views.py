"""HTTP routes of the notice board (`/api/v1/notices`).

Reading needs no login: notices are announcements, meant for the sign-in page as much as for
members. Writing needs a site admin.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from parley.accounts.api import CurrentAdmin
from parley.core.deps import DbSession, IdPath, PageQuery, ReadSession
from parley.core.http import ParleyRoute
from parley.core.schemas import Page
from parley.notices import service
from parley.notices.schemas import NoticeCreate, NoticeOut, NoticeUpdate

router = APIRouter(route_class=ParleyRoute, tags=["notices"])


@router.get("/notices")
async def list_notices(session: ReadSession, page: PageQuery = 1) -> Page[NoticeOut]:
    """Notices, newest first, 10 a page. No login needed."""
    items, more = await service.list_notices(session, page)
    return Page[NoticeOut](items=items, page=page, page_size=service.PAGE_SIZE, has_more=more)


@router.get("/notices/{notice_id}")
async def read_notice(notice_id: IdPath, session: ReadSession) -> NoticeOut:
    return await service.get_notice(session, notice_id)


@router.post("/notices", status_code=status.HTTP_201_CREATED)
async def create_notice(body: NoticeCreate, admin: CurrentAdmin, session: DbSession) -> NoticeOut:
    """Post a notice (site admins). The Markdown body is rendered to sanitised HTML."""
    return await service.create_notice(session, admin.member, body.title, body.body)


@router.patch("/notices/{notice_id}")
async def update_notice(
    notice_id: IdPath, body: NoticeUpdate, admin: CurrentAdmin, session: DbSession
) -> NoticeOut:
    return await service.update_notice(session, notice_id, body.changes())


@router.delete("/notices/{notice_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_notice(notice_id: IdPath, admin: CurrentAdmin, session: DbSession) -> Response:
    await service.delete_notice(session, notice_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
