"""The event path across processes on PostgreSQL: an ended session's sockets close with 4001 on
every process (Redis and Kafka buses), and a removed member receives nothing of a later seq."""

from __future__ import annotations

import asyncio

import pytest

from tests.realtime.test_event_path import closed_with, removal_leaks, still_open
from tests.scaleout.conftest import StartCluster
from tests.scaleout.services import Daemon
from tests.support.ws import Server


@pytest.mark.parametrize("bus", ["redis", "kafka"])
async def test_a_logout_on_one_process_closes_the_sockets_on_another(
    start_cluster: StartCluster, shared_redis: str, kafka: Daemon, bus: str
) -> None:
    processes = start_cluster(
        "postgres", bus, roles=["all", "all"], redis_url=shared_redis, kafka=kafka
    )
    here, there = (Server(p.base_url) for p in processes)
    try:
        member = await here.member()
        other = await here.login_again(member)
        ws_there, ws_other = await there.connect(member), await there.connect(other)
        await asyncio.sleep(0.5)  # the bus subscriptions of the new connections settle
        answer = await here.http.post("/auth/logout", json={"refresh_token": member.refresh_token})
        assert answer.status_code == 204
        assert await closed_with(ws_there, 10) == 4001
        assert await still_open(ws_other)
        await ws_other.close()
    finally:
        await here.close()
        await there.close()


async def test_no_leak_after_a_kick_on_postgresql(
    start_cluster: StartCluster, shared_redis: str
) -> None:
    (process,) = start_cluster("postgres", "redis", roles=["all"], redis_url=shared_redis)
    server = Server(process.base_url)
    try:
        leaks = [await removal_leaks(server, action) for action in ("kick", "ban", "kick")]
        assert leaks == [[], [], []]
    finally:
        await server.close()
