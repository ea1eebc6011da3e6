"""`parley serve --role api|gateway`: the seed's two servers, joined by the bus and Redis."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from tests.scaleout.checks import metric
from tests.scaleout.conftest import StartCluster
from tests.scaleout.services import Daemon
from tests.support.ws import Server


@pytest.mark.parametrize("bus", ["redis", "kafka"])
async def test_an_http_join_on_the_api_reaches_websockets_on_the_gateway(
    start_cluster: StartCluster, shared_redis: str, kafka: Daemon, bus: str
) -> None:
    api, gateway = start_cluster(
        "postgres", bus, roles=["api", "gateway"], redis_url=shared_redis, kafka=kafka
    )
    server = Server(api.base_url)
    server.ws_url = gateway.ws_url  # HTTP to the api process, WebSocket to the gateway
    try:
        alice, bob = await server.member(), await server.member()
        room = await server.room(alice)
        watcher = await server.connect(alice)
        await watcher.subscribe(room)

        joined = await server.http.post(f"/rooms/{room}/join", headers=bob.headers)
        assert joined.status_code in (200, 201), joined.text
        member = await watcher.expect("member", room_id=room)
        assert (member["event"], member["member"]["id"]) == ("join", bob.id)
        system = await watcher.expect("message", room_id=room)
        assert system["kind"] == "system"

        # a ticket issued by the api is redeemed, once, by the gateway (Redis)
        ticket = (await server.http.post("/auth/ws-ticket", headers=bob.headers)).json()["ticket"]
        on_gateway = await server.connect(path=f"?ticket={ticket}")
        with pytest.raises(Exception) as refused:
            reuse = await server.connect(path=f"?ticket={ticket}")
            await reuse.recv()
        assert "4001" in str(refused.value)
        await on_gateway.subscribe(room)

        # a WebSocket send on the gateway, then an HTTP send on the api: both delivered
        cmid = await on_gateway.send_message(room, "over the socket")
        ack = await on_gateway.expect("ack", client_msg_id=cmid)
        assert (await watcher.expect("message", room_id=room))["id"] == ack["id"]
        sent = await server.http.post(
            f"/rooms/{room}/messages",
            json={"body": "over http", "client_msg_id": "bot-1"},
            headers=alice.headers,
        )
        assert sent.status_code == 201, sent.text
        for client in (watcher, on_gateway):
            got = await client.expect("message", room_id=room, body="over http")
            assert got["id"] == sent.json()["id"]
    finally:
        await server.close()


async def test_each_role_serves_its_own_routes_and_both_expose_probes_and_metrics(
    start_cluster: StartCluster, shared_redis: str
) -> None:
    api, gateway = start_cluster(
        "postgres", "redis", roles=["api", "gateway"], redis_url=shared_redis
    )
    async with httpx.AsyncClient(timeout=5) as http:
        assert (await http.get(f"{gateway.base_url}/api/v1/notices")).status_code == 404
        assert (await http.get(f"{api.base_url}/api/v1/notices")).status_code == 200
        for process in (api, gateway):
            ready = await http.get(f"{process.base_url}/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"] == {"database": "ok", "bus": "ok", "redis": "ok"}
            assert (await http.get(f"{process.base_url}/healthz")).status_code == 200
            text = (await http.get(f"{process.base_url}/metrics")).text
            for name in (
                "parley_connections",
                "parley_messages_written_total",
                "parley_message_batches_total",
                "parley_deliveries_total",
                "parley_bus_publish_errors_total",
                "parley_relay_lag_seconds",
            ):
                assert f"\n{name} " in text, name
    assert await metric(gateway.base_url, "parley_connections") == 0
    with pytest.raises(InvalidStatus):
        await Server(api.base_url).connect_raw()  # no /ws on an api process


def test_a_split_role_without_a_shared_bus_is_refused() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "parley", "serve", "--role", "gateway"],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", "PARLEY_BUS": "memory"},
    )
    assert result.returncode == 2
    assert "needs a shared bus" in result.stderr
