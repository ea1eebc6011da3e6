"""`/me/bots`: a member's bots and their tokens (shown once, listed, revoked)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from parley.accounts import bots
from parley.accounts.deps import CurrentMember
from parley.accounts.schemas import Nickname
from parley.accounts.service import Principal
from parley.core.database import MAX_BIGINT
from parley.core.deps import DbSession, IdPath, ReadSession, RuntimeDep
from parley.core.errors import ParleyError
from parley.core.http import ParleyRoute
from parley.core.schemas import StrictModel

router = APIRouter(route_class=ParleyRoute, tags=["bots"])
RoomId = Annotated[int, Field(ge=1, le=MAX_BIGINT, strict=True)]


class BotCreate(StrictModel):
    nickname: Nickname


class BotOut(BaseModel):
    id: int
    nickname: str
    created_at: datetime


class TokenCreate(StrictModel):
    #: the rooms the token may use; omitted or null: every room the bot is in
    rooms: Annotated[list[RoomId], Field(max_length=100)] | None = None


class TokenOut(BaseModel):
    id: int
    rooms: list[int] | None
    created_at: datetime


class TokenCreated(TokenOut):
    #: shown once: only its digest is stored
    token: str


def _people_only(principal: Principal) -> None:
    if isinstance(principal, bots.BotPrincipal):
        raise ParleyError(403, "bots_cannot_manage_bots", "a bot cannot own bots")


@router.post("/me/bots", status_code=status.HTTP_201_CREATED)
async def create_bot(
    body: BotCreate, principal: CurrentMember, session: DbSession, runtime: RuntimeDep
) -> BotOut:
    """A bot member owned by the caller; it never logs in with a password."""
    _people_only(principal)
    member = await bots.create_bot(session, runtime, principal.id, body.nickname)
    await session.commit()
    return BotOut(id=member.id, nickname=member.nickname, created_at=member.created_at)


@router.get("/me/bots")
async def list_bots(principal: CurrentMember, session: ReadSession) -> list[BotOut]:
    rows = await bots.bots_of(session, principal.id)
    return [BotOut(id=m.id, nickname=m.nickname, created_at=b.created_at) for m, b in rows]


@router.post("/me/bots/{bot_id}/tokens", status_code=status.HTTP_201_CREATED)
async def create_token(
    bot_id: IdPath, body: TokenCreate, principal: CurrentMember, session: DbSession
) -> TokenCreated:
    """A long-lived token for the bot, optionally limited to rooms; the secret once."""
    _people_only(principal)
    await bots.owned_bot(session, principal.id, bot_id)
    row, secret = await bots.issue_token(session, bot_id, body.rooms)
    await session.commit()
    return TokenCreated(
        id=row.id, rooms=bots.token_rooms(row), created_at=row.created_at, token=secret
    )


@router.get("/me/bots/{bot_id}/tokens")
async def list_tokens(
    bot_id: IdPath, principal: CurrentMember, session: ReadSession
) -> list[TokenOut]:
    await bots.owned_bot(session, principal.id, bot_id)
    rows = await bots.tokens_of(session, bot_id)
    return [TokenOut(id=r.id, rooms=bots.token_rooms(r), created_at=r.created_at) for r in rows]


@router.delete("/me/bots/{bot_id}/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_token(
    bot_id: IdPath, token_id: IdPath, principal: CurrentMember, session: DbSession
) -> None:
    """The token stops working at once; its WebSocket connections close with 4001."""
    _people_only(principal)
    await bots.owned_bot(session, principal.id, bot_id)
    await bots.revoke_token(session, bot_id, token_id)
    await session.commit()
