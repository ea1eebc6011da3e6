"""`parley import --from slack`: a Slack export built here from Slack's documented format
(users.json, channels.json, groups.json, dms.json, a folder per conversation with a JSON
file per day) becomes members who can log in, rooms, and history in order with mentions,
threads, reactions and joins; a second import adds nothing."""

from __future__ import annotations

import asyncio
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select

from parley.accounts.models import Member
from parley.chat.models import Message, MessageMention, MessageReaction
from parley.rooms.models import Room, RoomMember
from parley.social.models import DirectRoom
from tests.rooms.support import API
from tests.support.services import create_backend_database, test_settings
from tests.transfer.support import dump, instance, parley, settings_for

USERS = [
    {"id": "U1", "name": "alice", "real_name": "Alice A", "profile": {"display_name": "Alice"}},
    {"id": "U2", "name": "bob.b", "profile": {"display_name": ""}, "real_name": "Bob"},
    {"id": "U3", "name": "carol", "profile": {"display_name": "Carol ✿"}},
    {"id": "B1", "name": "deploybot", "is_bot": True, "profile": {}},
]
HELLO = "1704190100.000200"
DAYS = {
    "general/2024-01-02.json": [
        {
            "type": "message",
            "subtype": "channel_join",
            "user": "U3",
            "ts": "1704190000.000100",
            "text": "<@U3> has joined the channel",
        },
        {
            "type": "message",
            "user": "U1",
            "ts": HELLO,
            "text": "hello <@U2> &amp; <!channel>",
            "reactions": [
                {"name": "+1", "users": ["U2", "U3"], "count": 2},
                {"name": "partyparrot", "users": ["U2"], "count": 1},
            ],
        },
        {
            "type": "message",
            "user": "U2",
            "ts": "1704190200.000300",
            "thread_ts": HELLO,
            "text": "reply in <#C1|general>, see <https://example.org|the plan>",
        },
        {
            "type": "message",
            "user": "U3",
            "ts": "1704190300.000400",
            "text": "",
            "files": [{"id": "F1", "name": "plan.pdf", "title": "Plan"}],
        },
    ],
    "general/2024-01-01.json": [
        {"type": "message", "user": "U2", "ts": "1704100000.000001", "text": "first ever"},
    ],
    "secret/2024-01-03.json": [
        {"type": "message", "user": "U1", "ts": "1704290000.1", "text": "private words"}
    ],
    "D1/2024-01-03.json": [
        {"type": "message", "user": "U2", "ts": "1704290001.1", "text": "dm hi"}
    ],
}


def _fixture(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("users.json", orjson.dumps(USERS))
        archive.writestr(
            "channels.json",
            orjson.dumps(
                [
                    {
                        "id": "C1",
                        "name": "general",
                        "creator": "U1",
                        "members": ["U1", "U2", "U3"],
                        "topic": {"value": "all hands", "creator": "U1", "last_set": 0},
                        "purpose": {"value": ""},
                    },
                ]
            ),
        )
        archive.writestr(
            "groups.json",
            orjson.dumps(
                [
                    {
                        "id": "G1",
                        "name": "secret",
                        "creator": "U1",
                        "members": ["U1", "U2"],
                        "topic": {"value": ""},
                    },
                ]
            ),
        )
        archive.writestr("dms.json", orjson.dumps([{"id": "D1", "members": ["U1", "U2"]}]))
        for name, messages in DAYS.items():
            archive.writestr(name, orjson.dumps(messages))
    return path


async def _rows(url: str, statement: Any) -> list[Any]:
    from parley.core.database import create_engine

    engine = create_engine(test_settings(url))
    try:
        async with engine.connect() as conn:
            return list(await conn.execute(statement))
    finally:
        await engine.dispose()


def test_a_slack_export_becomes_members_rooms_and_history(tmp_path: Path) -> None:
    url = create_backend_database("sqlite", tmp_path, "xfer_slack")
    files_dir = tmp_path / "files"
    export = _fixture(tmp_path / "slack.zip")
    done = parley("import", "--from", "slack", str(export), url=url, files_dir=files_dir)
    assert done.returncode == 0, done.stderr
    assert "3 new member(s), 3 room(s), 7 message(s), 2 reaction(s)" in done.stdout
    codes = {
        fields[0]: fields[1]
        for fields in (line.strip().split("\t") for line in done.stdout.splitlines())
        if len(fields) == 3
    }
    assert set(codes) == {"alice", "bob_b", "carol"}
    assert all(re.fullmatch(r"([0-9A-F]{4}-){4}[0-9A-F]{4}", code) for code in codes.values())

    def q(statement: Any) -> list[Any]:
        return asyncio.run(_rows(url, statement))

    ids = {login: i for i, login in q(select(Member.id, Member.login_id))}
    nicks = dict(q(select(Member.login_id, Member.nickname)))
    assert nicks == {"alice": "Alice", "bob_b": "Bob", "carol": "Carol ✿"}
    rooms = {
        name: (i, private, topic)
        for i, name, private, topic in q(
            select(Room.id, Room.name, Room.is_private, Room.topic).where(Room.kind == "group")
        )
    }
    assert rooms["general"][1:] == (False, "all hands") and rooms["secret"][1] is True
    general = rooms["general"][0]
    seated = dict(
        q(select(RoomMember.member_id, RoomMember.role).where(RoomMember.room_id == general))
    )
    assert seated == {ids["alice"]: "owner", ids["bob_b"]: "member", ids["carol"]: "member"}
    history = q(
        select(
            Message.seq,
            Message.kind,
            Message.body,
            Message.sender_id,
            Message.reply_to_id,
            Message.created_at,
            Message.id,
        )
        .where(Message.room_id == general)
        .order_by(Message.seq)
    )
    assert [(m.seq, m.kind) for m in history] == [
        (1, "text"),
        (2, "system"),
        (3, "text"),
        (4, "text"),
        (5, "text"),
    ]
    assert history[0].body == "first ever"
    assert history[1].body == "Carol ✿ joined"
    hello = history[2]
    assert hello.body == f"hello <@{ids['bob_b']}> & <@room>"
    assert hello.created_at.replace(tzinfo=UTC) == datetime.fromtimestamp(float(HELLO), UTC)
    assert history[3].reply_to_id == hello.id
    assert history[3].body == "reply in #general, see the plan (https://example.org)"
    assert history[4].body == "[file: plan.pdf]"
    reactions = q(
        select(MessageReaction.member_id, MessageReaction.emoji_key).where(
            MessageReaction.message_id == hello.id
        )
    )
    assert sorted(reactions) == sorted([(ids["bob_b"], "1f44d"), (ids["carol"], "1f44d")])
    assert q(select(MessageMention.member_id).where(MessageMention.message_id == hello.id)) == [
        (ids["bob_b"],)
    ]
    pair = q(select(DirectRoom.room_id, DirectRoom.low_id, DirectRoom.high_id))
    assert [(low, high) for _, low, high in pair] == [(ids["alice"], ids["bob_b"])]
    assert [m.body for m in q(select(Message.body).where(Message.room_id == pair[0][0]))] == [
        "dm hi"
    ]

    before = asyncio.run(dump(url))
    again = parley("import", "--from", "slack", str(export), url=url, files_dir=files_dir)
    assert again.returncode == 0, again.stderr
    assert "0 new member(s), 0 room(s), 0 message(s)" in again.stdout
    assert asyncio.run(dump(url)) == before

    async def log_in() -> None:
        async with instance(settings_for(url, files_dir)) as (http, _):
            for login_id, code in codes.items():
                password = f"{login_id} picks a long passphrase"
                recovered = await http.post(
                    f"{API}/auth/recover",
                    json={"login_id": login_id, "code": code, "new_password": password},
                )
                assert recovered.status_code == 204, recovered.text
                answer = await http.post(
                    f"{API}/auth/login", json={"login_id": login_id, "password": password}
                )
                assert answer.status_code == 200, answer.text
                assert answer.json()["member"]["id"] == ids[login_id]
                used = await http.post(
                    f"{API}/auth/recover",
                    json={"login_id": login_id, "code": code, "new_password": password + "!"},
                )
                assert used.status_code == 401  # one time only

    asyncio.run(log_in())


def test_a_file_that_is_not_a_slack_export_is_refused(tmp_path: Path) -> None:
    url = create_backend_database("sqlite", tmp_path, "xfer_notslack")
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("readme.txt", "hi")
    done = parley("import", "--from", "slack", str(other), url=url, files_dir=tmp_path / "f")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "not a Slack export" in done.stderr
