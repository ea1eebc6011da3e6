"""Reading Slack's standard workspace export (a zip) and turning its markup into Parley's.

The export holds `users.json`, `channels.json` (public), and where present `groups.json`
(private channels), `dms.json` and `mpims.json`; then a folder per conversation (its name,
or its id for DMs) with one `YYYY-MM-DD.json` per day, each a list of messages.
"""

from __future__ import annotations

import html
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from parley.transfer.archive import ArchiveError

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_ROOM = re.compile(r"<!(channel|everyone|here)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#[CG][A-Z0-9]+\|([^>]*)>")
_LINK = re.compile(r"<((?:https?|mailto):[^>|]+)(?:\|([^>]*))?>")


@dataclass
class Conversation:
    id: str
    name: str
    kind: str  # channel | group | dm | mpim
    topic: str = ""
    creator: str | None = None
    members: list[str] = field(default_factory=list)
    folder: str = ""


@dataclass
class SlackExport:
    users: list[dict[str, Any]]
    conversations: list[Conversation]
    zip: zipfile.ZipFile

    def messages(self, conversation: Conversation) -> list[dict[str, Any]]:
        """The conversation's messages in time order (day files, then `ts`)."""
        prefix = conversation.folder + "/"
        days = sorted(
            n for n in self.zip.namelist() if n.startswith(prefix) and n.endswith(".json")
        )
        out: list[dict[str, Any]] = []
        for day in days:
            loaded = _json(self.zip, day)
            if isinstance(loaded, list):
                out.extend(m for m in loaded if isinstance(m, dict) and "ts" in m)
        out.sort(key=lambda m: float(m["ts"]))
        return out


def _json(archive: zipfile.ZipFile, name: str) -> Any:
    try:
        return orjson.loads(archive.read(name))
    except (orjson.JSONDecodeError, zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(f"the Slack export is damaged: {name}: {exc}") from None


def open_export(path: Path) -> SlackExport:
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise ArchiveError(f"{path}: no such file") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(f"{path} is not a Slack export (not a zip archive: {exc})") from None
    names = set(archive.namelist())
    if "users.json" not in names or "channels.json" not in names:
        raise ArchiveError(f"{path} is not a Slack export (no users.json and channels.json)")
    users = [u for u in _json(archive, "users.json") if isinstance(u, dict) and "id" in u]
    conversations: list[Conversation] = []
    for listing, kind in (
        ("channels.json", "channel"),
        ("groups.json", "group"),
        ("dms.json", "dm"),
        ("mpims.json", "mpim"),
    ):
        if listing not in names:
            continue
        for item in _json(archive, listing):
            if not isinstance(item, dict) or "id" not in item:
                continue
            name = str(item.get("name") or item["id"])
            conversations.append(
                Conversation(
                    id=str(item["id"]),
                    name=name,
                    kind=kind,
                    topic=str((item.get("topic") or {}).get("value") or ""),
                    creator=item.get("creator"),
                    members=[str(m) for m in item.get("members") or []],
                    folder=name if kind in ("channel", "group", "mpim") else str(item["id"]),
                )
            )
    return SlackExport(users, conversations, archive)


def convert_text(text: str, members: dict[str, int], channels: dict[str, str]) -> str:
    """Slack's markup as Parley's: `<@U…>` a mention token, `<!channel>` a room mention."""
    text = _USER.sub(lambda m: f"<@{members[m[1]]}>" if m[1] in members else "@someone", text)
    text = _ROOM.sub("<@room>", text)
    text = _CHANNEL.sub(lambda m: f"#{m[1]}", text)
    text = _LINK.sub(lambda m: f"{m[2]} ({m[1]})" if m[2] else m[1], text)
    return html.unescape(text)


def file_notes(message: dict[str, Any]) -> list[str]:
    """The files of a message, by name: their bytes are not in a standard export."""
    return [
        f"[file: {f.get('name') or f.get('title') or 'unnamed'}]"
        for f in message.get("files") or []
        if isinstance(f, dict)
    ]
