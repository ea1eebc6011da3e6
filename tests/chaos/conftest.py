"""Chaos fixtures: private Redis, Kafka and PostgreSQL that a test may kill and restart, and
two gateway processes sharing them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.chaos.support import PrivatePostgres
from tests.scaleout.conftest import SCALEOUT_REDIS_URL, cluster_env, start_processes
from tests.scaleout.services import Daemon, kafka_broker, redis_daemon
from tests.support.server import ServerProcess
from tests.support.services import create_backend_database, port_open, service_missing

#: chaos runs with the periodic catch-up on, as a deployment would (faster, to keep tests short)
CHAOS_ENV = {"PARLEY_CATCHUP_INTERVAL_SECONDS": "1", "PARLEY_BUS_PUBLISH_TIMEOUT_SECONDS": "2"}


def _running(daemon: Daemon) -> Iterator[Daemon]:
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[Daemon]:
    yield from _running(redis_daemon(tmp_path))


@pytest.fixture
def private_kafka(tmp_path: Path) -> Iterator[Daemon]:
    yield from _running(kafka_broker(tmp_path))


@pytest.fixture
def private_postgres(tmp_path: Path) -> Iterator[PrivatePostgres]:
    instance = PrivatePostgres(tmp_path)
    instance.init()
    try:
        yield instance
    finally:
        instance.destroy()


@pytest.fixture
def shared_postgres_url(tmp_path: Path) -> str:
    if not port_open("127.0.0.1", 5432):
        service_missing("PostgreSQL", "nothing listens on 127.0.0.1:5432")
    with ThreadPoolExecutor(1) as pool:  # it runs its own event loop; tests are async
        # named per test process: concurrent runs must not recreate each other's
        return pool.submit(create_backend_database, "postgres", tmp_path, "chaos").result()


class Cluster:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.processes: list[ServerProcess] = []

    def start(
        self,
        database_url: str,
        bus: str,
        redis_url: str | None,
        kafka: Daemon | None,
        roles: tuple[str, ...] = ("all", "all"),
    ) -> list[ServerProcess]:
        bootstrap = f"127.0.0.1:{kafka.port}" if kafka is not None else None
        env = {**cluster_env(database_url, bus, redis_url, bootstrap), **CHAOS_ENV}
        self.processes = start_processes(self.workdir, env, list(roles))
        return self.processes

    def stop(self) -> None:
        with ThreadPoolExecutor(max(len(self.processes), 1)) as pool:
            list(pool.map(lambda p: p.stop(), self.processes))


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    group = Cluster(tmp_path / "servers")
    try:
        yield group
    finally:
        group.stop()


async def in_thread(function: object, *args: object) -> object:
    """Run a blocking helper (process control) without stopping the clients' event loop."""
    return await asyncio.to_thread(function, *args)  # type: ignore[arg-type]


__all__ = ["SCALEOUT_REDIS_URL", "Cluster", "in_thread"]
