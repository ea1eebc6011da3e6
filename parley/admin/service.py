"""The site admin's actions. Each one runs in one transaction with its audit entry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts import api as accounts
from parley.accounts.api import Member, Principal
from parley.admin import audit
from parley.admin.schemas import AdminMemberOut, InviteCreated, InviteOut
from parley.core.database import utcnow
from parley.core.errors import ParleyError
from parley.core.runtime import Runtime
from parley.rooms import api as rooms


def member_out(member: Member) -> AdminMemberOut:
    return AdminMemberOut(
        id=member.id,
        login_id=member.login_id,
        nickname=member.nickname,
        role=member.role,
        created_at=member.created_at,
        suspended=member.suspended(utcnow()),
        suspended_until=member.suspended_until,
        suspend_reason=member.suspend_reason,
        two_factor=member.totp_enabled_at is not None,
    )


def _not_self(actor: Principal, member_id: int) -> None:
    if actor.id == member_id:
        raise ParleyError(409, "cannot_target_self", "an admin cannot do this to themselves")


async def _record(
    session: AsyncSession, runtime: Runtime, actor: Principal | None, action: str, **fields: object
) -> None:
    await audit.record(
        session,
        actor_id=actor.id if actor else None,
        actor_login_id=actor.member.login_id if actor else "cli",
        action=action,
        retention_days=runtime.settings.audit_retention_days,
        **fields,  # type: ignore[arg-type]
    )


async def set_registration(
    session: AsyncSession, runtime: Runtime, actor: Principal, mode: accounts.community.Registration
) -> None:
    before = await accounts.community.registration_mode(session)
    await accounts.community.set_registration_mode(session, mode)
    await _record(
        session, runtime, actor, "site.registration", target_type="site", before=before, after=mode
    )
    await session.commit()


def invite_out(invite: accounts.SignupInvite) -> InviteOut:
    return InviteOut.model_validate(_invite_fields(invite))


def _invite_fields(invite: accounts.SignupInvite) -> dict[str, object]:
    return {
        "id": invite.id,
        "max_uses": invite.max_uses,
        "uses": invite.uses,
        "expires_at": invite.expires_at,
        "state": accounts.community.invite_state(invite, utcnow()),
        "created_at": invite.created_at,
    }


async def create_invite(
    session: AsyncSession,
    runtime: Runtime,
    actor: Principal,
    max_uses: int,
    expires_in_seconds: int | None,
) -> InviteCreated:
    invite, code = await accounts.community.create_invite(
        session, actor.id, max_uses, expires_in_seconds
    )
    await _record(
        session,
        runtime,
        actor,
        "invite.create",
        target_type="invite",
        target_id=invite.id,
        max_uses=max_uses,
        expires_in_seconds=expires_in_seconds,
    )
    await session.commit()
    return InviteCreated.model_validate({**_invite_fields(invite), "code": code})


async def revoke_invite(
    session: AsyncSession, runtime: Runtime, actor: Principal, invite_id: int
) -> None:
    await accounts.community.revoke_invite(session, invite_id)
    await _record(
        session, runtime, actor, "invite.revoke", target_type="invite", target_id=invite_id
    )
    await session.commit()


async def suspend(
    session: AsyncSession,
    runtime: Runtime,
    actor: Principal | None,
    member_id: int,
    reason: str,
    until: datetime | None,
) -> Member:
    """Suspend: login refused, every session revoked and every socket closed (4001)."""
    if actor is not None:
        _not_self(actor, member_id)
    member = await accounts.moderation.suspend(session, member_id, reason, until)
    await _record(
        session,
        runtime,
        actor,
        "member.suspend",
        target_type="member",
        target_id=member_id,
        reason=reason,
        until=until.isoformat() if until else None,
    )
    await session.commit()
    return member


async def unsuspend(
    session: AsyncSession, runtime: Runtime, actor: Principal, member_id: int
) -> Member:
    member = await accounts.moderation.unsuspend(session, member_id)
    await _record(
        session, runtime, actor, "member.unsuspend", target_type="member", target_id=member_id
    )
    await session.commit()
    return member


async def end_sessions(
    session: AsyncSession, runtime: Runtime, actor: Principal, member_id: int
) -> None:
    await accounts.moderation.member_for_update(session, member_id)
    ended = await accounts.moderation.end_all_sessions(session, member_id, "admin_logout")
    await _record(
        session,
        runtime,
        actor,
        "member.logout",
        target_type="member",
        target_id=member_id,
        sessions=ended,
    )
    await session.commit()


async def set_role(
    session: AsyncSession, runtime: Runtime, actor: Principal, member_id: int, role: str
) -> Member:
    _not_self(actor, member_id)
    member, before = await accounts.moderation.set_role(session, member_id, role)
    if before != role:
        await _record(
            session,
            runtime,
            actor,
            "member.role",
            target_type="member",
            target_id=member_id,
            before=before,
            after=role,
        )
    await session.commit()
    return member


async def delete_member(
    session: AsyncSession, runtime: Runtime, actor: Principal, member_id: int
) -> None:
    """Delete an account as a withdrawal would (rooms left, login id held back)."""
    _not_self(actor, member_id)
    member = await accounts.moderation.member_for_update(session, member_id)
    login_id = member.login_id
    await rooms.leave_all_rooms(session, member_id)
    await accounts.delete_member(session, member_id, runtime)
    await _record(
        session,
        runtime,
        actor,
        "member.delete",
        target_type="member",
        target_id=member_id,
        login_id=login_id,
    )
    await session.commit()


async def issue_recovery(
    session: AsyncSession, runtime: Runtime, actor: Principal | None, member_id: int
) -> tuple[str, datetime]:
    code, expires = await accounts.issue_admin_code(session, runtime, member_id)
    await _record(
        session,
        runtime,
        actor,
        "member.recovery",
        target_type="member",
        target_id=member_id,
        expires_at=expires.isoformat(),
    )
    await session.commit()
    return code, expires


async def delete_room(
    session: AsyncSession, runtime: Runtime, actor: Principal, room_id: int
) -> None:
    """Delete any group room (rooms' own rule for site admins; it records the audit entry)."""
    await rooms.delete_room(session, room_id, actor)


async def transfer_room(
    session: AsyncSession, runtime: Runtime, actor: Principal, room_id: int, member_id: int
) -> None:
    await rooms.transfer_ownership(session, room_id, member_id)
    await _record(
        session,
        runtime,
        actor,
        "room.owner",
        target_type="room",
        target_id=room_id,
        room_id=room_id,
        member_id=member_id,
    )
    await session.commit()
