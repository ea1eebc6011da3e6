"""Who is pushed, and the delivery off the send path (DESIGN §9).

The real-time service hands over committed message frames (`feed`, after the writer's
commit) and incoming calls (`call`). One routing task decides, per message, who gets a push:
members of the room (a whisper: its target only) other than the sender, with no open socket
(`online`, the cluster's presence), whose level asks for it (`all`; `mentions`: a mention of
them or `<@room>`, or a whisper) and who are not muted, and with no block between them and
the sender. Each push to a subscription is its own task: 404/410 deletes the subscription,
429, 5xx and network errors are retried with back-off (bounded), anything else is dropped.
A full queue drops pushes (logged), never a message.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from sqlalchemy import delete, select

from parley.accounts.api import active_session_ids, directory
from parley.core.addresses import pinned_request, resolve
from parley.core.database import utcnow
from parley.core.errors import ParleyError
from parley.core.runtime import Runtime
from parley.core.tasks import stop_tasks
from parley.notify.models import PushSubscription
from parley.notify.service import made
from parley.notify.vapid import Vapid
from parley.notify.webpush import BadKeys, encrypt
from parley.rooms.api import get_room, levels_of
from parley.social.api import blocked_pairs_with

log = logging.getLogger("parley.notify")
QUEUE_MAX = 10_000
#: pushes in flight at once per process
CONCURRENCY = 32
#: how long "does anyone have a push subscription" is believed (a new one here: at once)
ANYONE_SUBSCRIBED_SECONDS = 1.0
#: how long a push service keeps an undelivered push (RFC 8030 TTL header)
TTL_SECONDS = 24 * 3600
PREVIEW_CHARS = 300
_BLOCK_TAGS = re.compile(r"</?(p|br|li|ul|ol|pre|blockquote|h[1-6])\b[^>]*>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]*>")

OnlineCheck = Callable[[list[int]], Awaitable[set[int]]]


@dataclass(frozen=True, slots=True)
class Push:
    subscription: PushSubscription
    payload: dict[str, Any]
    urgency: str


def preview(frame: dict[str, Any]) -> str:
    """The message as plain text (mentions already `@nickname` in its html), shortened."""
    markup = _BLOCK_TAGS.sub(" ", str(frame.get("html") or ""))
    text = html.unescape(_TAGS.sub("", markup)).strip()
    text = " ".join(text.split()) or str(frame.get("body", ""))
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


class PushDispatcher:
    def __init__(self, runtime: Runtime, online: OnlineCheck) -> None:
        self.runtime = runtime
        self.online = online
        self.vapid = Vapid(runtime.settings)
        self._anyone, self._known_until = False, 0.0
        self.queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue(QUEUE_MAX)
        self.timeout = 10.0
        self.backoff: tuple[float, ...] = (1.0, 4.0, 16.0)
        self.max_retry_after = 60.0
        self._slots = asyncio.Semaphore(CONCURRENCY)
        self._router: asyncio.Task[None] | None = None
        self._deliveries: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None

    def start(self) -> None:
        _ = self.vapid.public_key  # a bad or unwritable key stops the start, with a sentence
        self._client = httpx.AsyncClient(follow_redirects=False, trust_env=False)
        self._router = asyncio.ensure_future(self._route_forever())

    async def stop(self) -> None:
        await stop_tasks([*self._deliveries, self._router])
        if self._client is not None:
            await self._client.aclose()

    # -- intake (never blocks the caller) ------------------------------------------------

    def _put(self, kind: str, item: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait((kind, item))
        except asyncio.QueueFull:
            log.warning("push queue full; a notification is not sent")

    def feed(self, frames: list[dict[str, Any]]) -> None:
        """Committed message frames (after the writer's commit)."""
        for frame in frames:
            if frame.get("kind") in ("text", "whisper") and (frame.get("sender") or {}).get("id"):
                self._put("message", frame)

    def call(self, room_id: int, caller_id: int, callee_id: int) -> None:
        """An incoming call (`call {action: "request"}`), already authorised by the gateway."""
        self._put("call", {"room_id": room_id, "from": caller_id, "to": callee_id})

    # -- routing ---------------------------------------------------------------------------

    async def _route_forever(self) -> None:
        while True:
            kind, item = await self.queue.get()
            try:
                if kind == "message":
                    pushes = await self._route_message(item)
                else:
                    pushes = await self._route_call(item)
            except Exception:
                log.exception("push routing failed")
                continue
            for push in pushes:
                task = asyncio.ensure_future(self._deliver(push))
                self._deliveries.add(task)
                task.add_done_callback(self._deliveries.discard)

    async def _anyone_subscribed(self) -> bool:
        """Whether any push subscription exists, asked at most once a second (and for every
        message in the second after this process stored one, whose commit may come after the
        question): a server nobody subscribed on routes no message."""
        now = time.monotonic()
        if now >= self._known_until or now - made.at < ANYONE_SUBSCRIBED_SECONDS:
            async with self.runtime.db.read_sessions() as session:
                found = await session.scalar(select(PushSubscription.id).limit(1))
            self._anyone = found is not None
            self._known_until = now + ANYONE_SUBSCRIBED_SECONDS
        return self._anyone

    async def _route_message(self, frame: dict[str, Any]) -> list[Push]:
        if not await self._anyone_subscribed():
            return []
        room_id, sender = int(frame["room_id"]), frame["sender"]
        sender_id = int(sender["id"])
        whisper_to = frame.get("to") if frame.get("kind") == "whisper" else None
        mentioned = set(frame.get("mentions") or [])
        now = utcnow()
        async with self.runtime.db.read_sessions() as session:
            room = await get_room(session, room_id)
            if room is None:
                return []
            only = [int(whisper_to)] if whisper_to is not None else None
            levels = await levels_of(session, room_id, only)
            wanted: dict[int, bool] = {}  # member -> mentioned (or whispered to)
            for member_id, level in levels.items():
                if member_id == sender_id or level.muted_at(now):
                    continue
                personal = (
                    whisper_to is not None
                    or member_id in mentioned
                    or bool(frame.get("mentions_room"))
                )
                if level.notify == "all" or personal:
                    wanted[member_id] = personal
            if not wanted:
                return []
            for member_id in await self.online(list(wanted)):
                wanted.pop(member_id, None)
            for member_id in await blocked_pairs_with(session, sender_id, list(wanted)):
                wanted.pop(member_id, None)
            subscriptions = await self._subscriptions(session, list(wanted))
        if not subscriptions:
            return []
        direct = room.kind == "direct"
        nickname = str(sender.get("nickname") or "")
        title = nickname if direct else f"{nickname} · {room.name}"
        payload: dict[str, Any] = {
            "type": "message",
            "room_id": room_id,
            "room_name": None if direct else room.name,
            "seq": frame.get("seq"),
            "message_id": frame.get("id"),
            "sender": {"id": sender_id, "nickname": nickname},
            "title": title,
            "url": f"/rooms/{room_id}",
            "tag": f"room-{room_id}",
        }
        if self.runtime.settings.push_previews:
            payload["body"] = preview(frame)
        return [
            Push(
                s,
                {**payload, "mention": wanted[s.member_id], "direct": direct},
                "high" if direct or wanted[s.member_id] else "normal",
            )
            for s in subscriptions
        ]

    async def _route_call(self, item: dict[str, Any]) -> list[Push]:
        room_id, caller, callee = int(item["room_id"]), int(item["from"]), int(item["to"])
        if await self.online([callee]):
            return []
        async with self.runtime.db.read_sessions() as session:
            level = (await levels_of(session, room_id, [callee])).get(callee)
            if level is None or level.muted_at(utcnow()):
                return []
            nickname = await session.scalar(
                select(directory.c.nickname).where(directory.c.id == caller)
            )
            subscriptions = await self._subscriptions(session, [callee])
        payload = {
            "type": "call",
            "room_id": room_id,
            "from": {"id": caller, "nickname": nickname},
            "title": str(nickname or ""),
            "url": f"/rooms/{room_id}",
            "tag": f"call-{room_id}",
        }
        return [Push(s, payload, "high") for s in subscriptions]

    async def _subscriptions(self, session: Any, member_ids: list[int]) -> list[PushSubscription]:
        """The members' subscriptions whose login session is still on (the others, left
        behind by a logout, are deleted as they are found)."""
        if not member_ids:
            return []
        rows = list(
            await session.scalars(
                select(PushSubscription).where(PushSubscription.member_id.in_(member_ids))
            )
        )
        live = await active_session_ids(session, (r.session_id for r in rows if r.session_id))
        ended = [r.id for r in rows if r.session_id is not None and r.session_id not in live]
        for subscription_id in ended:
            self._spawn_forget(subscription_id)
        return [r for r in rows if r.id not in ended]

    def _spawn_forget(self, subscription_id: int) -> None:
        task = asyncio.ensure_future(self._forget(subscription_id))
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    # -- delivery --------------------------------------------------------------------------

    async def _deliver(self, push: Push) -> None:
        subscription = push.subscription
        body = orjson.dumps(push.payload)
        for attempt, pause in enumerate((*self.backoff, None)):
            try:
                async with self._slots:
                    status, retry_after = await self._attempt(subscription, body, push.urgency)
            except BadKeys:  # stored before the rules were what they are: never deliverable
                await self._forget(subscription.id)
                return
            except (httpx.HTTPError, ParleyError, OSError) as exc:  # ParleyError: the address
                status, retry_after = None, None
                log.info("push attempt failed", extra={"attempt": attempt, "error": repr(exc)})
            if status is not None and 200 <= status < 300:
                return
            if status in (404, 410):  # the browser unsubscribed or the endpoint expired
                await self._forget(subscription.id)
                return
            if status is not None and status != 429 and status < 500:
                log.warning("push rejected", extra={"status": status, "sub": subscription.id})
                return
            if pause is None:
                log.warning("push given up", extra={"subscription": subscription.id})
                return
            await asyncio.sleep(min(max(pause, retry_after or 0.0), self.max_retry_after))

    async def _attempt(
        self, subscription: PushSubscription, payload: bytes, urgency: str
    ) -> tuple[int, float | None]:
        assert self._client is not None
        settings = self.runtime.settings
        target = await resolve(subscription.endpoint, settings.allow_insecure_endpoints)
        content = encrypt(payload, subscription.p256dh, subscription.auth)
        headers = {
            "Authorization": self.vapid.authorization(subscription.endpoint),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(TTL_SECONDS),
            "Urgency": urgency,
        }
        request = pinned_request(self._client, target, content, headers, self.timeout)
        async with asyncio.timeout(self.timeout):
            response = await self._client.send(request)
        return response.status_code, retry_after_of(response.headers.get("retry-after"))

    async def _forget(self, subscription_id: int) -> None:
        async with self.runtime.db.sessions() as session:
            await session.execute(
                delete(PushSubscription).where(PushSubscription.id == subscription_id)
            )
            await session.commit()


def retry_after_of(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
