"""Searching messages: candidates from the gram index and the queue, checked exactly.

Every page does bounded work. Candidates come from a window of at most `WINDOW` postings of
the rarest bigram of the query (or, for 1-character queries, `ID_SPAN` message ids), plus the
queued messages in that window (`parley.search.candidates`); each is checked against the
semantics in Python. When a window ends before the page is full, `next_cursor` continues
below it, so a page can be short (even empty) and still have more: following cursors to the
end equals a brute-force scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.api import directory
from parley.chat.api import Message, message_payload, visible_to
from parley.chat.api import hooks as chat_hooks
from parley.rooms.api import Room, room_ids_of
from parley.search.candidates import NO_CURSOR, Window, window
from parley.search.hooks import hooks
from parley.search.text import highlights, matches

#: candidates a statement may name, newest first; it reads only as many as the page lacks
CHUNK = 128
#: ids a statement covers when the window is a plain id range
SPAN_SLICE = 500


@dataclass(frozen=True)
class Filters:
    room_id: int | None = None
    sender_id: int | None = None
    after: datetime | None = None
    before: datetime | None = None
    has_file: bool | None = None


@dataclass
class Page:
    items: list[dict[str, Any]]
    next_cursor: int | None


def _filtered(filters: Filters) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if filters.room_id is not None:
        clauses.append(Message.room_id == filters.room_id)
    if filters.sender_id is not None:
        clauses.append(Message.sender_id == filters.sender_id)
    if filters.after is not None:
        clauses.append(Message.created_at > filters.after)
    if filters.before is not None:
        clauses.append(Message.created_at < filters.before)
    if filters.has_file is not None:
        has = hooks.has_file(Message.id)
        clauses.append(has if filters.has_file else ~has)
    return clauses


async def search_messages(
    session: AsyncSession,
    member_id: int,
    terms: list[str],
    filters: Filters,
    *,
    limit: int = 20,
    cursor: int | None = None,
) -> Page:
    """The member's visible messages containing every term, newest first (see module doc)."""
    candidates = await window(session, terms, cursor or NO_CURSOR, 2 * (limit + 1))
    statement = (
        select(
            Message,
            directory.c.nickname,
            Room.name,
            Room.kind,
            hooks.has_file(Message.id).label("has_file"),
        )
        .join(Room, Room.id == Message.room_id)
        .outerjoin(directory, directory.c.id == Message.sender_id)
        .where(
            Message.room_id.in_(room_ids_of(member_id)),
            visible_to(member_id),
            Message.deleted_by.is_(None),
            *_filtered(filters),
        )
        .order_by(Message.id.desc())
    )
    found = await _read(session, statement, candidates, terms, limit + 1)
    next_cursor: int | None = candidates.floor or None
    if len(found) > limit:
        found = found[:limit]
        next_cursor = found[-1][0].id
    return Page(await _items(session, found, terms), next_cursor)


async def _read(
    session: AsyncSession,
    statement: Select[Any],
    candidates: Window,
    terms: list[str],
    wanted: int,
) -> list[Row[Any]]:
    """Up to `wanted` matching rows of the window, newest first: each statement names the
    next candidates (or id slice) and reads only as many rows as are still missing; when a
    batch of candidates is used up, the next batch of the same window is read."""
    found: list[Row[Any]] = []
    ids, high, at = candidates.ids, candidates.top, 0
    while len(found) < wanted:
        where: list[ColumnElement[bool]]
        if ids is None:
            if high <= candidates.floor:
                break
            low = max(high - SPAN_SLICE, candidates.floor)
            where = [Message.id < high, Message.id >= low]
        else:
            if at >= len(ids):
                if candidates.rest is None:
                    break
                candidates = await window(
                    session, terms, candidates.rest, 2 * wanted, floor=candidates.floor
                )
                ids, at = candidates.ids or [], 0
                continue
            chunk = ids[at : at + CHUNK]
            where = [Message.id.in_(_padded(chunk))]
        need = wanted - len(found)
        rows = (await session.execute(statement.where(*where).limit(need))).all()
        found.extend(row for row in rows if matches(row[0].body, terms))
        last = rows[-1][0].id if len(rows) == need else None
        if ids is None:
            high = last if last is not None else low
        else:
            at = at + chunk.index(last) + 1 if last is not None else at + CHUNK
    return found


def _padded(ids: list[int]) -> list[int]:
    """`ids` repeated at the end up to a power of two: a handful of distinct statements,
    which the driver prepares once per connection, instead of one per list length."""
    return ids + ids[-1:] * ((1 << (len(ids) - 1).bit_length()) - len(ids))


async def _items(
    session: AsyncSession, found: list[Row[Any]], terms: list[str]
) -> list[dict[str, Any]]:
    with_files = [row[0].id for row in found if row.has_file]
    files = await chat_hooks.attachments_of(session, with_files) if with_files else {}
    return [
        {
            "message": message_payload(message, nickname, files.get(message.id)),
            "room": {"id": message.room_id, "name": name, "kind": kind},
            "highlights": highlights(message.body, terms),
        }
        for message, nickname, name, kind, _ in map(tuple, found)
    ]
