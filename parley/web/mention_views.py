"""The mentions page: messages that name me (`<@id>` or `<@room>`) across my rooms, newest
first, each a link to its place in the room. Drawn on the server as plain text (the
message's rendered Markdown with its tags stripped), so nothing of a body is ever markup."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from parley.chat import api as chat
from parley.core.database import MAX_BIGINT
from parley.core.deps import ReadSession
from parley.rooms.api import my_rooms
from parley.web.auth import PageMember
from parley.web.render import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 30
#: characters of a message shown in the list
EXCERPT = 300


def _excerpt(message: dict[str, Any]) -> str:
    # striptags gives plain text (a str the template escapes again), never markup
    html = Markup(message.get("html") or "")  # noqa: S704
    text = html.striptags() or str(message.get("body") or "")
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


@router.get("/mentions", response_class=HTMLResponse)
async def mentions_page(
    request: Request,
    principal: PageMember,
    session: ReadSession,
    before_id: Annotated[int | None, Query(ge=1, le=MAX_BIGINT)] = None,
) -> Response:
    items, has_more = await chat.my_mentions(
        session, principal.id, before_id=before_id, room_id=None, before_seq=None, limit=PAGE_SIZE
    )
    rooms = {room.id: room for room in await my_rooms(session, principal.id)}
    mentions = []
    for message in items:
        room = rooms.get(message["room_id"])
        sender = message.get("sender") or {}
        mentions.append(
            {
                "href": f"/rooms/{message['room_id']}#msg-{message['seq']}",
                "room": room.name if room is not None and room.kind != "direct" else None,
                "sender": sender.get("nickname"),
                "created_at": message["created_at"],
                "text": _excerpt(message),
                "everyone": bool(message.get("mentions_room")),
            }
        )
    context = {
        "mentions": mentions,
        "older": items[-1]["id"] if has_more and items else None,
        "paged": before_id is not None,
    }
    return render(request, "mentions.html", context)
