"""The server process as the bench sees it: CPU seconds and resident memory, via psutil."""

from __future__ import annotations

import contextlib
import resource
import threading
import time
from dataclasses import dataclass, field

import psutil

SAMPLE_INTERVAL_S = 0.5


def raise_nofile_limit() -> int:
    """Lift the soft open-files limit to the hard one: every connection is a descriptor."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else 1_048_576
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def find_listener_pid(port: int) -> int | None:
    """The process listening on `port`, when this user may see it."""
    try:
        connections = psutil.net_connections(kind="tcp")
    except (psutil.AccessDenied, OSError):
        return None
    for conn in connections:
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
            return int(conn.pid) if conn.pid else None
    return None


@dataclass(frozen=True)
class Snapshot:
    at: float
    cpu_s: float  # user + system, threads included
    system_s: float  # the kernel's share: system calls, and on loopback the receiver's TCP work
    rss: int
    fds: int  # open descriptors: roughly its connections plus a few files


@dataclass
class ServerSampler:
    """Snapshots on demand plus a background thread that keeps the peak RSS."""

    pid: int
    peak_rss: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.process = psutil.Process(self.pid)

    def snapshot(self) -> Snapshot:
        with self.process.oneshot():
            times = self.process.cpu_times()
            rss = int(self.process.memory_info().rss)
            fds = self.process.num_fds()
        self.peak_rss = max(self.peak_rss, rss)
        return Snapshot(time.monotonic(), times.user + times.system, times.system, rss, fds)

    def start(self) -> None:
        def loop() -> None:
            while not self._stop.wait(SAMPLE_INTERVAL_S):
                with contextlib.suppress(psutil.Error):
                    self.snapshot()

        self._thread = threading.Thread(target=loop, name="bench-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def wait_until_quiet(
    pid: int, below: float = 0.1, window_s: float = 0.5, limit_s: float = 60.0
) -> float:
    """Wait until process `pid` uses less than `below` of a core over a `window_s` window (a
    server that stays up between rounds may still be indexing what the last run sent, which
    would weigh on the next run against the relay); the seconds waited. Gives up after
    `limit_s` and returns; a process that is gone is quiet."""
    started = time.monotonic()
    try:
        process = psutil.Process(pid)
        while time.monotonic() - started < limit_s:
            before = process.cpu_times()
            time.sleep(window_s)
            after = process.cpu_times()
            used = (after.user + after.system) - (before.user + before.system)
            if used < below * window_s:
                break
    except psutil.Error:
        pass
    return time.monotonic() - started
