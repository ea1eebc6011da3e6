"""Throwaway servers for the bench: `parley serve` with bench-friendly settings
(`--serve-dir`) and the bare reference relay (`--reference`)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from parley.bench.accounts import Api

#: cheap password hashing (sign-ups are setup, not the thing measured), send limits far above
#: the offered load, and no login throttling for thousands of logins from one address
BENCH_SERVER_ENV = {
    "PARLEY_ARGON2_TIME_COST": "1",
    "PARLEY_ARGON2_MEMORY_KIB": "1024",
    "PARLEY_ARGON2_PARALLELISM": "1",
    "PARLEY_SEND_RATE": "100000",
    "PARLEY_SEND_BURST": "100000",
    "PARLEY_LOGIN_ATTEMPTS_PER_ADDRESS": "10000000",
    "PARLEY_SIGNUPS_PER_ADDRESS": "1000000",
    "PARLEY_LOG_LEVEL": "warning",
}
START_TIMEOUT_S = 60.0


def server_hint() -> str:
    return " ".join(f"{key}={value}" for key, value in BENCH_SERVER_ENV.items())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def bench_server(workdir: Path) -> Iterator[tuple[str, int]]:
    """Start a server on SQLite in `workdir`; yields (url, pid) and stops it afterwards."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = {**os.environ, **BENCH_SERVER_ENV, "PARLEY_PORT": str(port), "PARLEY_HOST": "127.0.0.1"}
    log = (workdir / "server.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "parley", "serve"], cwd=workdir, env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        yield url, process.pid
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


def _wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    api = Api(url)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the bench server exited with {process.returncode}")
        with contextlib.suppress(OSError):
            if api.call("GET", "/healthz")[0] == 200:
                return
        time.sleep(0.2)
    raise RuntimeError("the bench server did not become healthy")


@contextlib.contextmanager
def reference_relay() -> Iterator[tuple[str, int]]:
    """Start the reference relay (`parley.bench.reference`) on a free port; yields (url, pid)."""
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "parley.bench.reference", "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the reference relay exited with {process.returncode}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the reference relay did not start listening")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
