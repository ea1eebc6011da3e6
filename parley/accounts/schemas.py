"""Request and response bodies of the member and auth endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from parley.core.schemas import StrictModel
from parley.core.text import printable_line

LoginId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{3,32}$")]
Nickname = Annotated[str, printable_line(1, 32)]
#: a nickname search term: the same rules as a nickname (no NUL or controls, which some
#: databases refuse outright), so a query that cannot match is a 422, not a database error
NicknameQuery = Annotated[str, printable_line(1, 32)]
Password = Annotated[str, Field(min_length=8, max_length=128)]
#: what we accept when checking a password: never longer than any valid password
GivenPassword = Annotated[str, Field(min_length=1, max_length=128)]
OpaqueToken = Annotated[str, Field(min_length=1, max_length=256)]
#: an invite or recovery code as typed: letters, digits, dashes and spaces, bounded
TypedCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 -]{1,64}$")]


class SignupRequest(StrictModel):
    login_id: LoginId
    nickname: Nickname
    password: Password
    #: needed when registration is `invite`
    invite_code: TypedCode | None = None


class RecoveryCodesRequest(StrictModel):
    password: GivenPassword


class RecoveryCodesOut(BaseModel):
    #: shown once: store them somewhere safe; each works once
    codes: list[str]


class RecoveryStatus(BaseModel):
    remaining: int


class RecoverRequest(StrictModel):
    login_id: LoginId
    code: TypedCode
    new_password: Password


class RegistrationOut(BaseModel):
    registration: Literal["open", "invite", "closed"]


TotpCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]


class LoginRequest(StrictModel):
    #: the signup rule: an id that could never exist is a client error, and it keeps
    #: NUL bytes away from the database and unbounded keys out of the login throttle
    login_id: LoginId
    password: GivenPassword
    #: the authenticator's code, for members who turned two-factor sign-in on
    totp_code: TotpCode | None = None


class TwoFactorSetup(StrictModel):
    password: GivenPassword


class TwoFactorSecret(BaseModel):
    #: base32, for typing into an authenticator; `otpauth_uri` is the same as a link/QR code
    secret: str
    otpauth_uri: str


class TwoFactorConfirm(StrictModel):
    code: TotpCode


class TwoFactorStatus(BaseModel):
    enabled: bool


class RefreshRequest(StrictModel):
    refresh_token: OpaqueToken


class NicknameChange(StrictModel):
    nickname: Nickname


class PasswordChange(StrictModel):
    current_password: GivenPassword
    new_password: Password


class WithdrawRequest(StrictModel):
    password: GivenPassword


class MemberSummary(BaseModel):
    """What any member may see of another."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    nickname: str


class MemberOut(MemberSummary):
    login_id: str
    role: Literal["user", "admin"]
    created_at: datetime


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - a scheme name
    expires_in: int
    member: MemberOut
