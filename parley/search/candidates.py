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

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    CompoundSelect,
    Integer,
    Select,
    bindparam,
    func,
    literal,
    select,
    union_all,
)
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


@functools.lru_cache(maxsize=64)
def _statement(grams: int, refill: bool, newest: bool) -> CompoundSelect[Any]:
    """The UNION ALL for `grams` chosen grams (bound as g0, g1, …), built once per shape:
    building it costs more than running it."""
    queued = select(SearchPending.message_id).where(SearchPending.message_id < bindparam("top"))
    if refill:
        queued = queued.where(SearchPending.message_id >= bindparam("floor"))
    limited = queued.order_by(SearchPending.message_id.desc()).limit(bindparam("window"))
    parts = [_part(limited, _QUEUED)]
    if grams:
        driver: Any = bindparam("g0", type_=BigInteger)
        if grams > 1:  # without counts (never in step), the first: still exact
            rarest = (
                select(SearchGramCount.gram)
                .where(SearchGramCount.gram.in_(bindparam("grams", expanding=True)))
                .order_by(SearchGramCount.postings, SearchGramCount.gram)
                .limit(1)
                .scalar_subquery()
            )
            driver = func.coalesce(rarest, driver)
        by_driver = (
            select(SearchGram.message_id)
            .where(SearchGram.gram == driver, SearchGram.message_id < bindparam("top"))
            .order_by(SearchGram.message_id.desc())
        )
        if refill:
            postings = by_driver.where(SearchGram.message_id >= bindparam("floor")).subquery()
        else:
            postings = by_driver.limit(bindparam("window")).subquery()
            floor = by_driver.offset(bindparam("last")).limit(1)
            parts.append(_part(floor, _FLOOR))
        held = select(postings.c.message_id)
        for n in range(grams if grams > 1 else 0):  # the driver too: it may be any of them
            other = aliased(SearchGram)
            held = held.where(
                select(other.message_id)
                .where(
                    other.gram == bindparam(f"g{n}", type_=BigInteger),
                    other.message_id == postings.c.message_id,
                )
                .exists()
            )
        limited_held = held.order_by(postings.c.message_id.desc()).limit(bindparam("want"))
        parts.append(_part(limited_held, _HELD))
    elif newest:
        parts.append(_part(select(func.max(Message.id)), _NEWEST))
    return union_all(*parts)


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
    grams = chosen_grams(terms)
    params: dict[str, Any] = {"top": cursor, "window": WINDOW, "last": WINDOW - 1, "want": want}
    params.update({f"g{n}": gram for n, gram in enumerate(grams)})
    if len(grams) > 1:
        params["grams"] = grams
    if floor is not None:
        params["floor"] = floor
    statement = _statement(len(grams), floor is not None, cursor == NO_CURSOR)
    rows: list[Any] = list((await session.execute(statement, params)).all())
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
