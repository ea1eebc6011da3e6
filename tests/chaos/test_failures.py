"""Failures during a steady send stream (docs/deployment.md, "Failure behaviour").

Two processes, four clients sending and reading one room, then one of: a gateway killed with
SIGKILL, Redis restarted, the Kafka broker restarted (empty), PostgreSQL stopped for a
moment. Afterwards every client holds every acked message once, in seq order, and the
database holds each of them once.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable

import httpx

from tests.chaos.conftest import Cluster, in_thread
from tests.chaos.support import (
    PrivatePostgres,
    ResilientClient,
    assert_no_loss_no_duplicate,
    migrated_database,
)
from tests.scaleout.conftest import SCALEOUT_REDIS_URL
from tests.scaleout.services import Daemon
from tests.support.server import ServerProcess
from tests.support.ws import Server

PER_CLIENT = 30
PACE = 0.03


async def readiness(process: ServerProcess) -> tuple[int, dict[str, str]]:
    async with httpx.AsyncClient(timeout=5) as http:
        response = await http.get(f"{process.base_url}/readyz")
    checks: dict[str, str] = response.json()["checks"]
    return response.status_code, checks


async def wait_ready(process: ServerProcess, timeout: float = 20) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        status, _ = await readiness(process)
        if status == 200:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(
        f"{process.base_url} did not become ready again: {await readiness(process)}"
    )


async def run_stream(
    processes: list[ServerProcess], disrupt: Callable[[], Awaitable[None]]
) -> list[ResilientClient]:
    servers = [Server(p.base_url) for p in processes]
    try:
        members = [await servers[0].member() for _ in range(4)]
        room = await servers[0].room(members[0], *members[1:])
        clients = [
            ResilientClient(member, servers, room, f"c{i}", index=i % len(servers))
            for i, member in enumerate(members)
        ]
        for client in clients:
            await client.connect()
        streams = asyncio.gather(*(c.stream(PER_CLIENT, PACE) for c in clients))
        await asyncio.sleep(0.6)
        await disrupt()
        await asyncio.wait_for(streams, 90)
        survivor = next(
            s for s, p in zip(servers, processes, strict=True) if p.process.poll() is None
        )
        newest = await survivor.history(members[0], room)
        final_seq = newest[-1]["seq"]
        await asyncio.gather(*(c.settle(final_seq) for c in clients))
        assert_no_loss_no_duplicate(clients)
        # the database holds each acked message once (nothing half-written, nothing twice)
        acked = {mid for c in clients for mid in c.acked.values()}
        stored = await survivor.history(members[0], room, after_seq=0, limit=100)
        stored += await survivor.history(members[0], room, after_seq=stored[-1]["seq"], limit=100)
        stored_ids = [m["id"] for m in stored if m["kind"] != "system"]
        assert sorted(stored_ids) == sorted(acked)
        assert [m["seq"] for m in stored] == list(range(1, len(stored) + 1))
        for client in clients:
            await client.close()
        return clients
    finally:
        for server in servers:
            await server.close()


async def test_a_gateway_killed_mid_stream(cluster: Cluster, shared_postgres_url: str) -> None:
    processes = cluster.start(shared_postgres_url, "redis", SCALEOUT_REDIS_URL, None)

    async def kill() -> None:
        processes[0].process.send_signal(signal.SIGKILL)

    clients = await run_stream(processes, kill)
    assert sum(c.reconnects for c in clients) >= 2  # the killed process's clients moved


async def test_redis_restarts(
    cluster: Cluster, shared_postgres_url: str, private_redis: Daemon
) -> None:
    url = f"redis://127.0.0.1:{private_redis.port}/0"
    processes = cluster.start(shared_postgres_url, "redis", url, None)

    async def restart() -> None:
        await in_thread(private_redis.stop)
        await asyncio.sleep(0.5)
        for process in processes:  # not ready, but still serving its connections
            status, checks = await readiness(process)
            assert status == 503 and checks["redis"] == "unavailable", checks
        await asyncio.sleep(1.0)
        await in_thread(private_redis.start)

    clients = await run_stream(processes, restart)
    assert sum(c.reconnects for c in clients) == 0  # nobody was disconnected
    for process in processes:
        await wait_ready(process)


async def test_the_kafka_broker_restarts_empty(
    cluster: Cluster, shared_postgres_url: str, private_kafka: Daemon
) -> None:
    processes = cluster.start(shared_postgres_url, "kafka", SCALEOUT_REDIS_URL, private_kafka)

    async def restart() -> None:
        await in_thread(private_kafka.stop)
        await asyncio.sleep(2.0)
        status, checks = await readiness(processes[0])
        assert status == 503 and checks["bus"] == "unavailable", checks
        await in_thread(private_kafka.start)

    clients = await run_stream(processes, restart)
    assert sum(c.reconnects for c in clients) == 0
    for process in processes:
        await wait_ready(process)


async def test_postgresql_stops_for_a_moment(
    cluster: Cluster, private_postgres: PrivatePostgres
) -> None:
    url = await in_thread(migrated_database, private_postgres.admin_url, "parley_chaos_pg")
    assert isinstance(url, str)
    processes = cluster.start(url, "redis", SCALEOUT_REDIS_URL, None)

    async def outage() -> None:
        await in_thread(private_postgres.stop)
        await asyncio.sleep(0.5)
        status, checks = await readiness(processes[0])
        assert status == 503 and checks["database"] == "unavailable", checks
        await asyncio.sleep(1.0)
        await in_thread(private_postgres.start)

    clients = await run_stream(processes, outage)
    assert sum(c.unavailable for c in clients) > 0  # sends were refused, then retried
    for process in processes:
        await wait_ready(process)
