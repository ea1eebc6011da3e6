"""The `parley` command run for real, in a subprocess: migrate, serve's refusals, admin create."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from parley.app import create_app
from parley.core.database import create_engine
from parley.core.migrate import schema_is_current
from tests.support import services
from tests.support.api import assert_problem, login
from tests.support.services import test_settings as make_settings

#: cheap hashing for the subprocesses; everything else comes from each test
BASE_ENV = {
    "PARLEY_ARGON2_TIME_COST": "1",
    "PARLEY_ARGON2_MEMORY_KIB": "1024",
    "PARLEY_ARGON2_PARALLELISM": "1",
}
SERVER_BACKENDS = {
    "postgres": (services.POSTGRES_ADMIN_URL, "PostgreSQL", 5432),
    "mariadb": (services.MARIADB_ADMIN_URL, "MariaDB", 3306),
}


def parley_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The test process's environment without its PARLEY_* settings, plus `env`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    return {**clean, **BASE_ENV, **(env or {})}


def run_parley(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """`python -m parley ARGS` in `cwd`, as an operator would run it."""
    return subprocess.run(
        [sys.executable, "-m", "parley", *args],
        cwd=cwd,
        env=parley_env(env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def assert_clean_refusal(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    """Exit code 2, no traceback, and a `parley:` message containing every needle.

    The message follows any log lines printed before the failure (serve logs as JSON).
    """
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    message = result.stderr[result.stderr.find("parley: ") :]
    assert result.stderr.find("parley: ") >= 0, result.stderr
    for needle in needles:
        assert needle in message, (needle, result.stderr)


def empty_server_database(backend: str, label: str) -> str:
    """A new database with no tables on PostgreSQL or MariaDB; returns its URL."""
    admin_url, service_name, port = SERVER_BACKENDS[backend]
    if not services.port_open("127.0.0.1", port):
        services.service_missing(service_name, f"nothing listens on 127.0.0.1:{port}")
    name = f"parley_cli_{label}_{services.worker_suffix()}"
    return asyncio.run(services._recreate_server_database(admin_url, name))


def is_current(url: str) -> bool:
    async def check() -> bool:
        engine = create_engine(make_settings(url))
        try:
            return (await schema_is_current(engine))[0]
        finally:
            await engine.dispose()

    return asyncio.run(check())


@pytest.mark.parametrize("backend", list(SERVER_BACKENDS))
def test_migrate_a_fresh_server_database(backend: str, tmp_path: Path) -> None:
    url = empty_server_database(backend, "migrate")
    assert not is_current(url)
    for _ in range(2):  # the second run finds nothing to do
        result = run_parley("migrate", cwd=tmp_path, env={"PARLEY_DATABASE_URL": url})
        assert result.returncode == 0, result.stderr
        assert "database migrated to head" in result.stdout
    assert is_current(url)


def test_serve_refuses_an_unmigrated_server_database(tmp_path: Path) -> None:
    url = empty_server_database("postgres", "unmigrated")
    result = run_parley("serve", cwd=tmp_path, env={"PARLEY_DATABASE_URL": url})
    assert_clean_refusal(result, "schema", "parley migrate")
    assert not is_current(url)  # serve never migrates a server database by itself


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("postgresql+asyncpg://postgres@127.0.0.1:1/parley", "cannot reach the database"),
        ("postgresql+asyncpg://postgres@127.0.0.1:5432/parley_no_such_db", "does not exist"),
        ("mysql+aiomysql://root@127.0.0.1:3306/parley_no_such_db", "Unknown database"),
    ],
)
def test_migrate_explains_an_unusable_database(tmp_path: Path, url: str, needle: str) -> None:
    result = run_parley("migrate", cwd=tmp_path, env={"PARLEY_DATABASE_URL": url})
    assert_clean_refusal(result, needle)


async def test_admin_create_makes_an_admin_who_can_log_in(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'parley.db'}"
    env = {"PARLEY_DATABASE_URL": url}
    create = ("admin", "create", "--login-id", "root", "--password-stdin")
    fresh = run_parley(*create, cwd=tmp_path, env=env, stdin="root password 1\n")
    assert_clean_refusal(fresh, "there is no database", "--create-database")
    assert not (tmp_path / "parley.db").exists()
    first = run_parley(
        *create, "--create-database", cwd=tmp_path, env=env, stdin="root password 1\n"
    )
    assert first.returncode == 0, first.stderr
    assert "admin root" in first.stdout
    # again: the existing account is kept (and stays admin), not duplicated
    again = run_parley(*create, cwd=tmp_path, env=env, stdin="ignored password\n")
    assert again.returncode == 0, again.stderr

    settings = make_settings(url)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.8", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            root = await login(http, "root", "root password 1")
            me = await http.get("/api/v1/me", headers=root.headers)
            assert me.json()["role"] == "admin" and me.json()["login_id"] == "root"
            assert_problem(
                await http.post(
                    "/api/v1/auth/login",
                    json={"login_id": "root", "password": "ignored password"},
                ),
                401,
                "invalid_credentials",
            )


@pytest.mark.parametrize(
    ("login_id", "password", "needle"),
    [
        ("Root", "root password 1", "login_id"),
        ("r", "root password 1", "login_id"),
        ("' OR 1=1 --", "root password 1", "login_id"),
        ("root", "short", "password"),
        ("root", "", "password"),
    ],
)
def test_admin_create_refuses_invalid_input(
    tmp_path: Path, login_id: str, password: str, needle: str
) -> None:
    result = run_parley(
        "admin",
        "create",
        "--login-id",
        login_id,
        "--password-stdin",
        cwd=tmp_path,
        env={"PARLEY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'parley.db'}"},
        stdin=password + "\n",
    )
    assert_clean_refusal(result, "invalid admin account", needle)
    assert not (tmp_path / "parley.db").exists()  # refused before touching the database


def test_version_and_admin_without_a_terminal(tmp_path: Path) -> None:
    version = run_parley("--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("parley ")
    url = f"sqlite+aiosqlite:///{tmp_path / 'parley.db'}"
    env = {"PARLEY_DATABASE_URL": url}
    # stdin is not a terminal and no password was given: an explanation, no traceback
    quiet = run_parley("admin", "create", "--login-id", "root", cwd=tmp_path, env=env, stdin="")
    assert_clean_refusal(quiet, "no terminal", "--password-stdin", "PARLEY_ADMIN_PASSWORD")
    made = run_parley(
        "admin",
        "create",
        "--login-id",
        "root",
        "--create-database",
        cwd=tmp_path,
        env={**env, "PARLEY_ADMIN_PASSWORD": "root password 1"},
    )
    assert made.returncode == 0, made.stderr
    unknown = run_parley("admin", "recover", "--login-id", "nobody", cwd=tmp_path, env=env)
    assert_clean_refusal(unknown, "no member has the login id")
    issued = run_parley("admin", "recover", "--login-id", "root", cwd=tmp_path, env=env)
    assert issued.returncode == 0, issued.stderr
    code = issued.stdout.split("recovery code for root: ")[1].split()[0]
    elsewhere = run_parley(
        "admin",
        "recover",
        "--login-id",
        "root",
        cwd=tmp_path,
        env={"PARLEY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'other.db'}"},
    )
    assert_clean_refusal(elsewhere, "there is no database")
    assert not (tmp_path / "other.db").exists()

    async def recover() -> None:
        app = create_app(make_settings(url))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                body = {"login_id": "root", "code": code, "new_password": "a new root password"}
                done = await http.post("/api/v1/auth/recover", json=body)
                assert done.status_code == 204, done.text
                await login(http, "root", "a new root password")

    asyncio.run(recover())
