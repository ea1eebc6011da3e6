"""The search page: a form (terms and filters) whose results the page's script fetches from
`GET /api/v1/search/messages` and draws with the hits marked."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from parley.core.deps import ReadSession
from parley.rooms.api import my_rooms
from parley.web.auth import PageMember
from parley.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/search", response_class=HTMLResponse)
async def search_page(request: Request, principal: PageMember, session: ReadSession) -> Response:
    rooms = [{"id": r.id, "name": r.name} for r in await my_rooms(session, principal.id)]
    params = request.query_params
    context = {
        "rooms": sorted(rooms, key=lambda r: str(r["name"]).casefold()),
        "search_q": params.get("q", "")[:256],
        "room_id": params.get("room_id", ""),
        "has_file": params.get("has_file") == "true",
        "after": params.get("after", "")[:10],
        "before": params.get("before", "")[:10],
    }
    return render(request, "search.html", context)
