"""Bodies of the push endpoints."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from parley.core.addresses import MAX_URL
from parley.core.schemas import StrictModel

B64Url = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+=*$")]


class SubscriptionKeys(StrictModel):
    #: the browser's P-256 public key, base64url (`PushSubscription.getKey("p256dh")`)
    p256dh: B64Url
    #: the 16-byte auth secret, base64url
    auth: B64Url


class SubscriptionIn(BaseModel):
    """`PushSubscription.toJSON()` as a browser gives it (`expirationTime` is ignored)."""

    endpoint: Annotated[str, Field(min_length=1, max_length=MAX_URL)]
    keys: SubscriptionKeys


class SubscriptionOut(BaseModel):
    id: int


class VapidKeyOut(BaseModel):
    #: base64url of the uncompressed P-256 point, for `pushManager.subscribe`'s
    #: `applicationServerKey`
    public_key: str
