"""Routes of incoming and outgoing webhooks (`/rooms/{id}/webhooks`, `/hooks/{secret}`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from parley.accounts.api import CurrentMember
from parley.chat.api import SendRejected
from parley.core.deps import DbSession, IdPath, ReadSession, RuntimeDep
from parley.core.errors import ParleyError, rate_limited
from parley.core.http import ParleyRoute
from parley.core.schemas import StrictModel
from parley.core.text import printable_line
from parley.integrations import incoming, outgoing
from parley.integrations.access import require_manager
from parley.integrations.models import OutgoingWebhook

router = APIRouter(route_class=ParleyRoute, tags=["integrations"])
Name = Annotated[str, printable_line(1, 32)]
Word = Annotated[str, StringConstraints(pattern=r"^[^\s\x00-\x1f]{1,32}$")]
Command = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,32}$")]


class WebhookCreate(StrictModel):
    name: Name


class WebhookOut(BaseModel):
    id: int
    room_id: int
    name: str
    bot_id: int
    created_at: datetime


class WebhookCreated(WebhookOut):
    #: shown once: POST Slack-style JSON here; rotate to replace it
    url: str


class SlackMessage(BaseModel):
    """Slack's incoming-webhook body: `text`; `username` and other Slack fields are
    accepted and ignored (the message shows the webhook's name)."""

    model_config = ConfigDict(extra="ignore")
    text: Annotated[str, Field(min_length=1, max_length=400_000)]
    username: Annotated[str, Field(max_length=80)] | None = None


class OutgoingCreate(StrictModel):
    url: Annotated[str, Field(min_length=8, max_length=2000)]
    trigger_words: Annotated[list[Word], Field(min_length=1, max_length=20)] | None = None
    #: a custom slash command (`/name …`) this webhook answers instead of room messages
    command: Command | None = None


class OutgoingOut(BaseModel):
    id: int
    room_id: int
    url: str
    trigger_words: list[str] | None
    command: str | None
    bot_id: int
    failures: int
    disabled: bool
    created_at: datetime


class OutgoingCreated(OutgoingOut):
    #: shown once: verify `X-Parley-Signature` with it
    secret: str


def _hook_url(request: Request, secret: str) -> str:
    return str(request.url_for("post_to_webhook", secret=secret))


@router.post("/rooms/{room_id}/webhooks", status_code=status.HTTP_201_CREATED)
async def create_webhook(
    room_id: IdPath,
    body: WebhookCreate,
    principal: CurrentMember,
    runtime: RuntimeDep,
    request: Request,
) -> WebhookCreated:
    """An incoming webhook (owner/admins): its bot joins the room; the URL holds the secret."""
    row, secret = await incoming.create(runtime, room_id, principal, body.name)
    return WebhookCreated(
        id=row.id,
        room_id=room_id,
        name=row.name,
        bot_id=row.bot_id,
        created_at=row.created_at,
        url=_hook_url(request, secret),
    )


@router.get("/rooms/{room_id}/webhooks")
async def list_webhooks(
    room_id: IdPath, principal: CurrentMember, session: ReadSession
) -> list[WebhookOut]:
    await require_manager(session, room_id, principal)
    rows = await incoming.of_room(session, room_id)
    return [
        WebhookOut(
            id=r.id, room_id=r.room_id, name=r.name, bot_id=r.bot_id, created_at=r.created_at
        )
        for r in rows
    ]


@router.post("/rooms/{room_id}/webhooks/{hook_id}/rotate")
async def rotate_webhook(
    room_id: IdPath,
    hook_id: IdPath,
    principal: CurrentMember,
    session: DbSession,
    request: Request,
) -> WebhookCreated:
    """A new secret URL; the old one stops working."""
    await require_manager(session, room_id, principal)
    row = await incoming.find(session, room_id, hook_id)
    secret = await incoming.rotate(session, row)
    return WebhookCreated(
        id=row.id,
        room_id=room_id,
        name=row.name,
        bot_id=row.bot_id,
        created_at=row.created_at,
        url=_hook_url(request, secret),
    )


@router.delete("/rooms/{room_id}/webhooks/{hook_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_webhook(
    room_id: IdPath, hook_id: IdPath, principal: CurrentMember, session: DbSession
) -> None:
    await require_manager(session, room_id, principal)
    await session.delete(await incoming.find(session, room_id, hook_id))
    await session.commit()


@router.post("/hooks/{secret}", name="post_to_webhook")
async def post_to_webhook(
    secret: Annotated[str, Field(max_length=128)], body: SlackMessage, runtime: RuntimeDep
) -> dict[str, object]:
    """Slack-compatible: `{"text": …}` posts into the webhook's room (no other credential)."""
    messaging = runtime.require_messaging()
    try:
        ack = await incoming.post(runtime, secret, body.text)
    except SendRejected as exc:
        if exc.code == "rate_limited":
            raise rate_limited(messaging.retry_after_seconds) from None
        code = {"muted": 403, "not_a_member": 403, "slow_mode": 429, "unavailable": 503}
        raise ParleyError(code.get(exc.code, 422), exc.code, exc.detail) from None
    return {"ok": True, "room_id": ack.room_id, "seq": ack.seq, "id": ack.id}


def _outgoing_out(row: OutgoingWebhook) -> dict[str, object]:
    return {
        "id": row.id,
        "room_id": row.room_id,
        "url": row.url,
        "trigger_words": outgoing.trigger_words_of(row),
        "command": row.command,
        "bot_id": row.bot_id,
        "failures": row.failures,
        "disabled": row.disabled_at is not None,
        "created_at": row.created_at,
    }


@router.post("/rooms/{room_id}/outgoing-webhooks", status_code=status.HTTP_201_CREATED)
async def create_outgoing(
    room_id: IdPath, body: OutgoingCreate, principal: CurrentMember, runtime: RuntimeDep
) -> OutgoingCreated:
    """Room messages (all, or with a trigger word; or a `/command`) POSTed to `url`, signed."""
    row = await outgoing.create(
        runtime, room_id, principal, body.url, body.trigger_words, body.command
    )
    forget = getattr(runtime.messaging, "integrations", None)
    if forget is not None:
        forget.forget(room_id)
    return OutgoingCreated(**_outgoing_out(row), secret=row.secret)


@router.get("/rooms/{room_id}/outgoing-webhooks")
async def list_outgoing(
    room_id: IdPath, principal: CurrentMember, session: ReadSession
) -> list[OutgoingOut]:
    await require_manager(session, room_id, principal)
    rows = await outgoing.of_room(session, room_id)
    return [OutgoingOut(**_outgoing_out(r)) for r in rows]


@router.delete(
    "/rooms/{room_id}/outgoing-webhooks/{hook_id}", status_code=status.HTTP_204_NO_CONTENT
)
async def delete_outgoing(
    room_id: IdPath,
    hook_id: IdPath,
    principal: CurrentMember,
    session: DbSession,
    runtime: RuntimeDep,
) -> None:
    await require_manager(session, room_id, principal)
    await session.delete(await outgoing.find(session, room_id, hook_id))
    await session.commit()
    forget = getattr(runtime.messaging, "integrations", None)
    if forget is not None:
        forget.forget(room_id)
