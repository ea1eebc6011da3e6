"""`parley files gc` through the real command line."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from pathlib import Path

from parley.accounts.models import Member
from parley.core.runtime import Runtime
from parley.files.service import FilesService
from tests.files.support import stored_files
from tests.support.services import test_settings


async def _upload_orphan(url: str) -> None:
    runtime = Runtime.build(test_settings(url))
    try:
        async with runtime.db.transaction() as session:
            member = Member(
                login_id="owner", nickname="Owner", nickname_key="owner", password_hash="x"
            )
            session.add(member)
        await FilesService(runtime).upload(member.id, io.BytesIO(b"orphan\n"), "o.txt")
    finally:
        await runtime.close()


def test_files_gc_deletes_orphans(tmp_path: Path, files_env: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "PARLEY_DATABASE_URL": url, "PARLEY_SECRET_KEY": "k" * 40}
    migrated = subprocess.run(
        [sys.executable, "-m", "parley", "migrate"], env=env, capture_output=True, text=True
    )
    assert migrated.returncode == 0, migrated.stderr
    asyncio.run(_upload_orphan(url))
    assert len(stored_files(files_env)) == 1
    command = [sys.executable, "-m", "parley", "files", "gc"]
    kept = subprocess.run(command, env=env, capture_output=True, text=True)
    assert kept.returncode == 0, kept.stderr
    assert "deleted 0 orphaned upload(s) and 0 unused blob(s)" in kept.stdout
    collected = subprocess.run(
        [*command, "--older-than-hours", "0"], env=env, capture_output=True, text=True
    )
    assert collected.returncode == 0, collected.stderr
    assert "deleted 1 orphaned upload(s) and 1 unused blob(s)" in collected.stdout
    assert stored_files(files_env) == []
