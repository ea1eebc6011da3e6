"""HTTP routes of recovery codes, two-factor sign-in and the registration mode."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from parley.accounts import community, recovery, twofactor
from parley.accounts.deps import CurrentMember
from parley.accounts.schemas import (
    RecoverRequest,
    RecoveryCodesOut,
    RecoveryCodesRequest,
    RecoveryStatus,
    RegistrationOut,
    TwoFactorConfirm,
    TwoFactorSecret,
    TwoFactorSetup,
    TwoFactorStatus,
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


@router.get("/me/2fa", tags=["me"])
async def two_factor_status(principal: CurrentMember) -> TwoFactorStatus:
    return TwoFactorStatus(enabled=principal.member.totp_enabled_at is not None)


@router.post("/me/2fa/setup", tags=["me"])
async def two_factor_setup(
    body: TwoFactorSetup, principal: CurrentMember, session: DbSession, runtime: RuntimeDep
) -> TwoFactorSecret:
    """A new secret for an authenticator app; it counts once `/me/2fa/enable` confirms it."""
    secret, uri = await twofactor.begin_setup(session, runtime, principal, body.password)
    return TwoFactorSecret(secret=secret, otpauth_uri=uri)


@router.post("/me/2fa/enable", status_code=status.HTTP_204_NO_CONTENT, tags=["me"])
async def two_factor_enable(
    body: TwoFactorConfirm, principal: CurrentMember, session: DbSession
) -> Response:
    """Turn two-factor sign-in on with a first code from the app."""
    await twofactor.confirm(session, principal, body.code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/me/2fa/disable", status_code=status.HTTP_204_NO_CONTENT, tags=["me"])
async def two_factor_disable(
    body: TwoFactorSetup, principal: CurrentMember, session: DbSession, runtime: RuntimeDep
) -> Response:
    """Turn it off (the password confirms it; a lost app is what recovery codes are for)."""
    await twofactor.turn_off(session, runtime, principal, body.password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
