"""Behind the shipped nginx: client addresses and the scheme come through, forgeries do not.

A real nginx runs `deploy/nginx.conf` (its upstreams pointed at one real `parley serve`, its
listener on a free loopback port, plus the same server block again over TLS). Clients use
distinct loopback source addresses (127.0.0.2, .3, …) so nginx sees distinct clients.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml  # type: ignore[import-untyped]  # no stubs in the dev extra

from tests.support.server import ServerProcess, free_port, running_server
from tests.support.services import service_missing

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ADDRESS_LIMIT = 5  # PARLEY_LOGIN_ATTEMPTS_PER_ADDRESS of this server
PASSWORD = "the victim's passphrase"


@dataclass
class Proxy:
    http_url: str
    https_url: str
    log_path: Path


def nginx_config(shipped: str, parley_port: int, http_port: int, https_port: int, tmp: Path) -> str:
    """The shipped file with loopback upstreams and listeners, and the server block again
    with TLS; everything else (locations, headers, the upgrade map) verbatim."""
    conf = re.sub(
        r"server (?:api|gateway)-\d+:8000[^;]*;", f"server 127.0.0.1:{parley_port};", shipped
    )
    server = re.search(r"\n  server \{.*\n  \}\n", conf, re.S)
    assert server is not None, "no server block in deploy/nginx.conf"
    plain = server.group(0).replace("listen 8080;", f"listen 127.0.0.1:{http_port};")
    tls = server.group(0).replace(
        "listen 8080;",
        f"listen 127.0.0.1:{https_port} ssl;\n"
        f"    ssl_certificate {tmp}/cert.pem;\n    ssl_certificate_key {tmp}/key.pem;",
    )
    assert plain != server.group(0) and tls != server.group(0), "the listen line moved"
    temp_paths = "".join(f"  {kind}_temp_path {tmp}/{kind};\n" for kind in ("client_body", "proxy"))
    conf = conf.replace(server.group(0), plain + tls)
    conf = conf.replace("http {\n", f"http {{\n  access_log off;\n{temp_paths}", 1)
    user = "user root;\n" if os.geteuid() == 0 else ""
    head = f"{user}daemon off;\npid {tmp}/nginx.pid;\nerror_log {tmp}/error.log info;\n"
    return head + conf


def _self_signed(tmp: Path) -> None:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip


@pytest.fixture(scope="module")
def parley(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {
        "PARLEY_FORWARDED_ALLOW_IPS": "127.0.0.1",  # nginx connects from here
        "PARLEY_LOGIN_ATTEMPTS_PER_ADDRESS": str(ADDRESS_LIMIT),
        "PARLEY_LOGIN_FAILURES_PER_ACCOUNT": "1000",
    }
    with running_server(tmp_path_factory.mktemp("parley"), env=env) as server:
        yield server


@pytest.fixture(scope="module")
def proxy(parley: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None:
        service_missing("nginx", "install the Debian package nginx (.ci/run does)")
    if shutil.which("openssl") is None:
        service_missing("openssl", "install the Debian package openssl")
    tmp = tmp_path_factory.mktemp("nginx")
    _self_signed(tmp)
    http_port, https_port = free_port(), free_port()
    conf = nginx_config(
        (DEPLOY / "nginx.conf").read_text(), parley.port, http_port, https_port, tmp
    )
    (tmp / "nginx.conf").write_text(conf)
    assert nginx is not None
    command = [nginx, "-p", str(tmp), "-c", str(tmp / "nginx.conf")]
    tested = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert tested.returncode == 0, tested.stderr
    process = subprocess.Popen(command)
    proxy = Proxy(
        f"http://127.0.0.1:{http_port}", f"https://127.0.0.1:{https_port}", parley.log_path
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{proxy.http_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, (tmp / "error.log").read_text()
            assert time.monotonic() < deadline, "nginx did not come up"
            time.sleep(0.1)
        yield proxy
    finally:
        process.send_signal(signal.SIGQUIT)  # graceful stop
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def client_from(source: str, **kwargs: object) -> httpx.Client:
    """A client whose connections leave from `source` (any 127.x.y.z is local on Linux)."""
    transport = httpx.HTTPTransport(local_address=source, verify=False)
    return httpx.Client(transport=transport, timeout=10, **kwargs)  # type: ignore[arg-type]


def _bad_login(client: httpx.Client, base: str, n: int, **headers: str) -> int:
    body = {"login_id": f"nobody{n}", "password": "not the password"}
    return client.post(f"{base}/api/v1/auth/login", json=body, headers=headers).status_code


def _access_clients(parley: ServerProcess, path: str) -> set[str]:
    time.sleep(0.3)  # the last lines reach the file
    entries = [json.loads(line) for line in parley.log().splitlines() if line.strip()]
    return {
        e["client"] for e in entries if e.get("logger") == "parley.access" and e["path"] == path
    }


def test_bad_logins_from_one_client_behind_nginx_do_not_lock_out_another(
    proxy: Proxy, parley: ServerProcess
) -> None:
    base = proxy.http_url
    with client_from("127.0.0.3") as victim:
        signup = {"login_id": "victim", "nickname": "Victim", "password": PASSWORD}
        assert victim.post(f"{base}/api/v1/auth/signup", json=signup).status_code == 201
    with client_from("127.0.0.2") as attacker:
        answers = [_bad_login(attacker, base, n) for n in range(ADDRESS_LIMIT + 3)]
        assert answers[:ADDRESS_LIMIT] == [401] * ADDRESS_LIMIT
        assert answers[-1] == 429  # the attacker's own address is throttled…
        # …and a forged X-Forwarded-For does not buy it a fresh address (nginx appends the
        # real peer; Parley takes the nearest untrusted entry)
        assert _bad_login(attacker, base, 99, **{"X-Forwarded-For": "198.51.100.9"}) == 429
    with client_from("127.0.0.3") as victim:  # …but another client logs in
        login = {"login_id": "victim", "password": PASSWORD}
        assert victim.post(f"{base}/api/v1/auth/login", json=login).status_code == 200
    clients = _access_clients(parley, "/api/v1/auth/login")
    assert {"127.0.0.2", "127.0.0.3"} <= clients  # the log names clients, not nginx
    assert "198.51.100.9" not in clients


def test_https_at_nginx_makes_the_cookies_secure(proxy: Proxy) -> None:
    with client_from("127.0.0.5") as browser:  # a fresh browser each: no cookie to send
        over_tls = browser.get(f"{proxy.https_url}/login")
    with client_from("127.0.0.5") as browser:
        over_http = browser.get(f"{proxy.http_url}/login")
    assert over_tls.status_code == over_http.status_code == 200
    tls_cookies = over_tls.headers.get_list("set-cookie")
    http_cookies = over_http.headers.get_list("set-cookie")
    assert tls_cookies and http_cookies
    assert all("secure" in cookie.lower() for cookie in tls_cookies), tls_cookies
    assert not any("secure" in cookie.lower() for cookie in http_cookies), http_cookies


def test_an_untrusted_peers_forwarded_headers_are_ignored(parley: ServerProcess) -> None:
    direct = parley.base_url  # Parley itself, not nginx
    with client_from("127.0.0.4") as peer:  # not in PARLEY_FORWARDED_ALLOW_IPS
        forged = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}
        page = peer.get(f"{direct}/login", headers=forged)
        assert page.status_code == 200
        assert not any("secure" in c.lower() for c in page.headers.get_list("set-cookie"))
        answers = [
            _bad_login(peer, direct, n, **{"X-Forwarded-For": f"203.0.113.{n}"})
            for n in range(ADDRESS_LIMIT + 2)
        ]
    assert answers[-1] == 429  # every forged address was charged to the peer's own
    clients = _access_clients(parley, "/api/v1/auth/login")
    assert "127.0.0.4" in clients
    assert not any(client.startswith("203.0.113.") for client in clients)


def test_the_shipped_configuration_forwards_and_trusts_consistently() -> None:
    conf = (DEPLOY / "nginx.conf").read_text()
    for location in re.findall(r"location [^{]*\{(.*?)\}", conf, re.S):
        assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in location
        assert "proxy_set_header X-Forwarded-Proto $scheme;" in location
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    nginx_address = compose["services"]["nginx"]["networks"]["default"]["ipv4_address"]
    for name in ("api-1", "api-2", "gateway-1", "gateway-2"):
        env = compose["services"][name]["environment"]
        assert env["PARLEY_FORWARDED_ALLOW_IPS"] == nginx_address
    config = yaml.safe_load_all((DEPLOY / "k8s" / "config.yaml").read_text())
    config_map = next(d for d in config if d["kind"] == "ConfigMap")
    assert config_map["data"]["PARLEY_FORWARDED_ALLOW_IPS"]
