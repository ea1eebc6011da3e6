"""Room pages: the browser (search, pages, member counts), creating a room, and a room itself.

A member gets the chat page, whose script talks to the JSON API and `/ws`; anyone else who
may see the room gets its lobby (join, or accept an invite). Join, leave and decline are
plain form posts to the room's own path, so they work without scripts.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import TypeAdapter, ValidationError

from parley.core.deps import DbSession, IdPath, PageQuery, ReadSession, RuntimeDep
from parley.core.errors import ParleyError
from parley.core.text import printable_line
from parley.rooms import listing, membership
from parley.rooms import service as rooms
from parley.rooms.access import rooms_of_member
from parley.rooms.guard import MODERATORS
from parley.rooms.schemas import RoomCreate
from parley.social.api import peers_of
from parley.web.auth import PageMember
from parley.web.errors import redirect
from parley.web.forms import FormErrors, checkbox, read_form, validate
from parley.web.i18n import Translator, request_language
from parley.web.render import render

router = APIRouter(include_in_schema=False)
MIB = 1024 * 1024


def megabytes(size: int) -> str:
    """A byte limit as people read it: 10 MiB is "10", 1.5 MiB "1.5"."""
    return f"{size / MIB:.1f}".removesuffix(".0")


#: the browse API's rule for `q`
_search_term = TypeAdapter(Annotated[str, printable_line(0, 50)])


@router.get("/rooms", response_class=HTMLResponse)
async def browse(
    request: Request,
    principal: PageMember,
    session: ReadSession,
    q: Annotated[str, Query(max_length=200)] = "",
    page: PageQuery = 1,
) -> Response:
    t = Translator(request_language(request))
    found: list[Any] = []
    more, error = False, None
    try:
        query = _search_term.validate_python(q)
    except ValidationError:
        query, error = q, t("error.bad_search")
    else:
        found, more = await listing.browse(session, query, page)
    mine = {room_id for room_id, _ in await rooms_of_member(session, principal.id)}
    context = {
        "rooms": found,
        "has_more": more,
        "page": page,
        "query": query,
        "mine": mine,
        "error": error,
    }
    return render(request, "rooms.html", context)


def _new_room_form(
    request: Request,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    context = {"values": values or {}, "errors": errors or {}, "error": error}
    return render(request, "room_new.html", context, status=status)


@router.get("/rooms/new", response_class=HTMLResponse)
async def new_room_page(request: Request, principal: PageMember) -> Response:
    return _new_room_form(request)


@router.post("/rooms/new")
async def create_room(request: Request, principal: PageMember, session: DbSession) -> Response:
    values = await read_form(request)
    t = Translator(request_language(request))
    fields: dict[str, Any] = {
        "name": values.get("name", ""),
        "topic": values.get("topic", ""),
        "is_private": checkbox(values, "is_private"),
        "members_can_invite": checkbox(values, "members_can_invite"),
    }
    if values.get("capacity", "").strip():
        fields["capacity"] = values["capacity"].strip()
    try:
        room = await rooms.create_room(session, principal, validate(RoomCreate, fields, t))
    except FormErrors as exc:
        return _new_room_form(request, values, exc.errors, status=422)
    except ParleyError as exc:
        errors = {"name": t.error(exc.code, exc.detail)}
        return _new_room_form(request, values, errors, status=exc.status)
    return redirect(f"/rooms/{room.id}")


@router.get("/rooms/{room_id}", response_class=HTMLResponse)
async def room_page(
    request: Request,
    room_id: IdPath,
    principal: PageMember,
    session: ReadSession,
    runtime: RuntimeDep,
) -> Response:
    """The chat page for members; the lobby for those who may see the room but are not in it."""
    access = await rooms.room_detail(session, room_id, principal)
    room = access.room
    if access.membership is None:
        return render(request, "room_lobby.html", {"room": room, "invited": access.invited})
    role = access.membership.role
    can_invite = not room.is_private or room.members_can_invite or role in MODERATORS
    title = room.name
    if room.kind == "direct":  # named after the other member, never its `dm:1:2` name
        peer = (await peers_of(session, principal.id, [room.id])).get(room.id)
        title = (
            peer.nickname
            if peer
            else Translator(request_language(request))("common.deleted_member")
        )
    page_data = {
        "room": {
            "id": room.id,
            "name": room.name,
            "title": title,
            "kind": room.kind,
            "is_private": room.is_private,
        },
        "role": role,
        "site_admin": principal.is_admin,
        "last_read_seq": access.membership.last_read_seq,
        "max_chars": runtime.settings.message_max_chars,
        # PARLEY_EDIT_WINDOW_SECONDS (0: always); the page hides Edit after it, the API refuses
        "edit_window_seconds": getattr(runtime.settings, "edit_window_seconds", 0),
        # STUN/TURN for calls (PARLEY_ICE_SERVERS); empty: host candidates only
        "ice_servers": [{"urls": url} for url in runtime.settings.ice_servers],
        # PARLEY_UPLOAD_MAX_BYTES: said next to the attach button and in a too-large error
        "upload_max_bytes": runtime.settings.upload_max_bytes,
    }
    context = {
        "room": room,
        "title": title,
        "role": role,
        "can_invite": can_invite,
        "max_chars": runtime.settings.message_max_chars,
        "upload_mb": megabytes(runtime.settings.upload_max_bytes),
        # the room management panel (_room_admin.html); the API authorises every action
        "manages_room": role in MODERATORS and room.kind != "direct",
        # PARLEY_RETENTION_DAYS (0: forever), what "the server's default" means in the panel
        "instance_retention_days": runtime.settings.retention_days,
    }
    return render(request, "room.html", context, page_data=page_data)


@router.post("/rooms/{room_id}")
async def room_action(
    request: Request, room_id: IdPath, principal: PageMember, session: DbSession
) -> Response:
    """Join (a public room, or with an invite), leave, or decline an invite."""
    values = await read_form(request)
    action = values.get("action")
    if action == "join":
        try:
            await membership.join(session, room_id, principal)
        except ParleyError as exc:
            if exc.code != "already_member":  # a second click, another tab: just go in
                raise
        return redirect(f"/rooms/{room_id}")
    if action == "leave":
        await membership.leave(session, room_id, principal)
        return redirect("/")
    if action == "decline":
        await membership.decline_invite(session, room_id, principal)
        return redirect("/")
    raise ParleyError(400, "bad_request", "unknown action")
