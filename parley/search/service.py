"""Searching messages: candidates from the gram index and the queue, checked exactly.

Every page does bounded work. Candidates come from a window of at most `WINDOW` postings of
the rarest bigram of the query (or, for 1-character queries, `ID_SPAN` message ids), plus the
queued messages in that window; each is checked against the semantics in Python. When a
window ends before the page is full, `next_cursor` continues below it, so a page can be short
(even empty) and still have more: following cursors to the end equals a brute-force scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from parley.accounts.api import directory
from parley.chat.api import Message, message_payload, visible_to
from parley.chat.api import hooks as chat_hooks
from parley.rooms.api import Room, room_ids_of
from parley.search.hooks import hooks
from parley.search.models import SearchGram, SearchGramCount, SearchPending
from parley.search.text import highlights, matches, term_grams

WINDOW = 2000
ID_SPAN = 5000
MAX_GRAMS = 12
NO_CURSOR = 2**63 - 1
#: candidates read per statement, newest first, until the page is full
CHUNK = 100


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


async def _rarest(session: AsyncSession, grams: list[int]) -> int:
    """The gram with the fewest postings by the kept counts (one lookup; a gram with no
    count has no postings)."""
    if len(grams) == 1:
        return grams[0]
    counts = dict(
        (
            await session.execute(
                select(SearchGramCount.gram, SearchGramCount.postings).where(
                    SearchGramCount.gram.in_(grams)
                )
            )
        )
        .tuples()
        .all()
    )
    return min(grams, key=lambda gram: counts.get(gram, 0))


def _chosen_grams(terms: list[str]) -> list[int]:
    """A few bigrams per term (first, middle, last): enough to prune, few enough to probe."""
    chosen: dict[int, None] = {}
    for term in terms:
        grams = term_grams(term)
        for gram in (grams[0], grams[len(grams) // 2], grams[-1]) if grams else ():
            chosen.setdefault(gram, None)
    return list(chosen)[:MAX_GRAMS]


async def _window(
    session: AsyncSession, terms: list[str], cursor: int
) -> tuple[list[int] | None, int, int]:
    """Indexed candidate ids below `cursor`, newest first (None: a plain id range), the
    window's floor (0 when it reached the start), and the top of the window (the cursor, or
    above the newest message). The window is the `WINDOW` newest postings of the rarest
    chosen gram; the candidates are those of its ids that hold every other chosen gram,
    found in one statement of primary-key probes."""
    grams = _chosen_grams([t for t in terms if len(t) >= 2])
    if not grams:
        if cursor == NO_CURSOR:
            cursor = int(await session.scalar(select(func.max(Message.id))) or 0) + 1
        return None, max(cursor - ID_SPAN, 0), cursor
    driver = await _rarest(session, grams)
    below = and_(SearchGram.gram == driver, SearchGram.message_id < cursor)
    floor = await session.scalar(
        select(SearchGram.message_id)
        .where(below)
        .order_by(SearchGram.message_id.desc())
        .offset(WINDOW - 1)
        .limit(1)
    )
    floor = int(floor or 0)
    probe = select(SearchGram.message_id).where(below, SearchGram.message_id >= floor)
    for gram in grams:
        if gram != driver:
            other = aliased(SearchGram)
            probe = probe.where(
                select(other.message_id)
                .where(other.gram == gram, other.message_id == SearchGram.message_id)
                .exists()
            )
    ids = list((await session.execute(probe.order_by(SearchGram.message_id.desc()))).scalars())
    return ids, floor, cursor


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
    below = cursor or NO_CURSOR
    # the queue before the grams: the indexer moves a message from one to the other in one
    # commit, and under READ COMMITTED each statement sees the latest, so in this order a
    # message is always seen in at least one of them
    pending = list(
        (
            await session.execute(
                select(SearchPending.message_id)
                .where(SearchPending.message_id < below)
                .order_by(SearchPending.message_id.desc())
                .limit(WINDOW)
            )
        ).scalars()
    )
    indexed, floor, top = await _window(session, terms, below)
    if len(pending) == WINDOW:
        floor = max(floor, pending[-1])
    pending = [i for i in pending if i >= floor]
    visible = [
        Message.room_id.in_(room_ids_of(member_id)),
        visible_to(member_id),
        Message.deleted_by.is_(None),
        *_filtered(filters),
    ]
    found: list[tuple[Message, str | None]] = []
    chunks: list[list[ColumnElement[bool]]]
    if indexed is None:  # an id range, read in slices from the top
        chunks = [
            [Message.id < high, Message.id >= max(high - CHUNK * 5, floor)]
            for high in range(top, floor, -CHUNK * 5)
        ]
    else:
        ids = sorted(set(indexed) | set(pending), reverse=True)
        chunks = [[Message.id.in_(ids[n : n + CHUNK])] for n in range(0, len(ids), CHUNK)]
    for where in chunks:
        statement = (
            select(Message, directory.c.nickname)
            .outerjoin(directory, directory.c.id == Message.sender_id)
            .where(*where, *visible)
            .order_by(Message.id.desc())
        )
        for message, nickname in (await session.execute(statement)).all():
            if matches(message.body, terms):
                found.append((message, nickname))
        if len(found) > limit:
            break
    next_cursor: int | None = floor or None
    if len(found) > limit:
        found = found[:limit]
        next_cursor = found[-1][0].id
    return Page(await _items(session, found, terms), next_cursor)


async def _items(
    session: AsyncSession, found: list[tuple[Message, str | None]], terms: list[str]
) -> list[dict[str, Any]]:
    files = await chat_hooks.attachments_of(session, [m.id for m, _ in found])
    room_ids = {message.room_id for message, _ in found}
    rooms = {
        room_id: {"id": room_id, "name": name, "kind": kind}
        for room_id, name, kind in (
            await session.execute(
                select(Room.id, Room.name, Room.kind).where(Room.id.in_(room_ids))
            )
        ).all()
    }
    items = []
    for message, nickname in found:
        items.append(
            {
                "message": message_payload(message, nickname, files.get(message.id)),
                "room": rooms[message.room_id],
                "highlights": highlights(message.body, terms),
            }
        )
    return items
