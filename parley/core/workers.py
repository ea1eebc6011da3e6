"""`parley serve --workers N`: N server processes on one port, so every core of a machine serves.

The parent binds one `SO_REUSEPORT` listening socket per worker (so a port in use fails before
anything forks), forks the workers, and supervises them: SIGTERM or SIGINT to the parent is
forwarded as SIGTERM to every worker, which drains its connections (WebSockets close with 1001)
as a single server would; a worker that dies later is replaced. The kernel spreads new
connections over the listening sockets by a hash of the peer address, so a room's members land
on different workers and its messages cross the shared bus (Redis or Kafka) between them.

Workers are forked, not spawned: settings, migrations and the signing key are done once in the
parent, and each worker builds its own application (and event loop) after the fork.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from types import FrameType

log = logging.getLogger(__name__)
#: a worker that exits sooner than this after starting failed to start: stop, do not loop
STARTUP_S = 10.0
RESTART_DELAY_S = 1.0
BACKLOG = 2048
PR_SET_PDEATHSIG = 1


def reuseport_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket that other sockets of this user may share the port with."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


def _die_with_parent() -> None:
    """Linux: the worker gets SIGTERM when the supervisor dies (even by SIGKILL)."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Supervisor:
    """Forks and watches the workers; `run` returns the exit status for the command."""

    def __init__(self, count: int, host: str, port: int, serve: Callable[[socket.socket], None]):
        self.count, self.host, self.port, self.serve = count, host, port, serve
        self.workers: dict[int, tuple[int, float]] = {}  # pid -> (slot, started at)
        self.stopping = False

    def _fork(self, slot: int, sock: socket.socket) -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            status = 1
            try:
                os.setpgid(0, 0)  # a terminal's Ctrl-C reaches the parent only, which forwards
                _die_with_parent()
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.default_int_handler)
                self.serve(sock)
                status = 0
            except BaseException:
                log.exception("worker %d failed", slot)
            finally:
                os._exit(status)
        sock.close()
        self.workers[pid] = (slot, time.monotonic())
        log.info("worker %d started (pid %d)", slot, pid)

    def _forward(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping = True
        for pid in list(self.workers):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def run(self) -> int:
        sockets = [reuseport_socket(self.host, self.port) for _ in range(self.count)]
        signal.signal(signal.SIGTERM, self._forward)
        signal.signal(signal.SIGINT, self._forward)
        for slot, sock in enumerate(sockets):
            self._fork(slot, sock)
        log.info("serving on %s:%d with %d workers", self.host, self.port, self.count)
        failed = False
        while self.workers:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            slot, started = self.workers.pop(pid, (-1, 0.0))
            code = os.waitstatus_to_exitcode(status)
            if self.stopping or slot < 0:
                failed = failed or code not in (0, -signal.SIGTERM)
                continue
            log.error("worker %d (pid %d) exited with %d", slot, pid, code)
            if time.monotonic() - started < STARTUP_S:  # it could not start: neither will more
                failed = True
                self._forward(signal.SIGTERM, None)
                continue
            time.sleep(RESTART_DELAY_S)
            if not self.stopping:
                self._fork(slot, reuseport_socket(self.host, self.port))
        return 1 if failed else 0
