"""A real `parley serve` process for the live community tests, with a site admin."""

from __future__ import annotations

import pytest

from tests.support.api import PASSWORD
from tests.support.live import create_site_admin, server_process_fixture
from tests.support.server import ServerProcess
from tests.support.ws import Server

LIVE_ENV = {
    "PARLEY_SEND_RATE": "10000",
    "PARLEY_SEND_BURST": "10000",
    "PARLEY_LOGIN_ATTEMPTS_PER_ADDRESS": "1000000",
}
ADMIN_LOGIN = "siteadmin"
CHEAP_HASHING = {
    "PARLEY_ARGON2_TIME_COST": "1",
    "PARLEY_ARGON2_MEMORY_KIB": "1024",
    "PARLEY_ARGON2_PARALLELISM": "1",
}


def _with_site_admin(process: ServerProcess) -> None:
    made = create_site_admin(ADMIN_LOGIN, CHEAP_HASHING, cwd=process.workdir)
    assert made.returncode == 0, made.stderr


server_process = server_process_fixture("community", LIVE_ENV, prepare=_with_site_admin)


@pytest.fixture(scope="package")
def live_process(server_process: ServerProcess) -> ServerProcess:
    return server_process


@pytest.fixture
def live(server: Server) -> Server:
    """A client of the community server (`server`, under the name these tests use)."""
    return server


async def admin_headers(live: Server) -> dict[str, str]:
    response = await live.http.post(
        "/auth/login", json={"login_id": ADMIN_LOGIN, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
