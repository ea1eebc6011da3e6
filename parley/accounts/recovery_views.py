"""HTTP routes of recovery codes and the registration mode (`/auth/recover`, `/me/...`)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from parley.accounts import community, recovery
from parley.accounts.deps import CurrentMember
from parley.accounts.schemas import (
    RecoverRequest,
    RecoveryCodesOut,
    RecoveryCodesRequest,
    RecoveryStatus,
    RegistrationOut,
)
from parley.core.deps import ClientAddress, DbSession, ReadSession, RuntimeDep
from parley.core.http import ParleyRoute

router = APIRouter(route_class=ParleyRoute)


@router.get("/auth/registration", tags=["auth"])
async def registration(session: ReadSession) -> RegistrationOut:
    """Whether sign-up is open, by invite, or closed (the sign-up page asks)."""
    return RegistrationOut(registration=await community.registration_mode(session))


@router.post("/auth/recover", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"])
async def recover(
    body: RecoverRequest, session: DbSession, runtime: RuntimeDep, address: ClientAddress
) -> Response:
    """Set a new password with a recovery code; every session of the account ends.
    Throttled like login; one answer for an unknown id and a wrong code."""
    await recovery.recover(session, runtime, body.login_id, body.code, body.new_password, address)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/me/recovery-codes", tags=["me"])
async def regenerate_codes(
    body: RecoveryCodesRequest, principal: CurrentMember, session: DbSession, runtime: RuntimeDep
) -> RecoveryCodesOut:
    """Ten new one-time recovery codes (the old ones stop working). Shown only now."""
    codes = await recovery.regenerate_codes(session, runtime, principal, body.password)
    return RecoveryCodesOut(codes=codes)


@router.get("/me/recovery-codes", tags=["me"])
async def codes_left(principal: CurrentMember, session: ReadSession) -> RecoveryStatus:
    """How many unused recovery codes the member has (never the codes)."""
    return RecoveryStatus(remaining=await recovery.codes_left(session, principal.id))
