"""Hostile queries: a clear 422 or a correct (empty) answer, never a 500 or an unbounded scan."""

from __future__ import annotations

import httpx
import pytest

from parley.core.runtime import Runtime
from parley.search import candidates
from parley.search.api import reindex
from tests.search.conftest import make_room, search_all, send
from tests.support.api import assert_problem, signup

LITERAL = [
    "%",
    "_",
    "\\",
    "'",
    "%%",
    "a_b",
    "100%",
    "c:\\temp",
    "*",
    "NEAR(a b)",
    "a OR b",
    "-x",
    "^start",
    "'; DROP TABLE messages; --",
    "a\tb",
]


async def test_metacharacters_are_characters(client: httpx.AsyncClient) -> None:
    alice = await signup(client)
    room = await make_room(client, alice)
    bodies = ["plain text", "100% sure", "snake_case name", "c:\\temp\\x", "5 * 3", "a OR b"]
    ids = {body: await send(client, alice, room, body) for body in bodies}
    expect = {
        "%": {"100% sure"},
        "_": {"snake_case name"},
        "\\": {"c:\\temp\\x"},
        "*": {"5 * 3"},
        "a OR b": {"a OR b"},  # three terms: a, or, b
        "'": set(),
        "NEAR(a b)": set(),
    }
    for q, bodies_hit in expect.items():
        got = {h["message"]["id"] for h in await search_all(client, alice, q=q)}
        assert got == {ids[b] for b in bodies_hit}, q
    for q in LITERAL:  # every one answers, none fails
        response = await client.get(
            "/api/v1/search/messages", params={"q": q}, headers=alice.headers
        )
        assert response.status_code == 200, (q, response.text)


@pytest.mark.parametrize(
    "q",
    ["", " ", '""', '" "', "a\x00b", "\x00", "x" * 5000, "회" * 257, " ".join("abcdefghi")],
    ids=[
        "empty",
        "blank",
        "empty-phrase",
        "blank-phrase",
        "nul",
        "only-nul",
        "5000",
        "257",
        "nine-terms",
    ],
)
async def test_unsearchable_queries_are_422(client: httpx.AsyncClient, q: str) -> None:
    alice = await signup(client)
    response = await client.get("/api/v1/search/messages", params={"q": q}, headers=alice.headers)
    assert_problem(response, 422)


async def test_bad_parameters_are_422(client: httpx.AsyncClient) -> None:
    alice = await signup(client)
    cases: list[dict[str, str | int]] = [
        {},
        {"q": "a", "cursor": "abc"},
        {"q": "a", "cursor": "0"},
        {"q": "a", "cursor": "9" * 19},
        {"q": "a", "limit": 0},
        {"q": "a", "limit": 51},
        {"q": "a", "room_id": -1},
        {"q": "a", "after": "yesterday"},
        {"q": "a", "after": "2026-01-01T00:00:00"},
    ]
    for params in cases:
        response = await client.get("/api/v1/search/messages", params=params, headers=alice.headers)
        assert_problem(response, 422)
    response = await client.get("/api/v1/search/messages", params={"q": "a"})
    assert_problem(response, 401)


async def test_each_page_does_bounded_work(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a tiny window, a rare term among many candidates comes back over several short
    pages — each reads at most the window — and the pages together are exact."""
    monkeypatch.setattr(candidates, "WINDOW", 3)
    monkeypatch.setattr(candidates, "ID_SPAN", 3)
    alice = await signup(client)
    room = await make_room(client, alice)
    ids = [
        await send(client, alice, room, f"{'회의실' if n % 4 == 0 else '회의록'} {n}")
        for n in range(12)
    ]
    await reindex(runtime.db, everything=False)
    pages = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"q": "회의 1", "limit": 10}
        if cursor:
            params["cursor"] = cursor
        response = await client.get("/api/v1/search/messages", params=params, headers=alice.headers)
        page = response.json()
        pages.append([h["message"]["id"] for h in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(pages) > 2
    assert [i for p in pages for i in p] == [ids[11], ids[10], ids[1]]
    one = await search_all(client, alice, q="실")
    assert [h["message"]["id"] for h in one] == [ids[8], ids[4], ids[0]]


async def test_a_page_reads_further_batches_past_near_misses(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """Messages holding every bigram of the term apart (`회의 의실`) fill the first batches of
    candidates and fail the exact check: the page reads the next batches of the same window,
    in order, and finds the hits below them."""
    alice = await signup(client)
    room = await make_room(client, alice)
    hits = [await send(client, alice, room, f"회의실 {n}") for n in range(3)]
    for n in range(15):
        await send(client, alice, room, f"회의 의실 {n}")
    newest = await send(client, alice, room, "새 회의실")
    await reindex(runtime.db, everything=False)
    response = await client.get(
        "/api/v1/search/messages", params={"q": "회의실", "limit": 2}, headers=alice.headers
    )
    page = response.json()
    assert [h["message"]["id"] for h in page["items"]] == [newest, hits[2]]
    every = await search_all(client, alice, limit=2, q="회의실")
    assert [h["message"]["id"] for h in every] == [newest, *hits[::-1]]
