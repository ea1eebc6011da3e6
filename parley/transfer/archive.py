"""The export file: a zip of JSON-lines tables, blob files and a manifest with checksums.

```
manifest.json            format, version, schema revision, counts, sha256 of every part
tables/<table>.jsonl     a header line {"table", "columns"}, then one JSON array per row
blobs/<sha256>           uploaded bytes (stored, not compressed: they usually are already)
thumbs/<sha256>          their thumbnails
```

The manifest is written last, so an export that stopped half-way has none (and, the zip
directory being at its end, is no zip at all). A reader trusts nothing before it has
checked the manifest's checksums against every part.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson

FORMAT = "parley-export"
VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024


class ArchiveError(Exception):
    """The file is not a usable export; the message says why, for the operator."""


def table_part(name: str) -> str:
    return f"tables/{name}.jsonl"


def blob_part(sha256: str, thumbnail: bool = False) -> str:
    return f"{'thumbs' if thumbnail else 'blobs'}/{sha256}"


class HashingWriter:
    """A part being written: bytes go to the zip entry and through SHA-256."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.handle.write(data)
        self.digest.update(data)
        self.size += len(data)


class ArchiveWriter:
    """Writes parts one at a time, then the manifest listing them with their checksums."""

    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path, "w", allowZip64=True)
        self.parts: dict[str, dict[str, Any]] = {}

    def open_part(self, name: str, compress: bool) -> tuple[IO[bytes], HashingWriter]:
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o600 << 16
        handle = self.zip.open(info, "w", force_zip64=True)
        return handle, HashingWriter(handle)

    def close_part(self, name: str, handle: IO[bytes], writer: HashingWriter) -> None:
        handle.close()
        self.parts[name] = {"sha256": writer.digest.hexdigest(), "size": writer.size}

    def finish(self, manifest: dict[str, Any]) -> None:
        document = {"format": FORMAT, "version": VERSION, **manifest, "parts": self.parts}
        self.zip.writestr(MANIFEST, orjson.dumps(document, option=orjson.OPT_INDENT_2))
        self.zip.close()

    def abort(self) -> None:
        self.zip.close()


class ArchiveReader:
    """An export opened for reading; `verify()` before using any part."""

    def __init__(self, path: Path) -> None:
        try:
            self.zip = zipfile.ZipFile(path, "r")
        except FileNotFoundError:
            raise ArchiveError(f"{path}: no such file") from None
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise ArchiveError(
                f"{path} is not a Parley export (not a zip archive, or truncated: {exc})"
            ) from None
        self.manifest = self._manifest(path)
        self.parts: dict[str, dict[str, Any]] = self.manifest["parts"]

    def _manifest(self, path: Path) -> dict[str, Any]:
        try:
            raw = self.zip.read(MANIFEST)
        except KeyError:
            raise ArchiveError(f"{path} is not a Parley export (no {MANIFEST})") from None
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise ArchiveError(f"{path}: the manifest is damaged ({exc})") from None
        try:
            manifest = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ArchiveError(f"{path}: the manifest is not JSON") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ArchiveError(f"{path} is not a Parley export (unknown format)")
        version = manifest.get("version")
        if version != VERSION:
            raise ArchiveError(
                f"{path} is an export of format version {version!r}; "
                f"this Parley reads version {VERSION}"
            )
        for key in ("parts", "tables", "schema_revision"):
            if key not in manifest:
                raise ArchiveError(f"{path}: the manifest has no {key!r}")
        return manifest

    def verify(self, on_bytes: Any = None) -> None:
        """Check every part named by the manifest against its size and SHA-256."""
        names = set(self.zip.namelist())
        for name, expected in self.parts.items():
            if name not in names:
                raise ArchiveError(f"the export is incomplete: {name} is missing")
            digest = hashlib.sha256()
            size = 0
            try:
                with self.zip.open(name) as handle:
                    while chunk := handle.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        if on_bytes is not None:
                            on_bytes(len(chunk))
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
                raise ArchiveError(f"the export is damaged: {name}: {exc}") from None
            if size != expected.get("size") or digest.hexdigest() != expected.get("sha256"):
                raise ArchiveError(f"the export is damaged: {name} fails its checksum")
        for table in self.manifest["tables"].values():
            if table.get("part") not in self.parts:
                raise ArchiveError("the export is damaged: a table has no checked part")

    @property
    def total_bytes(self) -> int:
        return sum(int(part.get("size", 0)) for part in self.parts.values())

    def rows(self, name: str) -> tuple[list[str], Iterator[list[Any]]]:
        """A table part's columns and its rows (JSON arrays), read lazily."""
        handle = self.zip.open(table_part(name))
        header = orjson.loads(handle.readline())
        if header.get("table") != name:
            raise ArchiveError(f"the export is damaged: {table_part(name)} has a wrong header")
        columns: list[str] = header["columns"]

        def lines() -> Iterator[list[Any]]:
            with handle:
                for line in handle:
                    yield orjson.loads(line)

        return columns, lines()

    def open_blob(self, name: str) -> IO[bytes]:
        return self.zip.open(name)

    def close(self) -> None:
        self.zip.close()
