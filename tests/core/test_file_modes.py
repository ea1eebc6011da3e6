"""The SQLite database, its WAL files and the secret key file are owner-only (0600)."""

from __future__ import annotations

import multiprocessing
import os
import secrets
import stat
from pathlib import Path

import httpx

from parley.core.config import load_or_create_key_file
from parley.core.database import create_private_file, restrict_sqlite_files
from tests.support.server import running_server

PRIVATE = ("parley.db", "parley.db-wal", "parley.db-shm", "parley.secret")


def _permissive_umask() -> None:
    os.umask(0)  # the worst case: without care every file would be 0666


def _modes(directory: Path) -> dict[str, str]:
    return {
        name: oct(stat.S_IMODE((directory / name).stat().st_mode))
        for name in PRIVATE
        if (directory / name).exists()
    }


def _write_some(base_url: str, login_id: str) -> None:
    body = {"login_id": login_id, "nickname": login_id, "password": "a long enough passphrase"}
    response = httpx.post(f"{base_url}/api/v1/auth/signup", json=body, timeout=10)
    assert response.status_code == 201, response.text
    del body["nickname"]
    login = httpx.post(f"{base_url}/api/v1/auth/login", json=body, timeout=10)
    assert login.status_code == 200, login.text


def test_a_fresh_server_creates_its_files_owner_only_even_with_umask_0(tmp_path: Path) -> None:
    env = {"PARLEY_DATABASE_URL": "sqlite+aiosqlite:///./parley.db"}
    with running_server(tmp_path, env=env, preexec=_permissive_umask) as server:
        started = _modes(tmp_path)
        for n in range(3):
            _write_some(server.base_url, f"modes{n}")
        written = _modes(tmp_path)
    owner_only = {name: "0o600" for name in PRIVATE}
    assert {"parley.db", "parley.secret"} <= started.keys()
    assert set(started.values()) == {"0o600"}
    assert written == owner_only  # all four exist once the server has a connection (WAL)


def test_files_left_world_readable_are_tightened_on_start(tmp_path: Path) -> None:
    env = {"PARLEY_DATABASE_URL": "sqlite+aiosqlite:///./parley.db"}
    with running_server(tmp_path, env=env) as server:
        _write_some(server.base_url, "before")
    for name in PRIVATE:  # an older version, a restore from backup, a copy
        if (tmp_path / name).exists():
            (tmp_path / name).chmod(0o644)
    (tmp_path / "parley.db-wal").touch()
    (tmp_path / "parley.db-wal").chmod(0o644)
    with running_server(tmp_path, env=env) as server:
        _write_some(server.base_url, "after")
        modes = _modes(tmp_path)
    assert modes == {name: "0o600" for name in PRIVATE}


def test_the_helpers_leave_existing_content_and_other_files_alone(tmp_path: Path) -> None:
    database = tmp_path / "x.db"
    database.write_bytes(b"content")
    database.chmod(0o640)
    create_private_file(str(database))  # exists: not truncated, not re-created
    assert database.read_bytes() == b"content"
    restrict_sqlite_files(str(database))
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    create_private_file(str(tmp_path / "missing" / "y.db"))  # no directory: SQLite will say
    assert not (tmp_path / "missing").exists()


def _create_key(path: str) -> str:
    return load_or_create_key_file(
        Path(path), lambda: secrets.token_urlsafe(48), what="test key", setting="X"
    )


def test_processes_creating_a_key_at_once_all_get_the_one_stored(tmp_path: Path) -> None:
    # `parley serve --workers` once raced here: a worker read the file another had created
    # but not yet written, and stopped with "too short"
    path = tmp_path / "race.key"
    for round_ in range(5):
        target = path.with_suffix(f".{round_}")
        with multiprocessing.get_context("fork").Pool(8) as pool:
            keys = pool.map(_create_key, [str(target)] * 32)
        assert len(set(keys)) == 1
        assert target.read_text().strip() == keys[0]
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"race.{i}" for i in range(5)]
