"""GET /search/messages: the query is parsed here, the rules are in the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from parley.accounts.api import CurrentMember
from parley.core.database import MAX_BIGINT
from parley.core.deps import ReadSession
from parley.core.errors import ParleyError
from parley.core.http import ParleyRoute
from parley.search.schemas import SearchPage
from parley.search.service import Filters, search_messages
from parley.search.text import MAX_QUERY_CHARS, QueryError, parse_query

router = APIRouter(route_class=ParleyRoute, tags=["search"])

OptionalId = Annotated[int | None, Query(ge=1, le=MAX_BIGINT)]


@router.get("/search/messages")
async def search(
    principal: CurrentMember,
    session: ReadSession,
    q: Annotated[str, Query(max_length=MAX_QUERY_CHARS)],
    room_id: OptionalId = None,
    sender_id: OptionalId = None,
    after: AwareDatetime | None = None,
    before: AwareDatetime | None = None,
    has_file: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
    cursor: Annotated[str | None, Query(pattern=r"^[1-9][0-9]{0,18}$")] = None,
) -> SearchPage:
    """Messages of the caller's rooms whose body holds every term of `q` (words or "quoted
    phrases") as a substring after NFKC and case folding; whispers only to or from the
    caller. Newest first; follow `next_cursor` (a page may be short and still have more)."""
    try:
        terms = parse_query(q)
    except QueryError as exc:
        raise ParleyError(422, "invalid_query", str(exc)) from None
    below = int(cursor) if cursor is not None else None
    if below is not None and below > MAX_BIGINT:
        raise ParleyError(422, "invalid_query", "cursor is out of range")
    page = await search_messages(
        session,
        principal.id,
        terms,
        Filters(room_id, sender_id, after, before, has_file),
        limit=limit,
        cursor=below,
    )
    next_cursor = str(page.next_cursor) if page.next_cursor is not None else None
    return SearchPage.model_validate({"items": page.items, "next_cursor": next_cursor})
