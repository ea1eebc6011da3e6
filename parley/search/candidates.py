"""Which messages a page checks: the window, found in one statement over the index and queue.

The window is the `WINDOW` newest postings below the cursor of the query's rarest chosen
gram (by `search_gram_counts`, a hint: any choice gives the same answer, the rarest the
densest window). Its candidates are the ids that hold every other chosen gram (primary-key
probes of `search_grams`), plus the queued messages in the same id range, which are checked
by brute force. Queries with only 1-character terms get a plain range of `ID_SPAN` ids.

One statement reads the queue, the window's floor and the candidates (a UNION ALL), so on
every database they come from one snapshot: the indexer moves a message from the queue to
the grams in one commit, and one snapshot sees it in exactly one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Integer, Select, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from parley.chat.api import Message
from parley.search.models import SearchGram, SearchGramCount, SearchPending
from parley.search.text import term_grams

WINDOW = 2000
ID_SPAN = 5000
MAX_GRAMS = 12
NO_CURSOR = 2**63 - 1

_QUEUED, _FLOOR, _HELD, _NEWEST = 0, 1, 2, 3


@dataclass(frozen=True)
class Window:
    #: candidate ids of this batch, newest first; None: every id in [floor, top)
    ids: list[int] | None
    #: the lowest id the window covers (0: it reached the first message)
    floor: int
    #: the cursor, or above the newest message
    top: int
    #: where the next batch of the same window starts (exclusive), None: this was the last
    rest: int | None = None


def chosen_grams(terms: list[str]) -> list[int]:
    """A few bigrams per term (first, middle, last): enough to prune, few enough to probe."""
    chosen: dict[int, None] = {}
    for term in terms:
        if len(term) < 2:
            continue
        grams = term_grams(term)
        for gram in (grams[0], grams[len(grams) // 2], grams[-1]):
            chosen.setdefault(gram, None)
    return list(chosen)[:MAX_GRAMS]


def _part(query: Select[Any], tag: int) -> Select[Any]:
    """One tagged part of the UNION ALL (a subquery, so each part may sort and limit)."""
    inner = query.subquery()
    return select(inner.c[0].label("id"), literal(tag, Integer).label("part"))


async def window(
    session: AsyncSession,
    terms: list[str],
    cursor: int,
    want: int,
    *,
    floor: int | None = None,
) -> Window:
    """The first batch of candidates of the page below `cursor` (see the module doc): the
    queue and at most `want` ids holding every chosen gram, newest first. With `floor` (a
    window already begun), the next batch of that window: the ids in [floor, cursor)."""
    queued = select(SearchPending.message_id).where(SearchPending.message_id < cursor)
    if floor is not None:
        queued = queued.where(SearchPending.message_id >= floor)
    parts = [_part(queued.order_by(SearchPending.message_id.desc()).limit(WINDOW), _QUEUED)]
    grams = chosen_grams(terms)
    if grams:
        driver: object = grams[0]
        if len(grams) > 1:  # without counts (never in step), the first: still exact
            rarest = (
                select(SearchGramCount.gram)
                .where(SearchGramCount.gram.in_(grams))
                .order_by(SearchGramCount.postings, SearchGramCount.gram)
                .limit(1)
                .scalar_subquery()
            )
            driver = func.coalesce(rarest, literal(grams[0], BigInteger))
        newest = (
            select(SearchGram.message_id)
            .where(SearchGram.gram == driver, SearchGram.message_id < cursor)
            .order_by(SearchGram.message_id.desc())
        )
        if floor is None:
            postings = newest.limit(WINDOW).subquery()
            parts.append(_part(newest.offset(WINDOW - 1).limit(1), _FLOOR))
        else:
            postings = newest.where(SearchGram.message_id >= floor).subquery()
        held = select(postings.c.message_id)
        for gram in grams if len(grams) > 1 else ():  # the driver too: it may be any of them
            other = aliased(SearchGram)
            held = held.where(
                select(other.message_id)
                .where(other.gram == gram, other.message_id == postings.c.message_id)
                .exists()
            )
        parts.append(_part(held.order_by(postings.c.message_id.desc()).limit(want), _HELD))
    elif cursor == NO_CURSOR:
        parts.append(_part(select(func.max(Message.id)), _NEWEST))
    rows: list[Any] = list((await session.execute(union_all(*parts))).all())
    pending = sorted((int(i) for i, part in rows if part == _QUEUED), reverse=True)
    found = {part: int(i) for i, part in rows if part in (_FLOOR, _NEWEST) and i is not None}
    if not grams:
        cursor = found.get(_NEWEST, 0) + 1 if cursor == NO_CURSOR else cursor
        low = max(cursor - ID_SPAN, 0)
        if len(pending) == WINDOW:
            low = max(low, pending[-1])
        return Window(None, low, cursor)
    if floor is None:
        floor = found.get(_FLOOR, 0)
        if len(pending) == WINDOW:
            floor = max(floor, pending[-1])
    held_ids = [int(i) for i, part in rows if part == _HELD]
    # a full batch: more may hold below its last id, read by the next batch (the queue too)
    rest = len(held_ids) == want and min(held_ids, default=floor) > floor
    low = min(held_ids) if rest else floor
    ids = sorted({i for i in held_ids if i >= low} | {i for i in pending if i >= low})
    ids.reverse()
    return Window(ids, floor, cursor, low if rest else None)
