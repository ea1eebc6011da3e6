"""The installable, pushable UI in real Chromium: the manifest, the service worker at the root
scope, and a push it receives turned into a notification that names the room.

A real subscription cannot be made here: Chromium's `pushManager.subscribe` talks to Google's
push service, and these tests run offline. The push itself is delivered through the DevTools
protocol (`ServiceWorker.deliverPushMessage`), i.e. to the worker as a push service would;
the server's side of Web Push is tested against a local push service (tests/notify).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from tests.e2e.browser import WebServer, open_page, sign_up, unique

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def test_manifest_worker_and_a_pushed_notification(
    browser: Browser, web_server: WebServer, screenshots: Path
) -> None:
    watched = open_page(browser, web_server)
    page = watched.page
    try:
        sign_up(page, unique("push"), "Pushy")
        manifest_href = page.locator('link[rel="manifest"]').get_attribute("href")
        assert manifest_href == "/manifest.webmanifest"
        answer = page.request.get(manifest_href)
        assert answer.ok and answer.headers["content-type"].startswith("application/manifest+json")
        manifest = answer.json()
        assert manifest["name"] == "Parley" and manifest["start_url"] == "/"
        assert manifest["display"] == "standalone" and manifest["icons"]
        assert page.request.get(manifest["icons"][0]["src"]).ok

        worker = page.request.get("/sw.js")
        assert worker.ok and worker.headers["content-type"].startswith("text/javascript")
        assert worker.headers["service-worker-allowed"] == "/"
        assert "script-src 'self'" in worker.headers["content-security-policy"]

        page.goto("/account")
        section = page.locator("#push-device")
        section.get_by_text("Notifications on this device").wait_for()
        section.get_by_role("button", name="Turn on notifications").wait_for()
        assert section.locator("[data-push-status]").inner_text() == (
            "Notifications are off for this browser."
        )
        scope = page.evaluate(
            """async () => {
                const push = await import("/static/js/push.js");
                await push.registerWorker();
                const ready = await navigator.serviceWorker.ready;
                return ready.scope;
            }"""
        )
        assert scope == f"{web_server.base_url}/"

        watched.context.grant_permissions(["notifications"], origin=web_server.base_url)
        cdp = watched.context.new_cdp_session(page)
        registrations: list[dict[str, str]] = []
        cdp.on(
            "ServiceWorker.workerRegistrationUpdated",
            lambda event: registrations.extend(event["registrations"]),
        )
        cdp.send("ServiceWorker.enable")
        for _ in range(200):
            if registrations:
                break
            page.wait_for_timeout(50)
        registration_id = next(r["registrationId"] for r in registrations if r["scopeURL"] == scope)
        payload = {
            "type": "message",
            "title": "Alice · general",
            "body": "lunch at noon?",
            "url": "/rooms/42",
            "tag": "room-42",
        }
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {
                "origin": web_server.base_url,
                "registrationId": registration_id,
                "data": json.dumps(payload),
            },
        )
        shown = None
        for _ in range(400):  # the worker shows it asynchronously: poll, generously
            shown = page.evaluate(
                """async () => {
                    const registration = await navigator.serviceWorker.ready;
                    const [note] = await registration.getNotifications({ tag: "room-42" });
                    return note ? { title: note.title, body: note.body, url: note.data.url } : null;
                }"""
            )
            if shown:
                break
            page.wait_for_timeout(50)
        assert shown == {
            "title": "Alice · general",
            "body": "lunch at noon?",
            "url": f"{web_server.base_url}/rooms/42",
        }
        for width in (360, 1280):
            page.set_viewport_size({"width": width, "height": 800})
            section.scroll_into_view_if_needed()
            page.screenshot(path=str(screenshots / f"account-push-en-{width}.png"), full_page=True)
        watched.assert_clean()
    finally:
        watched.close()


def test_the_account_section_in_korean(
    browser: Browser, web_server: WebServer, screenshots: Path
) -> None:
    watched = open_page(browser, web_server, width=360)
    page = watched.page
    try:
        sign_up(page, unique("pushko"), "푸시")
        page.goto("/account")
        page.get_by_role("button", name="한국어").click()
        section = page.locator("#push-device")
        section.get_by_text("이 기기의 알림").wait_for()
        section.get_by_role("button", name="알림 켜기").wait_for()
        for width in (360, 1280):
            page.set_viewport_size({"width": width, "height": 800})
            page.screenshot(path=str(screenshots / f"account-push-ko-{width}.png"), full_page=True)
        watched.assert_clean()
    finally:
        watched.close()
