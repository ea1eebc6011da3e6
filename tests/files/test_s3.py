"""The S3 backend against a real S3-compatible HTTP server (moto's server, a separate process)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from parley.core.runtime import Runtime
from parley.files.service import FilesService
from tests.files.conftest import png
from tests.files.support import API, uploaded
from tests.support.api import signup
from tests.support.server import free_port
from tests.support.services import service_missing

BUCKET = "parley-test"


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("boto3")
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(endpoint, timeout=1)
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    service_missing("moto S3 server", "it did not start")
                time.sleep(0.2)
        yield endpoint
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
async def s3_files(
    s3_endpoint: str, runtime: Runtime, tmp_path: Path
) -> AsyncIterator[FilesService]:
    """A files service on a fresh bucket, registered before the app starts."""
    import boto3

    settings = runtime.settings.model_copy(
        update=dict(
            files_backend="s3",
            files_dir=tmp_path / "files",
            files_s3_bucket=BUCKET,
            files_s3_endpoint_url=s3_endpoint,
            files_s3_access_key_id="test",
            files_s3_secret_access_key="test",
            files_s3_prefix="parley",
            files_gc_interval_seconds=0,
        )
    )
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    s3.create_bucket(Bucket=BUCKET)
    service = FilesService(runtime, settings)
    runtime.files = service
    yield service
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=item["Key"])
    s3.delete_bucket(Bucket=BUCKET)


def _keys(service: FilesService) -> list[str]:
    client = service.storage._client  # type: ignore[attr-defined]
    listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return sorted(item["Key"] for item in listed)


async def test_uploads_downloads_and_collection_through_s3(
    s3_files: FilesService, client: httpx.AsyncClient
) -> None:
    alice, bob = await signup(client), await signup(client)
    data = png(400, 100)
    first = await uploaded(client, alice, data, filename="s3.png")
    await uploaded(client, bob, data, filename="same.png")
    keys = _keys(s3_files)
    assert len(keys) == 2 and all(k.startswith("parley/") for k in keys)
    assert {k.split("/")[1] for k in keys} == {"blobs", "thumbs"}
    got = await client.get(f"{API}/files/{first}", headers=alice.headers)
    assert got.status_code == 200 and got.content == data
    assert got.headers["x-content-type-options"] == "nosniff"
    thumb = await client.get(f"{API}/files/{first}/thumbnail", headers=alice.headers)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert (await client.get(f"{API}/files/{first}", headers=bob.headers)).status_code == 404
    assert await s3_files.collect_garbage(timedelta(0)) == (2, 1)
    assert _keys(s3_files) == []
