"""A real OpenID provider (the npm package `oidc-provider`, tests/support/oidc/provider.mjs)
in a Node process, and a user agent that signs in on its development login form."""

from __future__ import annotations

import contextlib
import html
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx

from tests.support.server import free_port
from tests.support.services import service_missing

OIDC_DIR = Path(__file__).parent / "oidc"
CLIENT_ID = "parley"
CLIENT_SECRET = "parley-test-client-secret-0123456789abcdef"
_FORM = re.compile(r"<form[^>]*action=\"([^\"]+)\"[^>]*>(.*?)</form>", re.S)
_INPUT = re.compile(r"<input[^>]*>", re.S)
_ATTR = re.compile(r"(\w+)=\"([^\"]*)\"")


@dataclass
class Provider:
    issuer: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def running_provider(workdir: Path, redirect_uris: list[str]) -> Iterator[Provider]:
    """The provider on a free port, clients `parley`, `other` and `shortlived`."""
    node = shutil.which("node")
    if node is None or not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        service_missing("oidc-provider", "run `npm ci` in tests/support/oidc (.ci/run does)")
        raise AssertionError("unreachable")
    port = free_port()
    log_path = workdir / f"oidc-{port}.log"
    env = {
        "PATH": str(Path(node).parent),
        "OIDC_PORT": str(port),
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_REDIRECT_URIS": " ".join(redirect_uris),
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [node, "provider.mjs"], cwd=OIDC_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    provider = Provider(f"http://127.0.0.1:{port}", process, log_path)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"oidc-provider exited:\n{provider.log()}")
            with contextlib.suppress(httpx.HTTPError):
                url = f"{provider.issuer}/.well-known/openid-configuration"
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"oidc-provider did not start:\n{provider.log()}")
            time.sleep(0.1)
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _form(page: str, base: str) -> tuple[str, dict[str, str]]:
    match = _FORM.search(page)
    assert match is not None, page
    fields: dict[str, str] = {}
    for tag in _INPUT.findall(match.group(2)):
        attrs = dict(_ATTR.findall(tag))
        if "name" in attrs:
            fields[attrs["name"]] = html.unescape(attrs.get("value", ""))
    return urljoin(base, html.unescape(match.group(1))), fields


async def sign_in_at_provider(
    browser: httpx.AsyncClient, authorize_url: str, subject: str, until: str
) -> str:
    """Follow the provider's pages as a browser would (login form, then consent) and return
    the first redirect that leaves for `until` (the relying party's callback)."""
    url, method, data = authorize_url, "GET", None
    for _ in range(20):
        response = await browser.request(method, url, data=data)
        if response.is_redirect:
            url = urljoin(url, response.headers["location"])
            if url.startswith(until):
                return url
            method, data = "GET", None
            continue
        assert response.status_code == 200, (response.status_code, response.text)
        url, data = _form(response.text, str(response.url))
        method = "POST"
        if "login" in data:
            data.update(login=subject, password="any password")
    raise AssertionError("the provider never sent the browser back")
