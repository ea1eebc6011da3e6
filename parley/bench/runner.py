"""The parent process: set up accounts and rooms, start the workers, pace the phases, sample.

Server snapshots are taken at the phase boundaries the workers report, so CPU per delivered
message covers exactly the load window and RSS per connection exactly the connecting phase.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from parley.bench.accounts import MAX_CAPACITY, Api, prepare
from parley.bench.plan import Mode, WorkerPlan, WorkerResult, assign, room_of
from parley.bench.report import ServerWindow, Totals, build_report, combine
from parley.bench.sampler import ServerSampler, Snapshot, find_listener_pid, raise_nofile_limit
from parley.bench.worker import worker_main

START_DELAY_S = 0.5  # lets every worker see the start time before it arrives
IDLE_SETTLE_S = 2.0  # the server's memory after the last handshake settles
WORKER_SLACK_S = 120.0


class BenchError(RuntimeError):
    """The bench could not run; the message is for the person running it."""


@dataclass(frozen=True)
class BenchConfig:
    url: str
    clients: int
    rooms: int
    mode: Mode
    duration_s: float
    rate_per_room: float = 0.0
    in_flight: int = 1
    workers: int = 1
    server_pid: int | None = None
    source_addresses: list[str] = field(default_factory=list)
    body_bytes: int = 64
    compression: bool = False
    drain_s: float = 2.0
    #: the target is the reference relay: no accounts or rooms to set up
    reference: bool = False

    @property
    def ws_url(self) -> str:
        parts = urlsplit(self.url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return urlunsplit((scheme, parts.netloc, "/ws", "", ""))

    def plans(self, tokens: list[str], room_ids: list[int]) -> list[WorkerPlan]:
        per_worker = assign(self.clients, self.rooms, self.workers, tokens, room_ids)
        return [
            WorkerPlan(
                worker=w,
                ws_url=self.ws_url,
                clients=specs,
                mode=self.mode,
                rate_per_room=self.rate_per_room,
                rooms=self.rooms,
                in_flight=self.in_flight,
                duration_s=self.duration_s,
                drain_s=self.drain_s,
                body_bytes=self.body_bytes,
                source_addresses=self.source_addresses,
                compression=self.compression,
            )
            for w, specs in enumerate(per_worker)
        ]


def _sampler(config: BenchConfig) -> ServerSampler | None:
    pid = config.server_pid or find_listener_pid(urlsplit(config.url).port or 80)
    return ServerSampler(pid) if pid else None


class _Workers:
    """The worker processes and the two-way queues to them."""

    def __init__(self, plans: list[WorkerPlan]) -> None:
        context = multiprocessing.get_context("spawn")
        self.outbox: Any = context.Queue()
        self.backlog: list[tuple[str, int, Any]] = []
        self.inboxes: list[Any] = [context.Queue() for _ in plans]
        self.processes = [
            context.Process(target=worker_main, args=(plan, inbox, self.outbox), daemon=True)
            for plan, inbox in zip(plans, self.inboxes, strict=True)
        ]
        for process in self.processes:
            process.start()

    def collect(self, kind: str, timeout_s: float) -> list[Any]:
        """One `kind` message from every worker, failing loudly when one dies.

        A fast worker may already report its next phase; that message waits in the backlog.
        """
        got = [m[2] for m in self.backlog if m[0] == kind]
        self.backlog = [m for m in self.backlog if m[0] != kind]
        deadline = time.monotonic() + timeout_s
        while len(got) < len(self.processes):
            try:
                message = self.outbox.get(timeout=1.0)
            except queue.Empty:
                dead = [p.exitcode for p in self.processes if p.exitcode not in (None, 0)]
                if dead or time.monotonic() > deadline:
                    problem = f"exit codes {dead}" if dead else f"no answer in {timeout_s:.0f} s"
                    raise BenchError(f"workers did not report {kind!r}: {problem}") from None
                continue
            if message[0] == "failed":
                raise BenchError(f"worker {message[1]} failed: {message[2]}")
            if message[0] == kind:
                got.append(message[2])
            else:
                self.backlog.append(message)
        return got

    def tell(self, command: str, start_ns: int = 0) -> None:
        for inbox in self.inboxes:
            inbox.put((command, start_ns))

    def stop(self) -> None:
        for process in self.processes:
            process.join(10)
            if process.is_alive():
                process.kill()


def _ready_timeout(config: BenchConfig) -> float:
    return WORKER_SLACK_S + config.clients / 50


def run_bench(config: BenchConfig) -> dict[str, Any]:
    """Run one bench and return its report."""
    raise_nofile_limit()
    tokens, room_ids = _setup(config)
    sampler = _sampler(config)
    before = sampler.snapshot() if sampler else None
    connecting = time.monotonic()
    workers = _Workers(config.plans(tokens, room_ids))
    try:
        workers.collect("ready", _ready_timeout(config))
        connect_s = time.monotonic() - connecting
        if sampler:
            sampler.start()
        totals, snapshots = _drive(config, workers, sampler)
    finally:
        workers.stop()
        if sampler:
            sampler.stop()
    window = None
    if sampler is not None and before is not None:
        connected, load_start, load_end = snapshots
        assert connected is not None
        window = ServerWindow(
            sampler.pid, before, connected, load_start, load_end, peak_rss=sampler.peak_rss
        )
    report = build_report(_settings(config), totals, window)
    report["connections"]["connect_s"] = round(connect_s, 1)
    return report


def _setup(config: BenchConfig) -> tuple[list[str], list[int]]:
    """Members' tokens and the rooms' ids: made over the API, or made up for the relay."""
    if config.reference:
        return ["reference"] * config.clients, list(range(1, config.rooms + 1))
    api = Api(config.url, config.source_addresses)
    per_room = -(-config.clients // config.rooms)
    capacity = min(MAX_CAPACITY, max(2, per_room + 1))
    members, room_ids = prepare(
        api, config.clients, config.rooms, lambda i: room_of(i, config.rooms), capacity
    )
    return [m.token for m in members], room_ids


Snapshots = tuple[Snapshot | None, Snapshot | None, Snapshot | None]


def _drive(
    config: BenchConfig, workers: _Workers, sampler: ServerSampler | None
) -> tuple[Totals, Snapshots]:
    """The load (or idle) phase; returns the totals and the server snapshots taken."""
    if config.mode == "idle":
        time.sleep(IDLE_SETTLE_S)
        connected = sampler.snapshot() if sampler else None
        workers.tell("stop")
        results: list[WorkerResult] = workers.collect("result", WORKER_SLACK_S)
        return combine(results), (connected, None, None)
    connected = sampler.snapshot() if sampler else None
    start_ns = time.monotonic_ns() + int(START_DELAY_S * 1e9)
    workers.tell("start", start_ns)
    time.sleep(START_DELAY_S)
    load_start = sampler.snapshot() if sampler else None
    time.sleep(config.duration_s)
    workers.collect("drained", config.drain_s + WORKER_SLACK_S)
    load_end = sampler.snapshot() if sampler else None  # before the closing handshakes
    results = workers.collect("result", WORKER_SLACK_S)
    return combine(results), (connected, load_start, load_end)


def _settings(config: BenchConfig) -> dict[str, Any]:
    settings = asdict(config)
    settings["started_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return settings
