"""The message path: validated sends become rows with the next per-room seq, in group commits.

Sends waiting while a transaction runs are written together in the next one, so throughput
does not fall to one fsync per message. Each send is acked only after its commit, then
published; a retried `client_msg_id` gets the original ack, never a second message. What a
batch does is `parley.chat.batch.store_batch`; this module decides when one runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError

from parley.chat.batch import Ack, Send, SendRejected, store_batch
from parley.core.database import Database
from parley.core.tasks import stop_tasks

#: the writer lingers (`writer_linger_ms`) only while fewer sends than this wait: a short
#: wait lets sends that are just arriving share the batch's commit and its fan-out, so a
#: recipient gets them in one write; a queue this long already makes a batch worth its commit
LINGER_UNLESS_WAITING = 32

log = logging.getLogger("parley.chat.writer")

Publish = Callable[[list[dict[str, Any]]], Awaitable[None]]


@dataclass(slots=True)
class SendRequest:
    send: Send
    future: asyncio.Future[Ack] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class MessageWriter:
    """Group commits of sends. The queue is bounded (`queue_max`): a send that finds it full
    is refused at once with `unavailable`, so a flood cannot grow memory without end."""

    def __init__(
        self,
        db: Database,
        publish: Publish,
        max_batch: int = 512,
        queue_max: int = 20_000,
        linger: float = 0.0,
    ) -> None:
        self._db = db
        self._linger = linger
        self._publish = publish
        self._max_batch = max_batch
        self._queue: asyncio.Queue[SendRequest] = asyncio.Queue(maxsize=queue_max)
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        self.written = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="message-writer")

    async def stop(self) -> None:
        await stop_tasks([self._task])
        while not self._queue.empty():
            _fail(self._queue.get_nowait(), SendRejected("unavailable", "shutting down; retry"))

    def submit(self, send: Send) -> asyncio.Future[Ack]:
        request = SendRequest(send)
        try:
            self._queue.put_nowait(request)
        except asyncio.QueueFull:
            raise SendRejected("unavailable", "too many messages are waiting; retry") from None
        return request.future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            if self._linger and self._queue.qsize() < LINGER_UNLESS_WAITING:
                await asyncio.sleep(self._linger)
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._write(batch)
            except IntegrityError:
                # another process stored one of these client_msg_ids meanwhile: one by one
                for request in batch:
                    try:
                        await self._write([request])
                    except Exception as exc:
                        _fail(request, exc)
            except Exception as exc:
                log.exception("message batch failed", extra={"size": len(batch)})
                for request in batch:
                    _fail(request, exc)

    async def _write(self, batch: list[SendRequest]) -> None:
        sends = [request.send for request in batch]
        result = await self._db.run_in_transaction(lambda conn: store_batch(conn, sends))
        self.batches += 1
        self.written += len(result.frames)
        for request in batch:
            outcome = result.outcomes[request.send.key]
            if request.future.done():
                continue
            if isinstance(outcome, Ack):
                request.future.set_result(outcome)
            else:
                request.future.set_exception(outcome)
        if result.frames:
            await self._publish(result.frames)


def _fail(request: SendRequest, exc: BaseException) -> None:
    if request.future.done():
        return
    if not isinstance(exc, SendRejected):
        exc = SendRejected(
            "unavailable", "the message could not be stored; retry with the same client_msg_id"
        )
    request.future.set_exception(exc)
