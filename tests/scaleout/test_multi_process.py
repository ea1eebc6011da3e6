"""Several `parley serve` processes on one PostgreSQL or MariaDB database, joined by the Redis or
the Kafka bus: every message reaches every subscriber exactly once, in seq order."""

from __future__ import annotations

import asyncio

import pytest

from tests.scaleout.checks import (
    assert_exactly_once_in_order,
    drain_messages,
    metric,
    wait_for,
)
from tests.scaleout.conftest import StartCluster
from tests.scaleout.services import Daemon
from tests.support.ws import Server, WsClient

PER_SENDER = 25


@pytest.mark.parametrize("backend", ["postgres", "mariadb"])
@pytest.mark.parametrize("bus", ["redis", "kafka"])
async def test_every_message_reaches_every_subscriber_once_in_seq_order(
    start_cluster: StartCluster, shared_redis: str, kafka: Daemon, backend: str, bus: str
) -> None:
    processes = start_cluster(
        backend, bus, roles=["all", "all", "all"], redis_url=shared_redis, kafka=kafka
    )
    servers = [Server(p.base_url) for p in processes]
    try:
        members = [await servers[0].member() for _ in range(6)]
        room = await servers[0].room(members[0], *members[1:])
        # two clients per process; a member may also be connected to two processes at once
        clients: list[WsClient] = []
        for index, member in enumerate(members):
            clients.append(await servers[index % 3].connect(member))
        clients.append(await servers[1].connect(members[0]))
        for client in clients:
            await client.subscribe(room)

        async def send_all(client: WsClient, tag: str) -> list[str]:
            return [await client.send_message(room, f"{tag}-{i}") for i in range(PER_SENDER)]

        senders = clients[:4]
        sent = await asyncio.gather(*(send_all(c, f"s{i}") for i, c in enumerate(senders)))
        acked: set[int] = set()
        for client, ids in zip(senders, sent, strict=True):
            for cmid in ids:
                ack = await client.expect("ack", timeout=10, client_msg_id=cmid)
                acked.add(ack["id"])
        assert len(acked) == PER_SENDER * len(senders)
        everything = await asyncio.gather(*(drain_messages(c, room) for c in clients))
        for index, received in enumerate(everything):
            assert_exactly_once_in_order(received, acked, f"client {index}")
            # each sender's own messages in the order it sent them
            bodies = [f["body"] for f in received]
            for s in range(len(senders)):
                mine = [b for b in bodies if b.startswith(f"s{s}-")]
                assert mine == [f"s{s}-{i}" for i in range(PER_SENDER)]
        # the events really crossed the bus (no process saw only its own sends)
        for process in processes:
            assert await metric(process.base_url, "parley_bus_received") > 0
        stored = await servers[2].history(members[5], room, after_seq=len(members) - 1, limit=100)
        assert {m["id"] for m in stored} == acked
    finally:
        for server in servers:
            await server.close()


@pytest.mark.parametrize("bus", ["redis", "kafka"])
async def test_typing_presence_and_calls_cross_processes(
    start_cluster: StartCluster, shared_redis: str, kafka: Daemon, bus: str
) -> None:
    """Events without a seq: typing (room), presence (many rooms), a call (one member)."""
    a_process, b_process = start_cluster(
        "postgres", bus, roles=["all", "all"], redis_url=shared_redis, kafka=kafka
    )
    a, b = Server(a_process.base_url), Server(b_process.base_url)
    try:
        alice, bob = await a.member(), await a.member()
        room = await a.room(alice, bob)
        on_a = await a.connect(alice)
        await on_a.subscribe(room)
        on_b = await b.connect(bob)  # bob comes online on the other process
        online = await on_a.expect("presence", member_id=bob.id)
        assert online["status"] == "online"
        await on_b.subscribe(room)
        await on_b.send({"type": "typing", "room_id": room})
        assert (await on_a.expect("typing", room_id=room))["member_id"] == bob.id
        await on_a.send({"type": "call", "room_id": room, "to": bob.id, "action": "request"})
        call = await on_b.expect("call", room_id=room)
        assert call["from"] == alice.id and call["action"] == "request"
        # presence is shared: both processes' member listings say bob is online (a process
        # without bob's connection reads a mirror of Redis refreshed within a second)
        for server in (a, b):

            async def bob_listed_online(server: Server = server) -> bool:
                listing = await server.http.get(f"/rooms/{room}/members", headers=alice.headers)
                flags = {m["id"]: m.get("online") for m in listing.json()["items"]}
                return flags[bob.id] is True

            await wait_for(bob_listed_online, timeout=3)
        await on_b.close()
        offline = await on_a.expect("presence", member_id=bob.id, timeout=5)
        assert offline["status"] == "offline"
        # exactly one announcement of each change across the cluster
        await asyncio.sleep(0.8)
        presence = [
            f for f in on_a.frames if f.get("type") == "presence" and f["member_id"] == bob.id
        ]
        assert [f["status"] for f in presence] == ["online", "offline"]
    finally:
        await a.close()
        await b.close()
