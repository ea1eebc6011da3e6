"""Stalled connections are closed, and the server keeps working at its file-descriptor limit."""

from __future__ import annotations

import json
import resource
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil

from tests.support.server import running_server

TIMEOUT = 2.0  # PARLEY_REQUEST_HEADER_TIMEOUT_SECONDS of these servers
FD_LIMIT = 160
HALF_HEADER = b"GET /healthz HTTP/1.1\r\nHost: parley\r\n"  # no blank line: never complete


def _low_fd_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))  # soft = hard: no raising


def _closed_by_server(sock: socket.socket, deadline: float) -> bool:
    """True once the server ends the connection (EOF or reset), False if it stays open."""
    sock.settimeout(max(0.01, deadline - time.monotonic()))
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return False
    except ConnectionError:
        pass
    return True


def _healthz(base_url: str) -> int | None:
    try:
        return httpx.get(f"{base_url}/healthz", timeout=2).status_code
    except httpx.HTTPError:
        return None


def test_more_stalled_sockets_than_descriptors_do_not_take_the_server_down(
    tmp_path: Path,
) -> None:
    env = {"PARLEY_REQUEST_HEADER_TIMEOUT_SECONDS": str(TIMEOUT)}
    with running_server(tmp_path, env=env, preexec=_low_fd_limit) as server:
        process = psutil.Process(server.process.pid)
        assert process.rlimit(psutil.RLIMIT_NOFILE) == (FD_LIMIT, FD_LIMIT)
        idle_fds = process.num_fds()
        stalled: list[socket.socket] = []
        for n in range(FD_LIMIT + 100):  # more than the server can hold open
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            if n % 2:
                sock.sendall(HALF_HEADER)  # the other half sends nothing at all
            stalled.append(sock)
        cpu_before = sum(process.cpu_times()[:2])
        time.sleep(TIMEOUT / 2)
        # at the limit: alive, and not spinning on accept() failing with EMFILE
        assert server.process.poll() is None
        assert process.num_fds() >= FD_LIMIT - 5
        assert sum(process.cpu_times()[:2]) - cpu_before < TIMEOUT / 2 * 0.6

        answered_after = None
        started = time.monotonic()
        while time.monotonic() - started < 60 and answered_after is None:
            if _healthz(server.base_url) == 200:
                answered_after = time.monotonic() - started
            else:
                time.sleep(0.2)
        assert answered_after is not None, "/healthz never answered again"

        deadline = time.monotonic() + 60
        still_open = [s for s in stalled if not _closed_by_server(s, deadline)]
        for sock in stalled:
            sock.close()
        assert not still_open, f"{len(still_open)} stalled sockets were never closed"
        assert httpx.get(f"{server.base_url}/readyz", timeout=5).status_code == 200  # database
        assert process.num_fds() < idle_fds + 20  # every stalled socket's descriptor is back
    # the accept loop and the HTTP protocol never failed (work needing a new descriptor while
    # at the limit, like the outbox relay's database connection, fails and is retried)
    entries = [json.loads(line) for line in server.log().splitlines() if line.strip()]
    failures = [e for e in entries if e["level"] in ("error", "critical")]
    assert not [
        e for e in failures if e["logger"].startswith(("uvicorn", "asyncio", "parley.core"))
    ]


def _in_threads(*jobs: Callable[[], None]) -> None:
    threads = [threading.Thread(target=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)


def test_the_timeout_is_a_deadline_for_headers_and_an_idle_limit_for_bodies(
    tmp_path: Path,
) -> None:
    env = {"PARLEY_REQUEST_HEADER_TIMEOUT_SECONDS": str(TIMEOUT)}
    results: dict[str, object] = {}
    with running_server(tmp_path, env=env) as server:
        address = ("127.0.0.1", server.port)

        def trickled_headers() -> None:
            """A header trickling in a byte every 0.2 s never completes: cut at the deadline."""
            with socket.create_connection(address) as sock:
                started = time.monotonic()
                trickle = HALF_HEADER + b"X-Padding: " + b"a" * 10_000
                for byte in trickle:
                    if time.monotonic() - started > TIMEOUT + 6:
                        return  # never cut: "trickle" stays unset
                    try:
                        sock.sendall(bytes([byte]))
                    except OSError:  # reset: the server closed it under us
                        break
                    time.sleep(0.2)
                results["trickle"] = time.monotonic() - started

        def stalled_body() -> None:
            with socket.create_connection(address) as sock:
                sock.sendall(
                    b"POST /api/v1/auth/login HTTP/1.1\r\nHost: parley\r\n"
                    b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
                )
                started = time.monotonic()
                results["stalled_body"] = _closed_by_server(sock, started + 30)
                results["stalled_body_after"] = time.monotonic() - started

        def slow_body() -> None:
            """A body arriving slowly but steadily (longer than the timeout) is served."""
            body = b'{"login_id": "nobody", "password": "wrong password"}'
            with socket.create_connection(address) as sock:
                sock.sendall(
                    b"POST /api/v1/auth/login HTTP/1.1\r\nHost: parley\r\n"
                    b"Content-Type: application/json\r\nContent-Length: "
                    + str(len(body)).encode()
                    + b"\r\nConnection: close\r\n\r\n"
                )
                for n in range(0, len(body), 4):  # 13 chunks over ~3.9 s
                    time.sleep(0.3)
                    sock.sendall(body[n : n + 4])
                sock.settimeout(30)
                results["slow_body"] = sock.recv(100)

        def stalled_after_a_response() -> None:
            """A kept-alive connection that starts a second request and stops is closed."""
            with socket.create_connection(address) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: parley\r\n\r\n")
                sock.settimeout(10)
                assert sock.recv(4096).startswith(b"HTTP/1.1 200")
                sock.sendall(HALF_HEADER)
                started = time.monotonic()
                results["keep_alive"] = _closed_by_server(sock, started + 30)
                results["keep_alive_after"] = time.monotonic() - started

        _in_threads(trickled_headers, stalled_body, slow_body, stalled_after_a_response)
        assert _healthz(server.base_url) == 200
    assert "trickle" in results, "a trickled header was never cut"
    assert TIMEOUT * 0.8 < float(results["trickle"]) < TIMEOUT + 6  # type: ignore[arg-type]
    assert results["stalled_body"] is True
    assert TIMEOUT * 0.8 < float(results["stalled_body_after"]) < TIMEOUT + 6  # type: ignore[arg-type]
    assert bytes(results["slow_body"]).startswith(b"HTTP/1.1 401")  # type: ignore[call-overload]
    assert results["keep_alive"] is True
    assert float(results["keep_alive_after"]) < TIMEOUT + 6  # type: ignore[arg-type]


def test_serve_raises_the_soft_open_file_limit_to_the_hard_one(tmp_path: Path) -> None:
    def soft_below_hard() -> None:
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(256, hard), hard))

    with running_server(tmp_path, preexec=soft_below_hard) as server:
        soft, hard = psutil.Process(server.process.pid).rlimit(psutil.RLIMIT_NOFILE)
    assert soft == hard
