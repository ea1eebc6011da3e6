"""Property: what search answers equals a brute-force substring scan (DESIGN §8), on every
database, for Korean and mixed text, 1- and 2-character terms and quoted phrases, whether the
messages are indexed yet or still queued."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parley.core.runtime import Runtime
from parley.core.text import search_key
from parley.search.api import QueryError, parse_query, reindex
from tests.search.conftest import make_room, search_all, send
from tests.support.api import Account, signup

#: Hangul syllables, compatibility jamo (NFKC composes ㄱㅏ into 가), ASCII in both cases,
#: full-width letters, ß/ss, a precomposed and a combining accent, a ligature, LIKE and FTS
#: metacharacters, spaces
ALPHABET = "회의실내일가나다서버ㄱㅏaAbBsS\uff21\uff42ßée\u064f\u0301ﬁ%_\\*:^()-0 "
TEXT = st.text(alphabet=ALPHABET, min_size=1, max_size=24)
WORD = st.text(alphabet=ALPHABET.replace(" ", ""), min_size=1, max_size=4)


@st.composite
def queries(draw: st.DrawFn, bodies: list[str]) -> str:
    """Words and "phrases", often cut from a body so that there are hits."""
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        from_body: bool = draw(st.booleans())
        if bodies and from_body:
            body = draw(st.sampled_from(bodies))
            start = draw(st.integers(0, len(body) - 1))
            piece = body[start : start + draw(st.integers(1, 4))]
        else:
            piece = draw(WORD)
        piece = piece.replace('"', "")
        if " " in piece.strip() or draw(st.integers(0, 4)) == 0:
            parts.append(f'"{piece}"')
        else:
            parts.append(piece)
    return " ".join(parts)


def brute_force(messages: list[dict[str, Any]], terms: list[str]) -> list[int]:
    keys = {m["id"]: search_key(m["body"]) for m in messages}
    return sorted((i for i, k in keys.items() if all(t in k for t in terms)), reverse=True)


async def _history(client: httpx.AsyncClient, member: Account, room: int) -> list[dict[str, Any]]:
    response = await client.get(
        f"/api/v1/rooms/{room}/messages", params={"limit": 100}, headers=member.headers
    )
    assert response.status_code == 200
    return [m for m in response.json()["items"] if m["kind"] == "text"]


async def test_results_equal_a_brute_force_scan(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    alice = await signup(client)
    loop = asyncio.get_running_loop()

    def run(coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=120)

    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(data=st.data(), bodies=st.lists(TEXT, min_size=1, max_size=10), indexed=st.booleans())
    def check(data: st.DataObject, bodies: list[str], indexed: bool) -> None:
        room = run(make_room(client, alice))
        for body in bodies:
            if body.strip():
                run(send(client, alice, room, body))
        if indexed:
            run(reindex(runtime.db, everything=False))
        messages = run(_history(client, alice, room))
        for _ in range(3):
            q = data.draw(queries([m["body"] for m in messages]))
            try:
                terms = parse_query(q)
            except QueryError:
                continue
            limit = data.draw(st.integers(1, 4))
            hits = run(search_all(client, alice, limit=limit, q=q, room_id=room))
            assert [h["message"]["id"] for h in hits] == brute_force(messages, terms), q
            for hit in hits:
                body = hit["message"]["body"]
                marked = [search_key(body[s:e]) for s, e in hit["highlights"]]
                for term in terms:  # each term's occurrence lies within a highlight
                    assert any(term in m for m in marked), (q, body, hit["highlights"])

    await asyncio.to_thread(check)
