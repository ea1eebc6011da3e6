"""Routes of Web Push: the VAPID key and a member's push subscriptions."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from parley.accounts.api import CurrentMember
from parley.core.deps import DbSession, IdPath, SettingsDep
from parley.core.http import ParleyRoute
from parley.notify import service
from parley.notify.schemas import SubscriptionIn, SubscriptionOut, VapidKeyOut
from parley.notify.vapid import Vapid

router = APIRouter(route_class=ParleyRoute, tags=["push"])


@router.get("/push/vapid-key")
async def vapid_key(settings: SettingsDep) -> VapidKeyOut:
    """The server's VAPID public key, for `pushManager.subscribe({applicationServerKey})`.
    Public: it identifies the server to push services, it grants nothing."""
    return VapidKeyOut(public_key=Vapid(settings).public_key)


@router.post("/me/push-subscriptions", status_code=status.HTTP_201_CREATED)
async def add_subscription(
    body: SubscriptionIn, principal: CurrentMember, session: DbSession, settings: SettingsDep
) -> SubscriptionOut:
    """Register this browser for pushes while the member has no open socket. The endpoint
    must be `https` on a public address (422 `endpoint_refused`) unless
    `PARLEY_ALLOW_INSECURE_ENDPOINTS=true`; bad keys are 422 `invalid_subscription_keys`."""
    row = await service.subscribe(
        session,
        principal.id,
        body.endpoint,
        body.keys.p256dh,
        body.keys.auth,
        session_id=getattr(principal, "session_id", None),
        allow_insecure=settings.allow_insecure_endpoints,
    )
    return SubscriptionOut(id=row.id)


@router.delete("/me/push-subscriptions/{subscription_id}", status_code=204)
async def delete_subscription(
    subscription_id: IdPath, principal: CurrentMember, session: DbSession
) -> Response:
    """Stop pushing to that browser (404 `subscription_not_found` if it is not yours)."""
    await service.unsubscribe(session, principal.id, subscription_id)
    return Response(status_code=204)
