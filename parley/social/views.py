"""HTTP routes of friends and blocks (`/me/friends`, `/me/blocks`); direct rooms are a flow
(`parley.flows.views`)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from parley.accounts.api import CurrentMember, MemberSummary
from parley.core.deps import DbSession, IdPath, ReadSession, RuntimeDep
from parley.core.http import ParleyRoute
from parley.social import service
from parley.social.schemas import (
    BlockOut,
    FriendOut,
    FriendRequestOut,
    FriendshipOut,
    FriendsOut,
    MemberRequest,
)

router = APIRouter(route_class=ParleyRoute, tags=["social"])
NO_CONTENT = status.HTTP_204_NO_CONTENT


def _no_content() -> Response:
    return Response(status_code=NO_CONTENT)


@router.get("/me/friends")
async def list_friends(
    principal: CurrentMember, session: ReadSession, runtime: RuntimeDep
) -> FriendsOut:
    """Friends (with whether they are online now) and open requests either way."""
    rows = await service.friendships_of(session, principal.id)
    friend_ids = [r.member_id for r in rows if r.status == "accepted"]
    presence = runtime.require_messaging().presence
    online = await presence.online(friend_ids) if friend_ids else set()
    out = FriendsOut(friends=[], incoming=[], outgoing=[])
    for row in rows:
        member = MemberSummary(id=row.member_id, nickname=row.nickname)
        if row.status == "accepted":
            since = row.accepted_at or row.created_at
            is_online = row.member_id in online
            out.friends.append(FriendOut(member=member, online=is_online, since=since))
        else:
            queue = out.outgoing if row.requested_by == principal.id else out.incoming
            queue.append(FriendRequestOut(member=member, created_at=row.created_at))
    return out


@router.post("/me/friends", status_code=status.HTTP_201_CREATED)
async def request_friend(
    body: MemberRequest, principal: CurrentMember, session: DbSession
) -> FriendshipOut:
    """Send a friend request; if they already asked you, you are friends at once."""
    state = await service.request_friend(session, principal.id, body.member_id)
    nickname = await service.nickname_of(session, body.member_id)
    return FriendshipOut(member=MemberSummary(id=body.member_id, nickname=nickname), status=state)


@router.post("/me/friends/{member_id}/accept", status_code=NO_CONTENT)
async def accept_friend(
    member_id: IdPath, principal: CurrentMember, session: DbSession
) -> Response:
    await service.accept_request(session, principal.id, member_id)
    return _no_content()


@router.post("/me/friends/{member_id}/decline", status_code=NO_CONTENT)
async def decline_friend(
    member_id: IdPath, principal: CurrentMember, session: DbSession
) -> Response:
    await service.decline_request(session, principal.id, member_id)
    return _no_content()


@router.delete("/me/friends/{member_id}", status_code=NO_CONTENT)
async def remove_friend(
    member_id: IdPath, principal: CurrentMember, session: DbSession
) -> Response:
    """Unfriend, or cancel (or drop) an open request."""
    await service.remove_friend(session, principal.id, member_id)
    return _no_content()


@router.get("/me/blocks")
async def list_blocks(principal: CurrentMember, session: ReadSession) -> list[BlockOut]:
    return [
        BlockOut(member=MemberSummary(id=b.blocked_id, nickname=n), created_at=b.created_at)
        for b, n in await service.blocks_of(session, principal.id)
    ]


@router.post("/me/blocks/{member_id}", status_code=status.HTTP_201_CREATED)
async def block_member(member_id: IdPath, principal: CurrentMember, session: DbSession) -> BlockOut:
    """Block a member: no friend requests, direct messages, whispers or invites from them."""
    row = await service.block(session, principal.id, member_id)
    nickname = await service.nickname_of(session, member_id)
    return BlockOut(
        member=MemberSummary(id=member_id, nickname=nickname), created_at=row.created_at
    )


@router.delete("/me/blocks/{member_id}", status_code=NO_CONTENT)
async def unblock_member(
    member_id: IdPath, principal: CurrentMember, session: DbSession
) -> Response:
    await service.unblock(session, principal.id, member_id)
    return _no_content()
