"""Across processes on PostgreSQL with Redis: a suspension posted to one process closes the
member's sockets on another at once (4001), and login is refused on both."""

from __future__ import annotations

import asyncio
import os

from tests.realtime.test_event_path import closed_with, still_open
from tests.scaleout.conftest import StartCluster
from tests.support.api import PASSWORD
from tests.support.live import create_site_admin
from tests.support.server import ServerProcess
from tests.support.ws import Server


def _process_env(process: ServerProcess) -> dict[str, str]:
    """The settings a server process runs with (to run `parley admin create` beside it)."""
    with open(f"/proc/{process.process.pid}/environ", "rb") as raw:
        pairs = [item.split(b"=", 1) for item in raw.read().split(b"\0") if b"=" in item]
    return {k.decode(): v.decode() for k, v in pairs}


async def test_a_suspension_closes_sockets_on_every_process(
    start_cluster: StartCluster, shared_redis: str
) -> None:
    processes = start_cluster("postgres", "redis", roles=["all", "all"], redis_url=shared_redis)
    env = {
        **os.environ,
        **{k: v for k, v in _process_env(processes[0]).items() if k.startswith("PARLEY_")},
    }
    env.pop("PARLEY_ROLE", None)
    made = await asyncio.to_thread(create_site_admin, "clusteradmin", env)
    assert made.returncode == 0, made.stderr
    here, there = (Server(p.base_url) for p in processes)
    try:
        admin = await here.http.post(
            "/auth/login", json={"login_id": "clusteradmin", "password": PASSWORD}
        )
        headers = {"Authorization": f"Bearer {admin.json()['access_token']}"}
        member = await here.member()
        other = await here.login_again(member)
        bystander = await there.member()
        sockets = [
            await there.connect(member),
            await there.connect(other),
            await here.connect(member),
        ]
        watching = await there.connect(bystander)
        await asyncio.sleep(0.5)  # the bus subscriptions of the new connections settle
        done = await here.http.post(
            f"/admin/members/{member.id}/suspend", json={"reason": "raid"}, headers=headers
        )
        assert done.status_code == 200, done.text
        assert [await closed_with(ws, 10) for ws in sockets] == [4001, 4001, 4001]
        assert await still_open(watching)
        for server in (here, there):
            refused = await server.http.post(
                "/auth/login", json={"login_id": member.login_id, "password": PASSWORD}
            )
            assert refused.status_code == 403 and refused.json()["code"] == "suspended"
        await watching.close()
    finally:
        await here.close()
        await there.close()
