"""Fixtures for several real `parley serve` processes sharing a database, Redis and a bus."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.realtime.conftest import FAST_ENV
from tests.scaleout.services import Daemon, kafka_broker
from tests.support.server import ServerProcess, start_server
from tests.support.services import REDIS_URL, create_backend_database, port_open, service_missing

#: the scale-out tests' own Redis database on the shared server; keys carry a per-run prefix
SCALEOUT_REDIS_URL = REDIS_URL.rsplit("/", 1)[0] + "/14"
SECRET = "scale-out-test-secret-" + "k" * 32
#: a started process's relay polls every second, taking the outbox lease on its first round
RELAY_LEASE_TAKEN_SECONDS = 2.0

StartCluster = Callable[..., list[ServerProcess]]


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    broker = kafka_broker(tmp_path_factory.mktemp("kafka"))
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def shared_redis() -> str:
    if not port_open("127.0.0.1", 6379):
        service_missing("Redis", "nothing listens on 127.0.0.1:6379")
    return SCALEOUT_REDIS_URL


def cluster_env(
    database_url: str, bus: str, redis_url: str | None, kafka_bootstrap: str | None
) -> dict[str, str]:
    env = {
        **FAST_ENV,
        "PARLEY_DATABASE_URL": database_url,
        "PARLEY_SECRET_KEY": SECRET,
        "PARLEY_BUS": bus,
        "PARLEY_CLUSTER_PREFIX": f"t{secrets.token_hex(4)}",
        "PARLEY_KAFKA_PARTITIONS": "4",
        # the bus alone must deliver: no periodic catch-up hiding a lost event
        "PARLEY_CATCHUP_INTERVAL_SECONDS": "0",
        "PARLEY_PRESENCE_TTL_SECONDS": "3",
        "PARLEY_SHUTDOWN_GRACE_SECONDS": "1",
    }
    if redis_url:
        env["PARLEY_REDIS_URL"] = redis_url
    if kafka_bootstrap:
        env["PARLEY_KAFKA_BOOTSTRAP"] = kafka_bootstrap
    return env


def start_processes(workdir: Path, env: dict[str, str], roles: list[str]) -> list[ServerProcess]:
    """Start one process per role, in parallel; all or none."""

    def start(role: str) -> ServerProcess:
        return start_server(workdir, env={**env, "PARLEY_ROLE": role})

    with ThreadPoolExecutor(len(roles)) as pool:
        futures = [pool.submit(start, role) for role in roles]
        started: list[ServerProcess] = []
        errors: list[BaseException] = []
        for future in futures:
            try:
                started.append(future.result())
            except Exception as exc:
                errors.append(exc)
    if errors:
        for process in started:
            process.stop()
        raise errors[0]
    return started


@pytest.fixture
def start_cluster(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[StartCluster]:
    """`start_cluster(backend, bus, roles=[...], redis_url=..., kafka=...)` -> processes.

    `first_relays=True` starts the first process alone and the others once its outbox relay
    holds the lease (it takes it within a second and keeps renewing it), so the others
    receive room events only over the bus, never from a relay of their own."""
    running: list[ServerProcess] = []

    def start(
        backend: str,
        bus: str,
        roles: list[str] | None = None,
        redis_url: str | None = None,
        kafka: Daemon | None = None,
        first_relays: bool = False,
        **extra_env: str,
    ) -> list[ServerProcess]:
        with ThreadPoolExecutor(1) as pool:  # it runs its own event loop; tests are async
            url = pool.submit(create_backend_database, backend, tmp_path, "scaleout").result()
        bootstrap = f"127.0.0.1:{kafka.port}" if kafka is not None else None
        env = {**cluster_env(url, bus, redis_url, bootstrap), **extra_env}
        roles = roles or ["all", "all"]
        if not first_relays:
            processes = start_processes(tmp_path / "servers", env, roles)
            running.extend(processes)
            return processes
        first = start_processes(tmp_path / "servers", env, roles[:1])
        running.extend(first)
        time.sleep(RELAY_LEASE_TAKEN_SECONDS)
        others = start_processes(tmp_path / "servers", env, roles[1:])
        running.extend(others)
        return first + others

    try:
        yield start
    finally:
        with ThreadPoolExecutor(max(len(running), 1)) as pool:
            list(pool.map(lambda p: p.stop(), running))
