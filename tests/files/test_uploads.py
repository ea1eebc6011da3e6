"""Uploads on every database: what is accepted (by content), stored once, and served safely."""

from __future__ import annotations

import asyncio
import io
import struct
import zlib
from pathlib import Path

import httpx
from PIL import Image

from parley.core.runtime import Runtime
from tests.files.conftest import UPLOAD_MAX, jpeg_with_exif, png
from tests.files.support import API, counts, stored_files, upload, uploaded
from tests.support.api import assert_problem, signup

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny, valid-looking PNG that declares 10 gigapixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


async def test_an_image_is_stored_with_a_thumbnail_and_served_safely(
    client: httpx.AsyncClient, files_env: Path
) -> None:
    alice = await signup(client)
    data = png()
    response = await upload(client, alice, data, filename="holiday.png", content_type="text/html")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["content_type"] == "image/png"  # from the bytes, not the declared type
    assert body["size"] == len(data) and body["has_thumbnail"] is True
    assert body["name"] == "holiday.png" and len(body["sha256"]) == 64
    got = await client.get(f"{API}/files/{body['id']}", headers=alice.headers)
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-type"] == "image/png"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in got.headers["content-security-policy"]
    assert got.headers["content-disposition"].startswith("inline;")
    thumb = await client.get(f"{API}/files/{body['id']}/thumbnail", headers=alice.headers)
    assert thumb.status_code == 200 and thumb.headers["x-content-type-options"] == "nosniff"
    with Image.open(io.BytesIO(thumb.content)) as image:
        assert max(image.size) == 320 and image.size == (320, 240)
    assert all(p.name.startswith(body["sha256"]) for p in stored_files(files_env))


async def test_thumbnails_carry_no_exif(client: httpx.AsyncClient) -> None:
    alice = await signup(client)
    photo = jpeg_with_exif()
    with Image.open(io.BytesIO(photo)) as original:
        assert original.getexif().get(0x010F) == "SpyCam"  # the test can fail
    file_id = await uploaded(client, alice, photo, filename="me.jpg")
    thumb = await client.get(f"{API}/files/{file_id}/thumbnail", headers=alice.headers)
    assert thumb.status_code == 200
    assert b"SpyCam" not in thumb.content and b"Exif" not in thumb.content
    with Image.open(io.BytesIO(thumb.content)) as image:
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info
        assert image.size == (240, 320)  # the orientation was applied, then dropped


async def test_type_comes_from_the_content(client: httpx.AsyncClient, runtime: Runtime) -> None:
    alice = await signup(client)
    for data, name, declared in (
        (ELF, "cat.png", "image/png"),
        (PE, "invoice.pdf", "application/pdf"),
        (ELF, "notes.txt", "text/plain"),
        (b"\x00\x01\x02binary\xff\xfe", "x.txt", "text/plain"),
        (b"MZ but text otherwise", "readme.txt", "text/plain"),
    ):
        response = await upload(client, alice, data, filename=name, content_type=declared)
        assert_problem(response, 415, "unsupported_file_type")
    assert await counts(runtime) == (0, 0)
    text = "<script>alert(1)</script> héllo\n".encode()
    html = await upload(client, alice, text, filename="page.html", content_type="text/html")
    assert html.status_code == 201 and html.json()["content_type"] == "text/plain; charset=utf-8"
    served = await client.get(f"{API}/files/{html.json()['id']}", headers=alice.headers)
    assert served.headers["content-type"].startswith("text/plain")
    assert served.headers["content-disposition"].startswith("attachment;")
    pdf = await upload(client, alice, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", filename="a.pdf")
    assert pdf.json()["content_type"] == "application/pdf" and not pdf.json()["has_thumbnail"]
    assert_problem(await upload(client, alice, b"", filename="empty.txt"), 422, "empty_file")


async def test_oversize_uploads_are_refused_and_nothing_is_kept(
    client: httpx.AsyncClient, runtime: Runtime, files_env: Path
) -> None:
    alice = await signup(client)
    too_big = b"a" * (UPLOAD_MAX + 1)
    response = await upload(client, alice, too_big, filename="big.txt")
    assert_problem(response, 413)
    # far beyond the route's body limit: refused from the declared length, before reading
    huge = await upload(client, alice, b"a" * (UPLOAD_MAX * 3), filename="huge.txt")
    assert_problem(huge, 413, "body_too_large")
    assert await counts(runtime) == (0, 0)
    assert stored_files(files_env) == []
    assert not list((files_env / ".staging").glob("*"))
    exact = await upload(client, alice, b"a" * UPLOAD_MAX, filename="exact.txt")
    assert exact.status_code == 201
    # the larger body limit is for uploads only
    json_body = {"body": "x" * 300_000, "client_msg_id": "big"}
    assert_problem(await client.post(f"{API}/rooms/1/messages", json=json_body), 413)


async def test_decompression_bombs_are_refused(
    client: httpx.AsyncClient, runtime: Runtime, files_env: Path
) -> None:
    alice = await signup(client)
    bomb = bomb_png()
    assert len(bomb) < 2000
    response = await upload(client, alice, bomb, filename="bomb.png")
    assert_problem(response, 422, "image_too_large")
    assert await counts(runtime) == (0, 0)
    assert stored_files(files_env) == []
    broken = await upload(client, alice, b"\x89PNG\r\n\x1a\n" + b"junk" * 50, filename="b.png")
    assert_problem(broken, 422, "invalid_image")
    assert (await client.get("/healthz")).status_code == 200
    assert (await upload(client, alice, png(), filename="fine.png")).status_code == 201


async def test_names_never_reach_the_filesystem(
    client: httpx.AsyncClient, files_env: Path, tmp_path: Path
) -> None:
    alice = await signup(client)
    for number, (hostile, shown) in enumerate(
        (
            ("../../etc/passwd", "passwd"),
            ("..\\..\\windows\\win.ini", "win.ini"),
            ("/abs/path/x.txt", "x.txt"),
            ("..", ""),
            ("invoice\u202etxt.exe", "invoicetxt.exe"),  # a right-to-left override
        )
    ):
        response = await upload(client, alice, f"text {number}".encode(), filename=hostile)
        assert response.status_code == 201, response.text
        assert response.json()["name"] == shown
        served = await client.get(f"{API}/files/{response.json()['id']}", headers=alice.headers)
        disposition = served.headers["content-disposition"]
        assert "/" not in disposition.split("filename*")[0] and "\n" not in disposition
    root = files_env.resolve()  # noqa: ASYNC240 - a test's own temporary directory
    for path in stored_files(files_env):
        assert path.resolve().is_relative_to(root)
        assert len(path.name) == 64 and path.parent.parent.parent.name in ("blobs", "thumbs")
    assert not (tmp_path / "etc").exists()


async def test_the_same_bytes_are_stored_once(
    client: httpx.AsyncClient, runtime: Runtime, files_env: Path
) -> None:
    alice, bob = await signup(client), await signup(client)
    data = png(300, 200, (1, 2, 3))
    answers = await asyncio.gather(
        upload(client, alice, data, filename="a.png"),
        upload(client, bob, data, filename="b.png"),
        upload(client, alice, data, filename="again.png"),
    )
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert len({a.json()["id"] for a in answers}) == 3
    assert len({a.json()["sha256"] for a in answers}) == 1
    assert await counts(runtime) == (3, 1)
    assert len(stored_files(files_env)) == 2  # the blob and its thumbnail


async def test_uploads_need_a_member_and_a_multipart_file(client: httpx.AsyncClient) -> None:
    alice = await signup(client)
    assert_problem(await upload(client, None, b"hello"), 401, "unauthenticated")
    no_file = await client.post(
        f"{API}/files", files={"other": ("a.txt", b"a", "text/plain")}, headers=alice.headers
    )
    assert_problem(no_file, 422, "validation_failed")
    form = await client.post(f"{API}/files", data={"file": "y"}, headers=alice.headers)
    assert_problem(form, 415, "unsupported_media_type")
    as_json = await client.post(f"{API}/files", json={"file": "x"}, headers=alice.headers)
    assert_problem(as_json, 415, "unsupported_media_type")
    two = await client.post(
        f"{API}/files",
        files=[("file", ("a.txt", b"a", "text/plain")), ("file", ("b.txt", b"b", "text/plain"))],
        headers=alice.headers,
    )
    assert_problem(two, 400)
    assert_problem(await client.get(f"{API}/files/{10**12}", headers=alice.headers), 404)
