"""`parley export` / `parley import`: SQLite → PostgreSQL → MariaDB keeps everything.

Each hop runs the real command in its own process. The tables of all three databases are
compared row by row (ids, seqs, memberships, roles, bans, invites, read markers, whispers,
files, notices, friendships, blocks, direct rooms, login sessions); the blobs byte for byte;
then a real server on the MariaDB copy lets members log in with their passwords, read their
history and files, and continue: new ids and seqs follow the imported ones.
"""

from __future__ import annotations

import asyncio
import zipfile
from pathlib import Path

import httpx
import orjson

from parley.models import Base
from parley.transfer.tables import DERIVED, carried_tables
from tests.rooms.support import API
from tests.support.api import PASSWORD
from tests.support.server import running_server
from tests.support.services import create_backend_database
from tests.transfer.support import dump, env_for, files_of, fill, instance, parley, settings_for


def test_every_table_is_exported_or_listed_as_derived() -> None:
    """A new table is carried unless someone decides it is derived: then it is listed."""
    names = {table.name for table in Base.metadata.sorted_tables}
    carried = {table.name for table in carried_tables()}
    assert carried | (DERIVED & names) == names
    assert not carried & DERIVED
    assert {"members", "messages", "rooms", "file_blobs", "room_members"} <= carried


def test_round_trip_sqlite_postgres_mariadb(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
    source = create_backend_database("sqlite", tmp_path / "a", "xfer_src")
    postgres = create_backend_database("postgres", tmp_path / "b", "xfer_pg")
    mariadb = create_backend_database("mariadb", tmp_path / "c", "xfer_maria")
    files = {name: tmp_path / name / "files" for name in ("a", "b", "c")}

    async def populate() -> dict[str, object]:
        async with instance(settings_for(source, files["a"])) as (http, runtime):
            filled = await fill(http, runtime)
            return {"filled": filled}

    filled = asyncio.run(populate())["filled"]
    first, second = tmp_path / "one.parley", tmp_path / "two.parley"

    done = parley("export", str(first), url=source, files_dir=files["a"])
    assert done.returncode == 0, done.stderr
    assert "exported" in done.stdout and done.stderr == ""  # no TTY: no progress bar
    done = parley("import", str(first), url=postgres, files_dir=files["b"])
    assert done.returncode == 0, done.stderr
    done = parley("export", str(second), url=postgres, files_dir=files["b"])
    assert done.returncode == 0, done.stderr
    done = parley("import", str(second), url=mariadb, files_dir=files["c"])
    assert done.returncode == 0, done.stderr

    tables = [asyncio.run(dump(url)) for url in (source, postgres, mariadb)]
    for name in ("messages", "message_attachments", "message_reactions", "message_edits"):
        assert tables[0][name], name
    assert tables[0] == tables[1] == tables[2]
    assert files_of(files["a"]) == files_of(files["b"]) == files_of(files["c"])
    assert len(files_of(files["a"])) == 2  # the picture and its thumbnail

    with zipfile.ZipFile(first) as archive, zipfile.ZipFile(second) as again:
        one, two = (orjson.loads(z.read("manifest.json")) for z in (archive, again))
    # the withdrawn member's id is not handed out again, on any backend
    assert one["next_ids"] == two["next_ids"]
    assert one["next_ids"]["members"] > max(row[0] for row in tables[0]["members"]) + 0
    assert {name: t["rows"] for name, t in one["tables"].items()} == {
        name: len(rows) for name, rows in tables[0].items()
    }

    accounts = filled.accounts  # type: ignore[attr-defined]
    rooms = filled.rooms  # type: ignore[attr-defined]
    serve = running_server(tmp_path / "serve", env=env_for(mariadb, files["c"]))
    with serve as server, httpx.Client(base_url=server.base_url, timeout=30) as http:
        tokens = {}
        for name in ("alice", "bob", "carol", "dave", "siteboss"):
            answer = http.post(f"{API}/auth/login", json={"login_id": name, "password": PASSWORD})
            assert answer.status_code == 200, answer.text
            assert answer.json()["member"]["id"] == accounts[name].id
            tokens[name] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        gone = http.post(f"{API}/auth/login", json={"login_id": "gone", "password": PASSWORD})
        assert gone.status_code == 401
        history = http.get(f"{API}/rooms/{rooms['hall']}/messages", headers=tokens["carol"])
        items = history.json()["items"]
        assert "psst carol" in [m["body"] for m in items]
        bob_sees = http.get(f"{API}/rooms/{rooms['hall']}/messages", headers=tokens["bob"])
        assert "psst carol" not in [m["body"] for m in bob_sees.json()["items"]]
        mine = {r["id"]: r for r in http.get(f"{API}/me/rooms", headers=tokens["carol"]).json()}
        assert mine[rooms["hall"]]["last_read_seq"] == 4
        picture = http.get(f"{API}/files/{filled.file_id}", headers=tokens["carol"])  # type: ignore[attr-defined]
        assert picture.status_code == 200
        assert picture.content in files_of(files["a"]).values()
        last_seq = mine[rooms["hall"]]["last_seq"]
        sent = http.post(
            f"{API}/rooms/{rooms['hall']}/messages",
            json={"body": "after the move", "client_msg_id": "moved-1"},
            headers=tokens["alice"],
        )
        assert sent.status_code == 201, sent.text
        assert sent.json()["seq"] == last_seq + 1
        assert sent.json()["id"] > max(row[0] for row in tables[0]["messages"])
        newcomer = http.post(
            f"{API}/auth/signup",
            json={"login_id": "newcomer", "nickname": "New", "password": PASSWORD},
        )
        assert newcomer.status_code == 201, newcomer.text
        assert newcomer.json()["id"] == one["next_ids"]["members"]
