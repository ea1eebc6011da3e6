"""Request and response bodies of the friends, blocks and direct-message endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from parley.accounts.api import MemberSummary
from parley.core.schemas import StrictModel
from parley.rooms.api import MemberId, MyRoomOut


class MemberRequest(StrictModel):
    member_id: MemberId


class FriendOut(BaseModel):
    member: MemberSummary
    #: whether the friend has a live connection (this process's presence)
    online: bool
    since: datetime


class FriendRequestOut(BaseModel):
    member: MemberSummary
    created_at: datetime


class FriendsOut(BaseModel):
    friends: list[FriendOut]
    #: requests others sent to the caller: accept or decline them
    incoming: list[FriendRequestOut]
    #: requests the caller sent that are still open: `DELETE` cancels one
    outgoing: list[FriendRequestOut]


class FriendshipOut(BaseModel):
    """The state of the pair after a request: `pending` or `accepted`."""

    member: MemberSummary
    status: str


class BlockOut(BaseModel):
    member: MemberSummary
    created_at: datetime


class DirectRoomOut(BaseModel):
    """A direct-message room as "my rooms" shows it, with the other member of the pair."""

    room: MyRoomOut
    #: null when the other member has withdrawn
    peer: MemberSummary | None
