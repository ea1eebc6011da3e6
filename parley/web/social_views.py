"""The friends page: friends (online or not), open requests either way, and blocks.

The lists are rendered here from the same service calls as the JSON API; the page's script
acts through that API (accept, decline, cancel, remove, block, unblock, search, message) and
reloads the page to show the result.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from parley.core.deps import ReadSession, RuntimeDep
from parley.realtime.service import realtime_of
from parley.social import service
from parley.web.auth import PageMember
from parley.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/friends", response_class=HTMLResponse)
async def friends_page(
    request: Request, principal: PageMember, session: ReadSession, runtime: RuntimeDep
) -> Response:
    rows = await service.friendships_of(session, principal.id)
    friend_ids = [r.member_id for r in rows if r.status == "accepted"]
    online = await realtime_of(runtime).presence.online(friend_ids) if friend_ids else set()
    friends: list[dict[str, Any]] = []
    incoming: list[dict[str, Any]] = []
    outgoing: list[dict[str, Any]] = []
    for row in rows:
        item = {"id": row.member_id, "nickname": row.nickname}
        if row.status == "accepted":
            friends.append({**item, "online": row.member_id in online})
        elif row.requested_by == principal.id:
            outgoing.append(item)
        else:
            incoming.append(item)
    blocks = [
        {"id": block.blocked_id, "nickname": nickname}
        for block, nickname in await service.blocks_of(session, principal.id)
    ]
    context = {
        "friends": friends,
        "incoming": incoming,
        "outgoing": outgoing,
        "blocks": blocks,
    }
    return render(request, "friends.html", context)
