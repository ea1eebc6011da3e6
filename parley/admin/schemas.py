"""Request and response bodies of the admin API and of reports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, Strict

from parley.core.database import MAX_BIGINT
from parley.core.schemas import StrictModel
from parley.core.text import printable_line

Reason = Annotated[str, printable_line(1, 500)]
Note = Annotated[str, printable_line(0, 500)]
#: ints are strict: `true` is not member 1
MemberId = Annotated[int, Strict(), Field(ge=1, le=MAX_BIGINT)]
Registration = Literal["open", "invite", "closed"]
MemberStatus = Literal["active", "suspended", "admin"]
ReportStatus = Literal["open", "resolved"]


class SettingsOut(BaseModel):
    registration: Registration


class SettingsUpdate(StrictModel):
    registration: Registration


class InviteCreate(StrictModel):
    max_uses: Annotated[int, Strict(), Field(ge=1, le=10_000)] = 1
    #: a minute to a year; null: never expires
    expires_in_seconds: Annotated[int, Strict(), Field(ge=60, le=365 * 86_400)] | None = None


class InviteOut(BaseModel):
    id: int
    max_uses: int
    uses: int
    expires_at: datetime | None
    state: Literal["active", "expired", "used_up", "revoked"]
    created_at: datetime


class InviteCreated(InviteOut):
    #: shown once: only its digest is stored
    code: str


class AdminMemberOut(BaseModel):
    id: int
    login_id: str
    nickname: str
    role: Literal["user", "admin"]
    created_at: datetime
    suspended: bool
    suspended_until: datetime | None
    suspend_reason: str
    two_factor: bool


class SuspendRequest(StrictModel):
    reason: Reason
    #: when the suspension ends by itself (a time with its zone, in the future); null: never
    until: AwareDatetime | None = None


class RoleUpdate(StrictModel):
    role: Literal["user", "admin"]


class RecoveryIssued(BaseModel):
    code: str
    expires_at: datetime


class AdminRoomOut(BaseModel):
    id: int
    name: str
    kind: str
    is_private: bool
    member_count: int
    slow_mode_seconds: int
    created_at: datetime


class OwnerChange(StrictModel):
    member_id: MemberId


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor_id: int | None
    actor_login_id: str
    action: str
    target_type: str
    target_id: int | None
    room_id: int | None
    reason: str
    address: str
    details: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditOut]
    #: pass as `before` for the next (older) page; null at the end
    next_before: int | None


class ReportCreate(StrictModel):
    reason: Reason


class ReportOut(BaseModel):
    id: int
    room_id: int
    message_id: int
    sender_id: int | None
    reporter_id: int | None
    reason: str
    status: ReportStatus
    resolution: str | None
    note: str
    resolved_by: int | None
    resolved_at: datetime | None
    created_at: datetime
    #: the reported message's body now (empty once deleted)
    body: str = ""


class ReportResolve(StrictModel):
    action: Literal["dismiss", "delete_message", "suspend_sender"]
    note: Note = ""
