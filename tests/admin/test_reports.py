"""Reports: members report messages; room moderators and site admins work the queue."""

from __future__ import annotations

import httpx

from parley.core.runtime import Runtime
from tests.admin.support import make_admin, make_room, send
from tests.support.api import PASSWORD, assert_problem, signup

API = "/api/v1"


async def _report(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    room: int,
    message: int,
    reason: str = "spam",
) -> httpx.Response:
    return await client.post(
        f"{API}/rooms/{room}/messages/{message}/reports", json={"reason": reason}, headers=headers
    )


async def test_filing_rules(client: httpx.AsyncClient, runtime: Runtime) -> None:
    owner, reporter = await signup(client), await signup(client)
    sender, outsider = await signup(client), await signup(client)
    room = await make_room(client, owner, reporter, sender)
    message = (await send(client, sender, room, "buy pills")).json()["id"]
    assert_problem(await _report(client, sender.headers, room, message), 403, "own_message")
    assert_problem(await _report(client, outsider.headers, room, message), 403, "not_a_member")
    assert_problem(await _report(client, reporter.headers, room, 999_999), 404, "message_not_found")
    history = await client.get(f"{API}/rooms/{room}/messages", headers=owner.headers)
    system = next(m for m in history.json()["items"] if m["kind"] == "system")
    assert_problem(
        await _report(client, reporter.headers, room, system["id"]), 403, "system_message"
    )
    # a whisper between two others is not the reporter's to see
    whisper = await client.post(
        f"{API}/rooms/{room}/messages",
        json={"body": "psst", "client_msg_id": "w1", "to": owner.id},
        headers=sender.headers,
    )
    assert whisper.status_code == 201, whisper.text
    assert_problem(
        await _report(client, reporter.headers, room, whisper.json()["id"]),
        404,
        "message_not_found",
    )
    filed = await _report(client, reporter.headers, room, message)
    assert filed.status_code == 201, filed.text
    assert (filed.json()["status"], filed.json()["sender_id"]) == ("open", sender.id)
    assert_problem(await _report(client, reporter.headers, room, message), 409, "already_reported")
    queue = await client.get(f"{API}/rooms/{room}/reports", headers=owner.headers)
    assert [(r["id"], r["body"]) for r in queue.json()] == [(filed.json()["id"], "buy pills")]
    assert_problem(await client.get(f"{API}/rooms/{room}/reports", headers=reporter.headers), 403)


async def test_resolutions(client: httpx.AsyncClient, runtime: Runtime) -> None:
    admin = await make_admin(client, runtime)
    owner, reporter, sender = await signup(client), await signup(client), await signup(client)
    room = await make_room(client, owner, reporter, sender)
    first = (await send(client, sender, room, "first bad")).json()["id"]
    second = (await send(client, sender, room, "second bad")).json()["id"]
    third = (await send(client, sender, room, "third bad")).json()["id"]
    reports = [
        (await _report(client, reporter.headers, room, m)).json()["id"]
        for m in (first, second, third)
    ]
    resolve = f"{API}/admin/reports/{{}}/resolve"
    # the room's owner dismisses one and deletes another, but may not suspend
    dismissed = await client.post(
        resolve.format(reports[0]),
        json={"action": "dismiss", "note": "fine"},
        headers=owner.headers,
    )
    assert dismissed.json()["status"] == "resolved" and dismissed.json()["resolution"] == "dismiss"
    again = await client.post(
        resolve.format(reports[0]), json={"action": "dismiss"}, headers=owner.headers
    )
    assert_problem(again, 409, "already_resolved")
    refused = await client.post(
        resolve.format(reports[2]), json={"action": "suspend_sender"}, headers=owner.headers
    )
    assert_problem(refused, 403, "admin_only")
    assert_problem(
        await client.post(
            resolve.format(reports[2]), json={"action": "dismiss"}, headers=reporter.headers
        ),
        403,
        "admin_only",
    )
    deleted = await client.post(
        resolve.format(reports[1]), json={"action": "delete_message"}, headers=owner.headers
    )
    assert deleted.status_code == 200, deleted.text
    history = (await client.get(f"{API}/rooms/{room}/messages", headers=reporter.headers)).json()
    gone = next(m for m in history["items"] if m["id"] == second)
    assert gone["body"] == "" and gone.get("deleted_by") == "moderator"
    # the site admin suspends the sender
    suspended = await client.post(
        resolve.format(reports[2]),
        json={"action": "suspend_sender", "note": "repeat spammer"},
        headers=admin.headers,
    )
    assert suspended.status_code == 200, suspended.text
    login = await client.post(
        f"{API}/auth/login", json={"login_id": sender.login_id, "password": PASSWORD}
    )
    assert_problem(login, 403, "suspended")
    open_reports = await client.get(f"{API}/admin/reports?status=open", headers=admin.headers)
    assert open_reports.json() == []
    entries = (await client.get(f"{API}/admin/audit", headers=admin.headers)).json()["items"]
    assert [(e["action"], e["actor_id"]) for e in entries] == [
        ("member.suspend", admin.id),
        ("report.suspend_sender", admin.id),
        ("report.delete_message", owner.id),
        ("message.delete", owner.id),
        ("report.dismiss", owner.id),
    ]
    assert entries[3]["target_id"] == second and entries[3]["details"]["sender_id"] == sender.id
