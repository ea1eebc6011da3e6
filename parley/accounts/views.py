"""HTTP routes of members and auth (`/api/v1/auth/*`, `/api/v1/me`, `/api/v1/members`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from parley.accounts import service
from parley.accounts.deps import CurrentMember
from parley.accounts.schemas import (
    LoginRequest,
    MemberOut,
    MemberSummary,
    NicknameQuery,
    PasswordChange,
    RefreshRequest,
    SignupRequest,
    TokenPair,
)
from parley.core.deps import ClientAddress, DbSession, PageQuery, ReadSession, RuntimeDep
from parley.core.http import ParleyRoute
from parley.core.schemas import Page

router = APIRouter(route_class=ParleyRoute)


@router.post("/auth/signup", status_code=status.HTTP_201_CREATED, tags=["auth"])
async def signup(
    body: SignupRequest, session: DbSession, runtime: RuntimeDep, address: ClientAddress
) -> MemberOut:
    """Create an account. Login ids are unique; the answer is the new member. The site's
    registration mode applies (an invite code when it is `invite`); throttled per address."""
    member = await service.signup(
        session,
        runtime,
        body.login_id,
        body.nickname,
        body.password,
        invite_code=body.invite_code,
        address=address,
    )
    return MemberOut.model_validate(member)


@router.post("/auth/login", tags=["auth"])
async def login(
    body: LoginRequest,
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
    address: ClientAddress,
) -> TokenPair:
    """Exchange credentials for an access token and a refresh token (throttled)."""
    member = await service.authenticate(
        session, runtime, body.login_id, body.password, address, body.totp_code
    )
    return await service.start_session(
        session, runtime, member, request.headers.get("user-agent", "")
    )


@router.post("/auth/refresh", tags=["auth"])
async def refresh(body: RefreshRequest, session: DbSession, runtime: RuntimeDep) -> TokenPair:
    """Rotate the refresh token. Reusing an old one revokes the whole session."""
    return await service.rotate_refresh_token(session, runtime, body.refresh_token)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"])
async def logout(body: RefreshRequest, session: DbSession) -> Response:
    """End the session the refresh token belongs to."""
    await service.logout(session, body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", tags=["me"])
async def read_me(principal: CurrentMember) -> MemberOut:
    return MemberOut.model_validate(principal.member)


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT, tags=["me"])
async def change_password(
    body: PasswordChange, principal: CurrentMember, session: DbSession, runtime: RuntimeDep
) -> Response:
    """Change the password; every other session of the member ends."""
    await service.change_password(
        session, runtime, principal, body.current_password, body.new_password
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/members", tags=["members"])
async def search_members(
    principal: CurrentMember,
    session: ReadSession,
    runtime: RuntimeDep,
    q: Annotated[NicknameQuery, Query()],
    page: PageQuery = 1,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> Page[MemberSummary]:
    """Find members by nickname (substring, case-insensitive), a bounded page at a time."""
    size = min(limit or 20, runtime.settings.member_search_max_limit)
    members, has_more = await service.search_members(session, q, size, page)
    return Page[MemberSummary](
        items=[MemberSummary.model_validate(m) for m in members],
        page=page,
        page_size=size,
        has_more=has_more,
    )
