"""Notice board rules: admins write, everyone reads; HTML is rendered when a notice is saved."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.api import Member, directory
from parley.core.database import utcnow
from parley.core.errors import ParleyError, not_found
from parley.notices.markdown import render
from parley.notices.models import Notice
from parley.notices.schemas import NoticeOut

PAGE_SIZE = 10


def _notice_not_found() -> ParleyError:
    return not_found("notice", "notice_not_found")


def _out(notice: Notice, author_nickname: str | None) -> NoticeOut:
    author = None
    if notice.author_id is not None and author_nickname is not None:
        author = {"id": notice.author_id, "nickname": author_nickname}
    return NoticeOut.model_validate(
        {
            "id": notice.id,
            "title": notice.title,
            "body_markdown": notice.body_markdown,
            "body_html": notice.body_html,
            "author": author,
            "created_at": notice.created_at,
            "updated_at": notice.updated_at,
        }
    )


def _with_author() -> Any:
    return select(Notice, directory.c.nickname).outerjoin(
        directory, directory.c.id == Notice.author_id
    )


async def list_notices(session: AsyncSession, page: int) -> tuple[list[NoticeOut], bool]:
    """Newest first, `PAGE_SIZE` a page."""
    rows = list(
        await session.execute(
            _with_author()
            .order_by(Notice.created_at.desc(), Notice.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )
    return [_out(n, nick) for n, nick in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE


async def get_notice(session: AsyncSession, notice_id: int) -> NoticeOut:
    row = (await session.execute(_with_author().where(Notice.id == notice_id))).first()
    if row is None:
        raise _notice_not_found()
    return _out(row[0], row[1])


async def create_notice(session: AsyncSession, author: Member, title: str, body: str) -> NoticeOut:
    now = utcnow()
    notice = Notice(
        title=title,
        body_markdown=body,
        body_html=render(body),
        author_id=author.id,
        created_at=now,
        updated_at=now,
    )
    session.add(notice)
    await session.commit()
    return _out(notice, author.nickname)


async def update_notice(
    session: AsyncSession, notice_id: int, changes: dict[str, Any]
) -> NoticeOut:
    notice = await session.get(Notice, notice_id, with_for_update=True)
    if notice is None:
        raise _notice_not_found()
    if "title" in changes:
        notice.title = changes["title"]
    if "body" in changes:
        notice.body_markdown = changes["body"]
        notice.body_html = render(changes["body"])
    notice.updated_at = utcnow()
    await session.commit()
    return await get_notice(session, notice_id)


async def delete_notice(session: AsyncSession, notice_id: int) -> None:
    notice = await session.get(Notice, notice_id)
    if notice is None:
        raise _notice_not_found()
    await session.delete(notice)
    await session.commit()
