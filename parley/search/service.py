"""Searching messages: candidates from the gram index and the queue, checked exactly.

Every page does bounded work. Candidates come from a window of at most `WINDOW` postings of
the rarest bigram of the query (or, for 1-character queries, `ID_SPAN` message ids), plus the
queued messages in that window (`parley.search.candidates`); each is checked against the
semantics in Python. When a window ends before the page is full, `next_cursor` continues
below it, so a page can be short (even empty) and still have more: following cursors to the
end equals a brute-force scan.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Row, Select, bindparam, select
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


@functools.lru_cache(maxsize=64)
def _statement(filtered: frozenset[str], has_file: bool | None, by_ids: bool) -> Select[Any]:
    """The message read for one shape of query (which parameters are set; candidate ids or
    an id range), every value bound: built and cache-keyed once, since SQLAlchemy takes
    longer to build a statement than the database to run it. Newest first, `need` rows."""
    member = bindparam("member", type_=BigInteger)
    clauses: list[ColumnElement[bool]] = [
        Message.room_id.in_(room_ids_of(member)),
        visible_to(member),
        Message.deleted_by.is_(None),
    ]
    if by_ids:
        clauses.append(Message.id.in_(bindparam("ids", expanding=True)))
    else:
        clauses += [Message.id < bindparam("high"), Message.id >= bindparam("low")]
    if "room_id" in filtered:
        clauses.append(Message.room_id == bindparam("room_id"))
    if "sender_id" in filtered:
        clauses.append(Message.sender_id == bindparam("sender_id"))
    if "after" in filtered:
        clauses.append(Message.created_at > bindparam("after"))
    if "before" in filtered:
        clauses.append(Message.created_at < bindparam("before"))
    if has_file is not None:
        has = hooks.has_file(Message.id)
        clauses.append(has if has_file else ~has)
    return (
        select(
            Message,
            directory.c.nickname,
            Room.name,
            Room.kind,
            hooks.has_file(Message.id).label("has_file"),
        )
        .join(Room, Room.id == Message.room_id)
        .outerjoin(directory, directory.c.id == Message.sender_id)
        .where(*clauses)
        .order_by(Message.id.desc())
        .limit(bindparam("need"))
    )


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
    found = await _read(session, _Reader.of(member_id, filters), candidates, terms, limit + 1)
    next_cursor: int | None = candidates.floor or None
    if len(found) > limit:
        found = found[:limit]
        next_cursor = found[-1][0].id
    return Page(await _items(session, found, terms), next_cursor)


@dataclass(frozen=True)
class _Reader:
    """The message reads of one search: the member and the filters that are set, bound
    into the statement of their shape."""

    params: dict[str, Any]
    has_file: bool | None

    @classmethod
    def of(cls, member_id: int, filters: Filters) -> _Reader:
        values = {
            "member": member_id,
            "room_id": filters.room_id,
            "sender_id": filters.sender_id,
            "after": filters.after,
            "before": filters.before,
        }
        params = {name: value for name, value in values.items() if value is not None}
        return cls(params, filters.has_file)

    async def rows(self, session: AsyncSession, need: int, **where: Any) -> list[Row[Any]]:
        """At most `need` rows among `ids=[…]`, or in `low <= id < high`, newest first."""
        statement = _statement(frozenset(self.params), self.has_file, "ids" in where)
        result = await session.execute(statement, {**self.params, **where, "need": need})
        return list(result.all())


async def _read(
    session: AsyncSession,
    reader: _Reader,
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
        where: dict[str, Any]
        if ids is None:
            if high <= candidates.floor:
                break
            low = max(high - SPAN_SLICE, candidates.floor)
            where = {"high": high, "low": low}
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
            where = {"ids": _padded(chunk)}
        need = wanted - len(found)
        rows = await reader.rows(session, need, **where)
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
