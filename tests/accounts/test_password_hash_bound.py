"""A login storm against a real server: hashes run at most K at once, memory stays bounded,
and what cannot be served soon is answered 503 `unavailable` with Retry-After.

The server runs on PostgreSQL: on SQLite a login holds the database's write lock while it
verifies the password (BEGIN IMMEDIATE at its first query), so logins there are serialised by
the database already and a storm would never reach the hashing pool.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support.api import PASSWORD, assert_problem, signup
from tests.support.server import ServerProcess, start_server
from tests.support.services import create_backend_database

MIB = 1024 * 1024
ARGON2_MIB = 64  # the default memory cost: what makes unbounded hashing dangerous
STORM = 24
LIFT_THROTTLES = {
    "PARLEY_LOGIN_FAILURES_PER_ACCOUNT": "100000",
    "PARLEY_LOGIN_ATTEMPTS_PER_ADDRESS": "100000",
}


def hashing_server(
    tmp: Path, concurrency: int, queue: int, wait: float, time_cost: int
) -> ServerProcess:
    with ThreadPoolExecutor(1) as pool:  # it runs an event loop of its own
        url = pool.submit(create_backend_database, "postgres", tmp, "hashing").result()
    return start_server(
        tmp,
        env={
            **LIFT_THROTTLES,
            "PARLEY_DATABASE_URL": url,
            "PARLEY_ARGON2_TIME_COST": str(time_cost),
            "PARLEY_ARGON2_MEMORY_KIB": str(ARGON2_MIB * 1024),
            "PARLEY_ARGON2_PARALLELISM": "1",
            "PARLEY_PASSWORD_HASH_CONCURRENCY": str(concurrency),
            "PARLEY_PASSWORD_HASH_QUEUE": str(queue),
            "PARLEY_PASSWORD_HASH_WAIT_SECONDS": str(wait),
        },
    )


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    process = hashing_server(tmp_path, *request.param)
    try:
        yield process
    finally:
        process.stop()


def metric(text: str, name: str) -> float:
    found = re.search(rf"^{name} ([0-9.e+]+)$", text, re.MULTILINE)
    assert found, f"{name} is not on /metrics"
    return float(found.group(1))


class PeakRss:
    """Samples a process's resident memory every few milliseconds while in use."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)


async def storm(http: httpx.AsyncClient, login_id: str, n: int) -> list[httpx.Response]:
    body = {"login_id": login_id, "password": PASSWORD}
    return await asyncio.gather(*(http.post("/api/v1/auth/login", json=body) for _ in range(n)))


@pytest.mark.parametrize("server", [(1, 1000, 120.0, 1)], indirect=True)
async def test_a_login_storm_runs_one_hash_at_a_time_in_bounded_memory(
    server: ServerProcess,
) -> None:
    limits = httpx.Limits(max_connections=STORM + 4)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=120, limits=limits) as http:
        member = await signup(http)  # a sign-up and a login: the hashing memory is warm
        baseline = psutil.Process(server.process.pid).memory_info().rss
        with PeakRss(server.process.pid) as rss:
            responses = await storm(http, member.login_id, STORM)
        assert [r.status_code for r in responses] == [200] * STORM, responses[0].text
        metrics = (await http.get("/metrics")).text
    assert metric(metrics, "parley_password_hash_limit") == 1
    assert metric(metrics, "parley_password_hash_peak") == 1, "more hashes ran at once than 1"
    assert metric(metrics, "parley_password_hash_completed_total") >= STORM + 2
    grown = (rss.peak - baseline) / MIB
    # one hash at a time maps one 64 MiB block (measured: +66 MiB); unbounded, the storm ran
    # 6 at once (the default executor's threads on 2 cores) and grew by 311 MiB
    assert grown < ARGON2_MIB + 40, f"RSS grew by {grown:.0f} MiB during the storm"


#: slow hashes (time cost 6), so that the storm surely arrives faster than they are served
@pytest.mark.parametrize("server", [(1, 2, 60.0, 6)], indirect=True)
async def test_logins_beyond_the_line_are_answered_503_with_retry_after(
    server: ServerProcess,
) -> None:
    limits = httpx.Limits(max_connections=STORM + 4)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=120, limits=limits) as http:
        member = await signup(http)
        responses = await storm(http, member.login_id, STORM)
        statuses = [r.status_code for r in responses]
        assert set(statuses) <= {200, 503}, statuses
        refused = [r for r in responses if r.status_code == 503]
        # one running and two waiting at a time: a storm of 24 cannot all be served
        assert refused and statuses.count(200) >= 3, statuses
        for response in refused:
            body = assert_problem(response, 503, "unavailable")
            retry_after = int(response.headers["retry-after"])
            assert 1 <= retry_after <= 60 and body["retry_after"] == retry_after
            assert "access_token" not in response.text
        metrics = (await http.get("/metrics")).text
        assert metric(metrics, "parley_password_hash_rejected_total") == len(refused)
        assert metric(metrics, "parley_password_hash_peak") == 1
        # the server is unharmed: once the storm is over, logins work again
        again = await http.post(
            "/api/v1/auth/login", json={"login_id": member.login_id, "password": PASSWORD}
        )
        assert again.status_code == 200, again.text
