"""A corrupt, truncated or foreign file, or a target that is not empty, is refused with a
message (no traceback) and the target is left as it was; so is a file whose rows the
database itself refuses half-way (one transaction: nothing of it stays, nor its blobs)."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import zipfile
from pathlib import Path

import orjson
import pytest

from tests.support.services import create_backend_database
from tests.transfer.support import dump, files_of, fill, instance, parley, settings_for


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small instance on SQLite, exported once for every refusal."""
    base = tmp_path_factory.mktemp("exported")
    url = create_backend_database("sqlite", base, "xfer_refusals")

    async def populate() -> None:
        async with instance(settings_for(url, base / "files")) as (http, runtime):
            await fill(http, runtime)

    asyncio.run(populate())
    path = base / "instance.parley"
    done = parley("export", str(path), url=url, files_dir=base / "files")
    assert done.returncode == 0, done.stderr
    return path


def _refused(path: Path, url: str, files_dir: Path, words: str) -> None:
    before = asyncio.run(dump(url))
    done = parley("import", str(path), url=url, files_dir=files_dir)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("parley: import refused, the database is unchanged:")
    assert words in done.stderr, done.stderr
    assert asyncio.run(dump(url)) == before
    assert files_of(files_dir) == {}


def _rewrite(source: Path, target: Path, change: dict[str, bytes]) -> None:
    """A copy of the export with parts replaced, the manifest's checksums made to match."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        manifest = orjson.loads(old.read("manifest.json"))
        for name in old.namelist():
            if name != "manifest.json":
                data = change.get(name, old.read(name))
                new.writestr(name, data)
                manifest["parts"][name] = {
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "size": len(data),
                }
        new.writestr("manifest.json", orjson.dumps(manifest))


def test_damaged_and_foreign_files_are_refused(exported: Path, tmp_path: Path) -> None:
    url = create_backend_database("sqlite", tmp_path, "xfer_target")
    files_dir = tmp_path / "files"

    truncated = tmp_path / "truncated.parley"
    truncated.write_bytes(exported.read_bytes()[: exported.stat().st_size // 2])
    _refused(truncated, url, files_dir, "not a Parley export")

    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    _refused(text, url, files_dir, "not a Parley export")

    foreign = tmp_path / "foreign.zip"
    with zipfile.ZipFile(foreign, "w") as archive:
        archive.writestr("manifest.json", b'{"name": "something else"}')
    _refused(foreign, url, files_dir, "unknown format")

    corrupt = tmp_path / "corrupt.parley"
    with zipfile.ZipFile(exported) as old, zipfile.ZipFile(corrupt, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == "tables/messages.jsonl":
                data = data.replace(b"hello 1", b"HELLO 1")
            new.writestr(info, data)
    _refused(corrupt, url, files_dir, "tables/messages.jsonl fails its checksum")

    newer = tmp_path / "newer.parley"
    shutil.copy(exported, newer)
    with zipfile.ZipFile(newer, "a") as archive:
        manifest = orjson.loads(archive.read("manifest.json"))
    manifest["version"] = 99
    _rewrite_manifest(exported, newer, manifest)
    _refused(newer, url, files_dir, "format version 99")


def _rewrite_manifest(source: Path, target: Path, manifest: dict[str, object]) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            if info.filename != "manifest.json":
                new.writestr(info, old.read(info))
        new.writestr("manifest.json", orjson.dumps(manifest))


def test_a_database_that_is_not_empty_is_refused(exported: Path, tmp_path: Path) -> None:
    url = create_backend_database("sqlite", tmp_path, "xfer_busy")
    files_dir = tmp_path / "files"
    first = parley("import", str(exported), url=url, files_dir=files_dir)
    assert first.returncode == 0, first.stderr
    before, blobs = asyncio.run(dump(url)), files_of(files_dir)
    again = parley("import", str(exported), url=url, files_dir=files_dir)
    assert again.returncode == 2 and "Traceback" not in again.stderr
    assert "is not empty" in again.stderr
    assert asyncio.run(dump(url)) == before and files_of(files_dir) == blobs


@pytest.mark.parametrize("kind", ["sqlite", "postgres", "mariadb"])
def test_rows_refused_half_way_leave_nothing_behind(
    exported: Path, tmp_path: Path, kind: str
) -> None:
    """Valid checksums, but the last table repeats a key: the database refuses it after
    every other table went in, and the transaction takes all of them back."""
    with zipfile.ZipFile(exported) as archive:
        part = archive.read("tables/room_members.jsonl")
    header, first, *rest = part.splitlines(keepends=True)
    duplicated = header + first + first + b"".join(rest)
    bad = tmp_path / "duplicate.parley"
    _rewrite(exported, bad, {"tables/room_members.jsonl": duplicated})
    with zipfile.ZipFile(bad, "a") as archive:
        manifest = orjson.loads(archive.read("manifest.json"))
    manifest["tables"]["room_members"]["rows"] += 1
    _rewrite_manifest(bad, tmp_path / "bad.parley", manifest)

    url = create_backend_database(kind, tmp_path, f"xfer_half_{kind}")
    files_dir = tmp_path / "files"
    before = asyncio.run(dump(url))
    done = parley("import", str(tmp_path / "bad.parley"), url=url, files_dir=files_dir)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "unchanged" in done.stderr, done.stderr
    assert asyncio.run(dump(url)) == before
    assert files_of(files_dir) == {}
