"""Who may use the admin API: a site admin, with two-factor sign-in on when
PARLEY_REQUIRE_2FA_FOR_ADMINS says so."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from parley.accounts.api import CurrentAdmin, Principal
from parley.core.deps import SettingsDep
from parley.core.errors import forbidden


async def get_site_admin(principal: CurrentAdmin, settings: SettingsDep) -> Principal:
    if settings.require_2fa_for_admins and principal.member.totp_enabled_at is None:
        raise forbidden(
            "two_factor_required", "turn on two-factor sign-in before using the admin API"
        )
    return principal


SiteAdmin = Annotated[Principal, Depends(get_site_admin)]
