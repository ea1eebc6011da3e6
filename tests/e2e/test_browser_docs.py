"""`/docs` in real Chromium: Swagger UI 5 renders the OpenAPI 3.1 document from local files,
under the page's strict CSP, with no console error and no request leaving the server."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.e2e.browser import WebServer, open_page

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Request


def test_docs_render_the_operations(browser: Browser, web_server: WebServer) -> None:
    from playwright.sync_api import expect

    watched = open_page(browser, web_server)
    page = watched.page
    console_errors: list[str] = []
    foreign: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console_errors.append(message.text)

    def on_request(request: Request) -> None:
        if not request.url.startswith((web_server.base_url, "data:")):
            foreign.append(request.url)

    page.on("console", on_console)
    page.on("request", on_request)
    response = page.goto("/docs")
    assert response is not None and response.status == 200
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-frame-options"] == "DENY"

    login = page.locator(".opblock-post", has_text="/api/v1/auth/login")
    expect(login.first).to_be_visible()
    expect(page.locator(".opblock").nth(20)).to_be_attached()  # every tag's operations
    expect(page.get_by_text("Unable to render this definition")).to_have_count(0)
    login.first.locator(".opblock-summary").click()  # an operation opens with its schema
    expect(login.first.locator(".opblock-body")).to_be_visible()
    expect(page.locator(".swagger-ui .info .version").first).to_be_visible()
    authorize = page.get_by_role("button", name="Authorize").first
    expect(authorize).to_be_visible()  # the security schemes are declared
    authorize.click()
    expect(page.locator(".auth-container", has_text="bearer").first).to_be_visible()
    expect(page.locator(".auth-container", has_text="session_cookie").first).to_be_visible()
    assert console_errors == [], console_errors
    assert foreign == [], f"/docs loaded something from elsewhere: {foreign}"
    watched.assert_clean()
    watched.close()
