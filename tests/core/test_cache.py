"""`LoadingCache`: one load per key at a time, failures not kept, answers kept for a while."""

from __future__ import annotations

import asyncio

import pytest

from parley.core.cache import LoadingCache


async def test_callers_that_miss_together_share_one_load() -> None:
    cache: LoadingCache[str, int] = LoadingCache(ttl=60, max_entries=10)
    loads = 0
    release = asyncio.Event()

    async def load() -> int:
        nonlocal loads
        loads += 1
        await release.wait()
        return 42

    waiting = [asyncio.ensure_future(cache.get("k", load)) for _ in range(16)]
    await asyncio.sleep(0.01)
    release.set()
    assert await asyncio.gather(*waiting) == [42] * 16
    assert loads == 1
    assert await cache.get("k", load) == 42 and loads == 1  # kept


async def test_a_cancelled_caller_does_not_cancel_the_others_load() -> None:
    cache: LoadingCache[str, str] = LoadingCache(ttl=60, max_entries=10)
    release = asyncio.Event()

    async def load() -> str:
        await release.wait()
        return "answer"

    first = asyncio.ensure_future(cache.get("k", load))
    second = asyncio.ensure_future(cache.get("k", load))
    await asyncio.sleep(0.01)
    first.cancel()
    release.set()
    assert await second == "answer"
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_a_failed_load_is_not_kept_and_expiry_and_forget_reload() -> None:
    cache: LoadingCache[int, int] = LoadingCache(ttl=0.05, max_entries=2)
    answers: list[int | None] = [None, 1, 2, 3, 4]  # None: the database is down

    async def load() -> int:
        answer = answers.pop(0)
        if answer is None:
            raise RuntimeError("database down")
        return answer

    with pytest.raises(RuntimeError):
        await cache.get(7, load)
    assert await cache.get(7, load) == 1  # the failure was not an answer
    assert await cache.get(7, load) == 1
    await asyncio.sleep(0.1)
    assert await cache.get(7, load) == 2  # expired
    cache.forget(7)
    assert await cache.get(7, load) == 3
    cache.forget_where(lambda key: key == 7)
    assert await cache.get(7, load) == 4


async def test_a_load_may_be_kept_for_its_own_time_and_clear_forgets_all() -> None:
    cache: LoadingCache[str, int] = LoadingCache(ttl=60, max_entries=10)
    loads = 0

    async def load() -> int:
        nonlocal loads
        loads += 1
        return loads

    assert await cache.get("short", load, ttl=0.05) == 1
    assert await cache.get("long", load) == 2
    assert await cache.get("short", load, ttl=60) == 1  # a kept answer keeps its own time
    await asyncio.sleep(0.1)
    assert await cache.get("short", load) == 3  # its 0.05 s ran out; now kept the cache's 60
    assert await cache.get("long", load) == 2
    await asyncio.sleep(0.1)
    assert await cache.get("short", load) == 3
    cache.clear()
    assert [await cache.get("short", load), await cache.get("long", load)] == [4, 5]


async def test_an_answer_forgotten_while_it_loads_is_not_kept() -> None:
    """The send path forgets when a change commits; a read begun before must not be kept."""
    cache: LoadingCache[str, str] = LoadingCache(ttl=60, max_entries=10)
    release = asyncio.Event()
    answers = ["before the change", "after the change"]

    async def load() -> str:
        answer = answers.pop(0)
        if answer == "before the change":
            await release.wait()
        return answer

    reading = asyncio.ensure_future(cache.get("k", load))
    await asyncio.sleep(0.01)
    cache.forget("k")
    release.set()
    assert await reading == "before the change"  # its caller was already waiting
    assert await cache.get("k", load) == "after the change"
