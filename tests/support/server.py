"""A real `parley serve` process on a free port, for WebSocket and end-to-end tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    port: int
    workdir: Path
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode


#: how long a server may take to answer /healthz: a start imports the whole app, which on two
#: cores shared with other test runs can take half a minute and more
HEALTHY_TIMEOUT = 120.0


def wait_until_healthy(
    base_url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = HEALTHY_TIMEOUT
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"server did not become healthy:\n{log.read_text()}")


def start_server(
    workdir: Path,
    env: dict[str, str] | None = None,
    args: list[str] | None = None,
    port: int | None = None,
    preexec: Callable[[], None] | None = None,
) -> ServerProcess:
    """Start `python -m parley serve` in `workdir` with test-friendly settings.

    `preexec` runs in the child before the server starts (a umask, a resource limit).
    """
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    full_env = {
        **os.environ,
        "PARLEY_PORT": str(port),
        "PARLEY_ARGON2_TIME_COST": "1",
        "PARLEY_ARGON2_MEMORY_KIB": "1024",
        "PARLEY_ARGON2_PARALLELISM": "1",
        "PARLEY_SIGNUPS_PER_ADDRESS": "1000000",
        **(env or {}),
    }
    log_path = workdir / f"server-{port}.log"
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "parley", "serve", *(args or [])],
        cwd=workdir,
        env=full_env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        preexec_fn=preexec,
    )
    server = ServerProcess(process, port, workdir, log_path)
    try:
        wait_until_healthy(server.base_url, process, log_path)
    except Exception:
        server.stop(signal.SIGKILL)
        raise
    return server


@contextlib.contextmanager
def running_server(workdir: Path, **kwargs: object) -> Iterator[ServerProcess]:
    server = start_server(workdir, **kwargs)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.stop()
