"""The README's commands work as written, on a clean copy of the repository."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)


def readme_commands() -> list[str]:
    """The README's fenced `sh` blocks, in order."""
    return [block.strip() for block in FENCE.findall((ROOT / "README.md").read_text())]


def test_the_readme_test_command_is_what_ci_runs() -> None:
    ci_lines = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if "pytest" in line and not line.lstrip().startswith("#")
    ]
    assert ci_lines == [readme_commands()[1]]


def _copy_tracked_files(target: Path) -> None:
    """What a fresh clone holds: the tracked files, not the developer's venv or databases."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # tracked but deleted in the working tree: not in a clone either
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """End the shell and everything it started (pip, the server)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


@pytest.mark.slow
def test_the_readme_run_command_starts_a_server(tmp_path: Path) -> None:
    command = readme_commands()[0]
    checkout = tmp_path / "parley"
    _copy_tracked_files(checkout)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "VIRTUAL_ENV"))}
    env["PARLEY_PORT"] = str(port)
    log_path = tmp_path / "readme-run.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["/bin/sh", "-c", command],
            cwd=checkout,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so it can be ended whole
        )
    try:
        deadline = time.monotonic() + 600
        while True:
            assert process.poll() is None, f"exited {process.returncode}:\n{log_path.read_text()}"
            assert time.monotonic() < deadline, f"never healthy:\n{log_path.read_text()}"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        assert (checkout / "parley.db").is_file() and (checkout / "parley.secret").is_file()
    finally:
        _stop_group(process)
