"""Helpers of the browser tests: the server they share, pages that watch for trouble, forms."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from tests.support.server import ServerProcess, free_port, start_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Dialog, Page

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: waits are generous (two shared cores), but nothing ever sleeps a fixed time
TIMEOUT_MS = 20_000
PASSWORD = "browser tests passphrase"
SERVER_ENV = {
    "PARLEY_SEND_RATE": "1000",
    "PARLEY_SEND_BURST": "1000",
    "PARLEY_PRESENCE_GRACE_SECONDS": "0.5",
    "PARLEY_TYPING_INTERVAL_SECONDS": "0",
    "PARLEY_SHUTDOWN_GRACE_SECONDS": "1",
    "PARLEY_LOGIN_ATTEMPTS_PER_ADDRESS": "1000",
}
_ids = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{os.getpid() % 10_000}x{next(_ids)}"


class WebServer:
    """A `parley serve` on a fixed port and work directory, so a restart keeps its state
    (SQLite file and secret key) and browsers reconnect to the same address."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.process: ServerProcess = start_server(workdir, env=SERVER_ENV, port=self.port)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self.process.stop(sig)

    def start(self) -> None:
        self.process = start_server(self.workdir, env=SERVER_ENV, port=self.port)

    def cli(self, *args: str, stdin: str = "") -> None:
        """Run `parley …` against this server's database (its working directory)."""
        subprocess.run(
            [sys.executable, "-m", "parley", *args],
            cwd=self.workdir,
            input=stdin.encode(),
            env={**os.environ, **SERVER_ENV},
            check=True,
            capture_output=True,
            timeout=60,
        )

    @contextlib.contextmanager
    def api_login(self, login_id: str, password: str = PASSWORD) -> Iterator[httpx.Client]:
        """An API client (Bearer token) for seeding data quickly."""
        with httpx.Client(base_url=self.base_url, timeout=30) as client:
            response = client.post(
                "/api/v1/auth/login", json={"login_id": login_id, "password": password}
            )
            response.raise_for_status()
            client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
            yield client


@dataclass
class Watched:
    """A page plus everything that must not happen on it: dialogs, script errors, CSP
    violations. `assert_clean()` fails the test if any did."""

    context: BrowserContext
    page: Page
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.errors.append(message.text)

    def csp_violations(self) -> list[Any]:
        result: list[Any] = self.page.evaluate("window.__csp || []")
        return result

    def assert_clean(self) -> None:
        assert self.dialogs == [], f"a dialog opened: {self.dialogs}"
        assert self.errors == [], f"errors on the page: {self.errors}"
        assert self.csp_violations() == []
        assert self.page.evaluate("window.__pwned") is None

    def close(self) -> None:
        self.context.close()


RECORD_TROUBLE = """
document.addEventListener("securitypolicyviolation", (event) => {
  (window.__csp = window.__csp || []).push(event.violatedDirective + " " + event.blockedURI);
});
"""


def open_page(
    browser: Browser, server: WebServer, width: int = 1280, locale: str = "en-US"
) -> Watched:
    context = browser.new_context(
        base_url=server.base_url, viewport={"width": width, "height": 800}, locale=locale
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(RECORD_TROUBLE)
    page = context.new_page()
    watched = Watched(context, page)
    page.on("dialog", watched.on_dialog)
    page.on("console", watched.on_console)
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    return watched


def sign_up(page: Page, login_id: str, nickname: str) -> None:
    """Create an account through the sign-up page (which logs in and goes home)."""
    page.goto("/signup")
    page.get_by_label("Login id").fill(login_id)
    page.get_by_label("Nickname").fill(nickname)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/")


def log_in(page: Page, login_id: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Login id").fill(login_id)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def wait_connected(page: Page) -> None:
    page.locator('#connection[data-state="connected"]').wait_for()


def send(page: Page, text: str) -> None:
    """Type into the composer and press Enter, as a keyboard user does."""
    box = page.get_by_role("textbox", name="Message", exact=True)
    box.fill(text)
    box.press("Enter")


def messages(page: Page, text: str) -> Any:
    """The confirmed messages (with a seq) whose body is exactly `text`."""
    return page.locator("#messages li[data-seq] .msg-body", has_text=text)


def seqs(page: Page) -> list[int]:
    values: list[int] = page.eval_on_selector_all(
        "#messages li[data-seq]", "nodes => nodes.map(n => Number(n.dataset.seq))"
    )
    return values


def open_room(
    browser: Browser,
    server: WebServer,
    login_id: str,
    room_id: int,
    width: int = 1280,
    locale: str = "en-US",
) -> Watched:
    """A page logged in as `login_id` (on the English form), showing the room connected, in
    the language of `locale`."""
    watched = open_page(browser, server, width=width, locale=locale)
    url = server.base_url
    watched.context.add_cookies([{"name": "parley_lang", "value": "en", "url": url}])
    log_in(watched.page, login_id)
    lang = locale[:2]
    watched.context.add_cookies([{"name": "parley_lang", "value": lang, "url": url}])
    watched.page.goto(f"/rooms/{room_id}")
    wait_connected(watched.page)
    return watched
