"""A load-generator process: its share of the clients on one asyncio loop.

The parent talks to a worker through two queues: the worker says `ready` once its clients
are subscribed, the parent answers with the start time (or `stop` for idle runs), and the
worker sends back one `WorkerResult`.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import time
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from typing import Any

from parley.bench.client import BenchClient
from parley.bench.histogram import LatencyHistogram, Schedule
from parley.bench.plan import WorkerPlan, WorkerResult, body_for
from parley.bench.sampler import raise_nofile_limit

ERROR_BACKOFF_S = 0.05
LOAD_SLACK_S = 5.0


@dataclass
class _Pending:
    intended_ns: int
    done: asyncio.Future[None]
    refused: bool = False


@dataclass
class Sender:
    """The one client of a room that sends; matches acks and echoes by `client_msg_id`."""

    client: BenchClient
    plan: WorkerPlan
    ack_latency: LatencyHistogram
    pending: dict[str, _Pending] = field(default_factory=dict)
    number: int = 0

    def __post_init__(self) -> None:
        self.client.on_frame = self._on_frame

    def _on_frame(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        key = frame.get("client_msg_id") if kind in ("ack", "message") else frame.get("ref")
        entry = self.pending.get(key) if isinstance(key, str) else None
        if entry is None or not isinstance(key, str):
            return
        if kind in ("ack", "error"):
            del self.pending[key]
        if kind == "ack":
            result = self.client.result
            result.acked += 1
            result.acked_per_room[self.client.spec.room_id] += 1
            self.ack_latency.record_ns(time.monotonic_ns() - entry.intended_ns)
        elif kind == "error":
            entry.refused = True
        if not entry.done.done():
            entry.done.set_result(None)

    async def send_one(self, intended_ns: int) -> _Pending:
        spec = self.client.spec
        self.number += 1
        msg_id = f"b{self.plan.worker}.{spec.index}.{self.number}.{time.time_ns()}"
        entry = _Pending(intended_ns, asyncio.get_running_loop().create_future())
        self.pending[msg_id] = entry
        frame = {
            "type": "send",
            "room_id": spec.room_id,
            "client_msg_id": msg_id,
            "body": body_for(intended_ns, self.number, self.plan.body_bytes),
        }
        await self.client.send(frame)
        self.client.result.sent += 1
        return entry

    async def run_rate(self, start_ns: int, end_ns: int) -> None:
        """Open loop: message k is due at its scheduled time, late or not.

        Rooms are phase-shifted across one interval, so they do not all send in lockstep.
        """
        interval_ns = Schedule(start_ns, self.plan.rate_per_room).interval_ns
        phase_ns = interval_ns * self.client.spec.index // max(1, self.plan.rooms)
        schedule = Schedule(start_ns + phase_ns, self.plan.rate_per_room)
        k = 0
        while (due := schedule.due_ns(k)) < end_ns:
            delay = due - time.monotonic_ns()
            if delay > 0:
                await asyncio.sleep(delay / 1e9)
            await self.send_one(due)
            k += 1

    async def run_in_flight(self, end_ns: int) -> None:
        """Closed loop: `in_flight` lanes, each sending again on its own ack or echo."""

        async def lane() -> None:
            while time.monotonic_ns() < end_ns:
                entry = await self.send_one(time.monotonic_ns())
                # a lost ack must not stall the lane past the end of the run
                wait_s = (end_ns - time.monotonic_ns()) / 1e9 + self.plan.drain_s
                await asyncio.wait([entry.done], timeout=max(0.001, wait_s))
                if entry.refused:
                    await asyncio.sleep(ERROR_BACKOFF_S)  # do not spin on a refusal

        await asyncio.gather(*(lane() for _ in range(self.plan.in_flight)))

    async def drain(self, deadline_ns: int) -> None:
        waiting = [p.done for p in self.pending.values() if not p.done.done()]
        timeout = max(0.0, (deadline_ns - time.monotonic_ns()) / 1e9)
        if waiting:
            await asyncio.wait(waiting, timeout=timeout)


async def _open_all(plan: WorkerPlan, clients: list[BenchClient]) -> None:
    limit = asyncio.Semaphore(plan.connect_concurrency)
    sources = plan.source_addresses

    async def open_one(client: BenchClient) -> None:
        source = sources[client.spec.index % len(sources)] if sources else None
        async with limit:
            await client.open(plan.ws_url, source, plan.compression)

    await asyncio.gather(*(open_one(c) for c in clients))


async def _load(plan: WorkerPlan, senders: list[Sender], start_ns: int, end_ns: int) -> None:
    if plan.mode == "rate":
        await asyncio.gather(*(s.run_rate(start_ns, end_ns) for s in senders))
    elif plan.mode == "in_flight":
        await asyncio.gather(*(s.run_in_flight(end_ns) for s in senders))
    drain_deadline = time.monotonic_ns() + int(plan.drain_s * 1e9)
    await asyncio.gather(*(s.drain(drain_deadline) for s in senders))


async def run_worker(plan: WorkerPlan, inbox: Queue[Any], outbox: Queue[Any]) -> WorkerResult:
    result = WorkerResult(plan.worker)
    delivery, acks = LatencyHistogram(), LatencyHistogram()
    clients = [BenchClient(spec, result, delivery) for spec in plan.clients]
    await _open_all(plan, clients)
    live = [c for c in clients if c.ws is not None and c.ws.close_code is None]
    senders = [Sender(c, plan, acks) for c in live if c.spec.sender]
    outbox.put(("ready", plan.worker, result.connected))
    loop = asyncio.get_running_loop()
    command, start_ns = await loop.run_in_executor(None, inbox.get)
    if command == "start":
        end_ns = start_ns + int(plan.duration_s * 1e9)
        await asyncio.sleep(max(0.0, (start_ns - time.monotonic_ns()) / 1e9))
        usage = resource.getrusage(resource.RUSAGE_SELF)
        began = time.monotonic()
        try:  # a server that stops reading must not hang the bench
            async with asyncio.timeout(plan.duration_s + plan.drain_s + LOAD_SLACK_S):
                await _load(plan, senders, start_ns, end_ns)
        except TimeoutError:
            result.errors["bench: sends blocked past the deadline"] += 1
        await asyncio.sleep(min(0.5, plan.drain_s))  # the last echoes reach the other receivers
        after = resource.getrusage(resource.RUSAGE_SELF)
        result.cpu_s = (after.ru_utime + after.ru_stime) - (usage.ru_utime + usage.ru_stime)
        result.load_wall_s = time.monotonic() - began
        outbox.put(("drained", plan.worker, None))
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
    result.delivery_hist, result.ack_hist = delivery.encode(), acks.encode()
    return result


def worker_main(plan: WorkerPlan, inbox: Queue[Any], outbox: Queue[Any]) -> None:
    """Process entry point: uvloop when available, a high fd limit, one result back."""
    raise_nofile_limit()
    run: Any = asyncio.run
    with contextlib.suppress(ImportError):
        import uvloop

        run = uvloop.run
    try:
        result = run(run_worker(plan, inbox, outbox))
    except BaseException as exc:
        outbox.put(("failed", plan.worker, repr(exc)))
        raise
    outbox.put(("result", plan.worker, result))
