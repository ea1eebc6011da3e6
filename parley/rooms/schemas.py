"""Request and response bodies of the room and membership endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from parley.accounts.api import MemberSummary
from parley.core.database import MAX_BIGINT
from parley.core.schemas import StrictModel
from parley.core.text import printable_line

RoomName = Annotated[str, printable_line(1, 50)]
Topic = Annotated[str, printable_line(0, 200)]
Capacity = Annotated[int, Field(ge=2, le=10_000)]
#: at most one send per this many seconds for plain members (0: off; at most a day)
SlowMode = Annotated[int, Field(ge=0, le=86_400)]
#: a member id in a body: a positive 64-bit integer, so huge numbers are a 422, not a 500
MemberId = Annotated[int, Field(ge=1, le=MAX_BIGINT)]
Role = Literal["owner", "admin", "member"]
NotifyLevelName = Literal["all", "mentions", "none"]


class RoomCreate(StrictModel):
    name: RoomName
    is_private: bool = False
    topic: Topic = ""
    capacity: Capacity = 500
    members_can_invite: bool = False


class RoomUpdate(StrictModel):
    """A partial update: only the fields sent change; `null` is refused, not "unchanged"."""

    name: RoomName | None = None
    is_private: bool | None = None
    topic: Topic | None = None
    capacity: Capacity | None = None
    members_can_invite: bool | None = None
    slow_mode_seconds: SlowMode | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> RoomUpdate:
        nulls = [name for name in self.model_fields_set if getattr(self, name) is None]
        if nulls:
            raise ValueError(f"may not be null: {', '.join(sorted(nulls))}")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class RoomOut(BaseModel):
    """What anyone allowed to see a room sees of it (also the `room` frame's payload)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    is_private: bool
    topic: str
    capacity: int
    member_count: int
    members_can_invite: bool
    created_at: datetime
    #: plain members may send once per this many seconds (0: off)
    slow_mode_seconds: int = 0


class RoomDetail(RoomOut):
    #: the caller's role in the room, or null when not a member
    role: Role | None
    #: whether the caller holds a pending invite
    invited: bool
    #: the room's own retention in days (0: forever), or null for the instance's
    retention_days: int | None = None


#: a room's retention in days: 0 keeps forever, at most a hundred years
RetentionDays = Annotated[int, Field(ge=0, le=36_500)]


class RetentionUpdate(StrictModel):
    """`days` null: the instance's `PARLEY_RETENTION_DAYS` applies."""

    days: RetentionDays | None


class SenderOut(BaseModel):
    #: null for a member who has withdrawn
    id: int | None
    nickname: str


class MessagePreview(BaseModel):
    seq: int
    kind: str
    #: null for system messages
    sender: SenderOut | None
    body: str
    created_at: datetime


class MyRoomOut(RoomOut):
    role: Role
    last_seq: int
    last_read_seq: int
    #: visible messages after the read marker not sent by the caller (capped, see
    #: `parley.chat.summaries.UNREAD_CAP`)
    unread: int
    #: unread messages that mention the caller (`<@id>` or `<@room>`), capped the same way
    mentions: int = 0
    last_message: MessagePreview | None
    #: the caller's notification level here (`PUT /me/rooms/{id}/settings`)
    notify: NotifyLevelName = "mentions"
    muted_until: datetime | None = None


class RoomMemberOut(BaseModel):
    id: int
    nickname: str
    role: Role
    joined_at: datetime
    #: connected to this process's gateway right now (set by the members listing; the web
    #: UI's participant list starts from it and then follows `presence` frames)
    online: bool = False
    #: the member's read marker (the room's members see each other's `read` frames too):
    #: the web UI's "seen by" starts from it
    last_read_seq: int = 0


class InviteRequest(StrictModel):
    member_id: MemberId


class InviteOut(BaseModel):
    room: RoomOut
    member: MemberSummary
    invited_by: MemberSummary | None
    created_at: datetime


class BanRequest(StrictModel):
    member_id: MemberId
    reason: Annotated[str, printable_line(0, 200)] = ""


class BanOut(BaseModel):
    member: MemberSummary
    banned_by: MemberSummary | None
    reason: str
    created_at: datetime


class RoleChange(StrictModel):
    role: Literal["admin", "member"]


class NotifySettingsIn(StrictModel):
    """`notify`: which messages notify (push, browser notifications); `muted_until`: none at
    all until then (an ISO 8601 date-time with its offset; null or absent: not muted)."""

    notify: NotifyLevelName
    muted_until: AwareDatetime | None = None


class NotifySettingsOut(BaseModel):
    room_id: int
    notify: NotifyLevelName
    muted_until: datetime | None
    #: true while the member never chose: direct rooms default to `all`, others to `mentions`
    is_default: bool
