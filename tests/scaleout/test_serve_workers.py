"""`parley serve --workers 2` on one port over the Redis bus and PostgreSQL: the kernel spreads
connections over both workers, messages sent through either reach every subscriber once, in
seq order, and SIGTERM to the parent drains both workers' connections with 1001."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest
from websockets.exceptions import ConnectionClosed

from tests.scaleout.checks import assert_exactly_once_in_order, drain_messages
from tests.scaleout.conftest import cluster_env
from tests.support.server import ServerProcess, start_server
from tests.support.services import create_backend_database
from tests.support.ws import Server, WsClient

PER_SENDER = 15
MAX_CONNECTIONS = 40


def _worker_of(workers: list[psutil.Process], port: int) -> dict[int, int]:
    """Client-side port -> pid of the worker holding the other end of the connection."""
    owners: dict[int, int] = {}
    for worker in workers:
        for conn in worker.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_ESTABLISHED and conn.laddr.port == port and conn.raddr:
                owners[conn.raddr.port] = worker.pid
    return owners


def _start(tmp_path: Path, redis_url: str) -> ServerProcess:
    with ThreadPoolExecutor(1) as pool:  # it runs its own event loop; the test is async
        url = pool.submit(create_backend_database, "postgres", tmp_path, "workers").result()
    env = cluster_env(url, "redis", redis_url, None)
    return start_server(tmp_path / "server", env=env, args=["--workers", "2"])


async def test_two_workers_share_a_port_and_deliver_in_order(
    tmp_path: Path, shared_redis: str
) -> None:
    server_process = _start(tmp_path, shared_redis)
    server = Server(server_process.base_url)
    clients: list[WsClient] = []
    try:
        workers = psutil.Process(server_process.process.pid).children()
        assert len(workers) == 2, workers
        members = [await server.member() for _ in range(4)]
        room = await server.room(members[0], *members[1:])
        # connect until both workers hold at least two of the clients
        placed: dict[int, list[WsClient]] = {w.pid: [] for w in workers}
        while min(len(c) for c in placed.values()) < 2:
            assert len(clients) < MAX_CONNECTIONS, {p: len(c) for p, c in placed.items()}
            client = await server.connect(members[len(clients) % len(members)])
            clients.append(client)
            owners = _worker_of(workers, server_process.port)
            placed[owners[client.conn.local_address[1]]].append(client)
        for client in clients:
            await client.subscribe(room)
        senders = [placed[w.pid][0] for w in workers]  # one sender on each worker

        async def send_all(client: WsClient, tag: str) -> list[str]:
            return [await client.send_message(room, f"{tag}-{i}") for i in range(PER_SENDER)]

        sent = await asyncio.gather(*(send_all(c, f"w{i}") for i, c in enumerate(senders)))
        acked: set[int] = set()
        for client, ids in zip(senders, sent, strict=True):
            for cmid in ids:
                ack = await client.expect("ack", timeout=15, client_msg_id=cmid)
                acked.add(ack["id"])
        assert len(acked) == PER_SENDER * len(senders)
        everything = await asyncio.gather(*(drain_messages(c, room, quiet=1.5) for c in clients))
        for index, received in enumerate(everything):
            assert_exactly_once_in_order(received, acked, f"client {index}")
            bodies = [f["body"] for f in received]
            for s in range(len(senders)):
                assert [b for b in bodies if b.startswith(f"w{s}-")] == [
                    f"w{s}-{i}" for i in range(PER_SENDER)
                ]

        # SIGTERM to the supervisor: both workers drain their clients with 1001 and exit
        watched = [placed[w.pid][0] for w in workers]
        stopping = asyncio.get_running_loop().run_in_executor(None, server_process.stop)
        for client in watched:
            with pytest.raises(ConnectionClosed) as closed:
                async with asyncio.timeout(30):
                    while True:
                        await client.conn.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
        assert await stopping == 0
        assert not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers)
    finally:
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
        await server.close()
        server_process.stop()


def test_workers_need_a_shared_bus(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "parley", "serve", "--workers", "2"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PARLEY_BUS": "memory"},
    )
    assert result.returncode == 2
    assert "--workers 2 needs a shared bus" in result.stderr
