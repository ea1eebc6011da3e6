"""The bounded pool behind password hashing, with real threads blocked on real events."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import pytest

from parley.core.admission import BoundedWorkers, Overloaded

DEADLINE = 10.0


def blocker(gate: threading.Event) -> str:
    assert gate.wait(DEADLINE), "the test never opened the gate"
    return "done"


async def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.01)


async def test_at_most_limit_run_at_once_and_the_line_is_bounded() -> None:
    workers = BoundedWorkers("t", limit=2, max_waiting=3, max_wait_seconds=DEADLINE)
    gate = threading.Event()
    tasks = [asyncio.create_task(workers.run(blocker, gate)) for _ in range(10)]
    await until(lambda: workers.active == 2 and workers.waiting == 3, "2 running, 3 waiting")
    refused = [t for t in tasks if t.done()]
    assert len(refused) == 5
    for task in refused:
        with pytest.raises(Overloaded) as overloaded:
            task.result()
        assert overloaded.value.retry_after >= 1
    assert workers.rejected == 5
    gate.set()
    served = [t for t in tasks if t not in refused]
    assert await asyncio.gather(*served) == ["done"] * 5
    assert workers.peak == 2 and workers.completed == 5
    assert workers.running == 0 and workers.waiting == 0


async def test_a_wait_longer_than_the_bound_is_refused() -> None:
    workers = BoundedWorkers("t", limit=1, max_waiting=10, max_wait_seconds=0.2)
    gate = threading.Event()
    first = asyncio.create_task(workers.run(blocker, gate))
    await until(lambda: workers.active == 1, "the first call runs")
    started = time.monotonic()
    with pytest.raises(Overloaded):
        await workers.run(blocker, gate)
    assert 0.15 <= time.monotonic() - started < 5
    gate.set()
    assert await first == "done"
    assert await workers.run(str, 1) == "1"  # the refused waiter left no turn behind
    assert workers.running == 0


async def test_a_cancelled_caller_keeps_its_turn_until_its_thread_ends() -> None:
    """Cancelling a request cannot stop a hash, so it must not let another one start."""
    workers = BoundedWorkers("t", limit=1, max_waiting=10, max_wait_seconds=DEADLINE)
    gate = threading.Event()
    first = asyncio.create_task(workers.run(blocker, gate))
    await until(lambda: workers.active == 1, "the first call runs")
    waiter = asyncio.create_task(workers.run(blocker, gate))
    await until(lambda: workers.waiting == 1, "the second call waits")
    waiter.cancel()  # a waiting caller gives up: its place in line is gone
    first.cancel()  # the running caller gives up: its thread still runs
    third = asyncio.create_task(workers.run(str, 3))
    await asyncio.sleep(0.1)
    assert not third.done() and workers.active == 1
    gate.set()
    assert await third == "3"
    assert workers.peak == 1 and workers.running == 0 and workers.waiting == 0
