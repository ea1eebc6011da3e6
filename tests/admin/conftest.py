"""A real `parley serve` process for the live community tests, with a site admin."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.support.api import PASSWORD
from tests.support.server import ServerProcess, running_server
from tests.support.ws import Server

LIVE_ENV = {
    "PARLEY_SEND_RATE": "10000",
    "PARLEY_SEND_BURST": "10000",
    "PARLEY_LOGIN_ATTEMPTS_PER_ADDRESS": "1000000",
}
ADMIN_LOGIN = "siteadmin"


@pytest.fixture(scope="package")
def live_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("community")
    with running_server(workdir, env=LIVE_ENV) as process:
        env = {**os.environ, "PARLEY_ARGON2_TIME_COST": "1", "PARLEY_ARGON2_MEMORY_KIB": "1024"}
        env["PARLEY_ARGON2_PARALLELISM"] = "1"
        made = subprocess.run(
            [
                sys.executable,
                "-m",
                "parley",
                "admin",
                "create",
                "--login-id",
                ADMIN_LOGIN,
                "--password-stdin",
            ],
            cwd=workdir,
            env=env,
            input=PASSWORD + "\n",
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert made.returncode == 0, made.stderr
        yield process


@pytest.fixture
async def live(live_process: ServerProcess) -> AsyncIterator[Server]:
    client = Server(live_process.base_url)
    try:
        yield client
    finally:
        await client.close()


async def admin_headers(live: Server) -> dict[str, str]:
    response = await live.http.post(
        "/auth/login", json={"login_id": ADMIN_LOGIN, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
