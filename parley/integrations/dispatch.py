"""Deliveries of outgoing webhooks, off the send path.

The real-time service hands over each committed message frame (`feed`, after the writer's
commit, never inside its batch). A bounded queue and a few workers POST them, signed:
`X-Parley-Signature: sha256=HMAC(secret, timestamp + "." + body)`. The endpoint is checked
and pinned before every attempt (`addresses.resolve`); failures are retried with back-off;
after `max_failures` failed deliveries in a row the webhook is disabled and its creator told
(a whisper from its bot). A JSON `{"text": …}` answer is posted back as a reply.
Deliveries are at most once: a process that dies with a queue loses it (logged, not retried).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import time
from typing import Any

import httpx
import orjson
from sqlalchemy import bindparam, select, update

from parley.chat.api import SendRejected
from parley.core.addresses import pinned_request, resolve
from parley.core.cache import LoadingCache
from parley.core.database import utcnow
from parley.core.errors import ParleyError
from parley.core.runtime import Runtime
from parley.core.tasks import stop_tasks
from parley.integrations.models import OutgoingWebhook

#: a room's enabled outgoing webhooks (built once: asked for every message's room)
_HOOKS_OF_ROOM = select(OutgoingWebhook).where(
    OutgoingWebhook.room_id == bindparam("room"), OutgoingWebhook.disabled_at.is_(None)
)
log = logging.getLogger("parley.integrations")
QUEUE_MAX = 10_000
WORKERS = 4
CACHE_SECONDS = 2.0
#: rooms whose webhooks are kept at most
MAX_CACHED_ROOMS = 100_000


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def matches(words: list[str] | None, body: str) -> str | None:
    """The trigger word the body carries ("" when the hook takes every message)."""
    if words is None:
        return ""
    tokens = {t.strip(".,!?:;\"'()").casefold() for t in body.split()}
    return next((w for w in words if w in tokens), None)


class Dispatcher:
    """Queue, workers and the per-room cache of enabled outgoing webhooks."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_MAX)
        self.timeout = 5.0
        self.max_answer_bytes = 64 * 1024
        self.backoff: tuple[float, ...] = (1.0, 4.0, 16.0)
        self.max_failures = 5
        self._cache: LoadingCache[int, list[OutgoingWebhook]] = LoadingCache(
            CACHE_SECONDS, MAX_CACHED_ROOMS
        )
        self._workers: list[asyncio.Task[None]] = []
        self._deliveries: set[asyncio.Task[bool]] = set()
        self._client: httpx.AsyncClient | None = None

    def start(self) -> None:
        self._client = httpx.AsyncClient(follow_redirects=False, trust_env=False)
        self._workers = [asyncio.ensure_future(self._work()) for _ in range(WORKERS)]

    async def stop(self) -> None:
        await stop_tasks([*self._workers, *self._deliveries])
        if self._client is not None:
            await self._client.aclose()

    def feed(self, frames: list[dict[str, Any]]) -> None:
        """Committed message frames (called by the real-time service after commit)."""
        for frame in frames:
            if frame.get("type") != "message" or frame.get("kind") != "text":
                continue
            try:
                self.queue.put_nowait(frame)
            except asyncio.QueueFull:
                log.warning("outgoing webhook queue full; a message is not delivered")

    def forget(self, room_id: int) -> None:
        self._cache.forget(room_id)

    async def hooks_of(self, room_id: int) -> list[OutgoingWebhook]:
        async def load() -> list[OutgoingWebhook]:
            async with self.runtime.db.read_sessions() as session:
                return list(await session.scalars(_HOOKS_OF_ROOM, {"room": room_id}))

        return await self._cache.get(room_id, load)

    async def _work(self) -> None:
        while True:
            frame = await self.queue.get()
            try:
                await self._route(frame)
            except Exception:
                log.exception("outgoing webhook routing failed")

    async def _route(self, frame: dict[str, Any]) -> None:
        hooks = await self.hooks_of(int(frame["room_id"]))
        if not hooks:
            return
        sender = (frame.get("sender") or {}).get("id")
        if sender in {h.bot_id for h in hooks}:
            return  # a webhook's own answer never triggers webhooks of its room (no loops)
        body = str(frame.get("body", ""))
        for hook in hooks:
            if hook.command is not None:
                continue  # command hooks answer only their `/command`
            word = matches(orjson.loads(hook.trigger_words) if hook.trigger_words else None, body)
            if word is None:
                continue
            payload = {"event": "message", "webhook_id": hook.id, "trigger_word": word or None}
            self.deliver_soon(hook, payload, frame)

    async def command(
        self, room_id: int, name: str, args: str, member: dict[str, Any], command_id: str
    ) -> bool:
        """Hand `/name args` to the room's webhook for that command (False: there is none).
        The payload is `{event: "command", command, args, member, command_id}`; a `{text}`
        answer is posted to the room by the webhook's bot."""
        hook = next((h for h in await self.hooks_of(room_id) if h.command == name), None)
        if hook is None:
            return False
        payload = {
            "event": "command",
            "webhook_id": hook.id,
            "command": name,
            "args": args,
            "member": member,
            "command_id": command_id,
        }
        self.deliver_soon(hook, payload, None)
        return True

    def deliver_soon(
        self, hook: OutgoingWebhook, payload: dict[str, Any], frame: dict[str, Any] | None
    ) -> None:
        message = None
        if frame is not None:
            message = {
                k: frame.get(k) for k in ("id", "room_id", "seq", "sender", "body", "created_at")
            }
        task = asyncio.ensure_future(self.deliver(hook, {**payload, "message": message}))
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def deliver(self, hook: OutgoingWebhook, payload: dict[str, Any]) -> bool:
        """POST with retries; answer, or count the failure. True when delivered."""
        payload = {**payload, "room_id": hook.room_id}
        for attempt, pause in enumerate((*self.backoff, None)):
            try:
                answer = await self._attempt(hook, payload)
            except (httpx.HTTPError, ParleyError, OSError, ValueError) as exc:
                log.info(
                    "outgoing webhook attempt failed",
                    extra={"webhook": hook.id, "attempt": attempt, "error": repr(exc)},
                )
                if pause is None:
                    await self._failed(hook)
                    return False
                await asyncio.sleep(pause)
                continue
            await self._succeeded(hook)
            if answer is not None:
                await self._answer(hook, payload, answer)
            return True
        return False

    async def _attempt(self, hook: OutgoingWebhook, payload: dict[str, Any]) -> str | None:
        assert self._client is not None
        target = await resolve(hook.url, self.runtime.settings.allow_insecure_endpoints)
        body = orjson.dumps(payload)
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Parley-Webhook",
            "X-Parley-Timestamp": stamp,
            "X-Parley-Signature": sign(hook.secret, stamp, body),
        }
        request = pinned_request(self._client, target, body, headers, self.timeout)
        async with asyncio.timeout(self.timeout):
            response = await self._client.send(request, stream=True)
            try:
                if not 200 <= response.status_code < 300:
                    raise ValueError(f"answered {response.status_code}")
                chunks, size = [], 0
                async for chunk in response.aiter_raw():
                    size += len(chunk)
                    if size > self.max_answer_bytes:
                        raise ValueError("answer too large")
                    chunks.append(chunk)
            finally:
                await response.aclose()
        return text_of(b"".join(chunks))

    async def _answer(self, hook: OutgoingWebhook, payload: dict[str, Any], text: str) -> None:
        messaging = self.runtime.require_messaging()
        message = payload.get("message") or {}
        reply_to = message.get("id")
        key = f"answer-{hook.id}-{reply_to or payload.get('command_id', '')}"
        try:
            body = messaging.check_body(text)
            await messaging.check_send_rate(hook.bot_id)
            await messaging.submit(hook.bot_id, hook.room_id, key[:64], body, reply_to=reply_to)
        except SendRejected as exc:
            log.info("webhook answer refused", extra={"webhook": hook.id, "code": exc.code})

    async def _succeeded(self, hook: OutgoingWebhook) -> None:
        if hook.failures:
            hook.failures = 0
            async with self.runtime.db.sessions() as session:
                await session.execute(
                    update(OutgoingWebhook).where(OutgoingWebhook.id == hook.id).values(failures=0)
                )
                await session.commit()

    async def _failed(self, hook: OutgoingWebhook) -> None:
        """Count a failed delivery; disable the hook at `max_failures` and tell its creator."""
        hook.failures += 1
        disable = hook.failures >= self.max_failures
        async with self.runtime.db.sessions() as session:
            values: dict[str, Any] = {"failures": OutgoingWebhook.failures + 1}
            if disable:
                values["disabled_at"] = utcnow()
            await session.execute(
                update(OutgoingWebhook).where(OutgoingWebhook.id == hook.id).values(**values)
            )
            await session.commit()
        if not disable:
            return
        self.forget(hook.room_id)
        log.warning("outgoing webhook disabled", extra={"webhook": hook.id})
        if hook.created_by is None:
            return
        messaging = self.runtime.require_messaging()
        text = (
            f"Outgoing webhook {hook.id} was disabled after {hook.failures} failed deliveries "
            f"to {hook.url}. Delete it and create it again once the endpoint works."
        )
        with contextlib.suppress(SendRejected):
            await messaging.submit(
                hook.bot_id, hook.room_id, f"disabled-{hook.id}", text, to=hook.created_by
            )


def text_of(raw: bytes) -> str | None:
    """The `text` of a JSON object answer, else None (an empty or other answer is fine)."""
    if not raw.strip():
        return None
    try:
        answer = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    text = answer.get("text") if isinstance(answer, dict) else None
    return text if isinstance(text, str) and text.strip() else None
