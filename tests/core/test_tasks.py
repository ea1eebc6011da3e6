"""`stop_tasks`: a shutdown ends even when a task's cancellation is lost."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from parley.core.tasks import stop_tasks


async def test_a_loop_that_lost_its_cancellation_is_cancelled_again() -> None:
    turns = 0

    async def retrying_loop() -> None:
        nonlocal turns
        while True:
            turns += 1
            try:
                await asyncio.sleep(0.05)
                if turns == 1:
                    raise asyncio.CancelledError  # lost once: the loop logs and retries
            except asyncio.CancelledError:
                if turns > 2:
                    raise
                continue

    task = asyncio.create_task(retrying_loop())
    await asyncio.sleep(0.01)
    await asyncio.wait_for(stop_tasks([task], grace=10), 10)
    assert task.done() and task.cancelled()
    assert turns >= 3  # it swallowed cancellations and was cancelled again


async def test_a_task_that_never_ends_is_left_after_the_grace(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stop = asyncio.Event()

    async def stubborn() -> None:
        while not stop.is_set():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(stop.wait())

    task = asyncio.create_task(stubborn(), name="stubborn")
    await asyncio.sleep(0.01)  # it runs, and is waiting
    loop = asyncio.get_running_loop()
    started = loop.time()
    await stop_tasks([task, None], grace=1.0)
    assert not task.done() and loop.time() - started < 8
    assert "stubborn" in caplog.text
    stop.set()
    await task


async def test_finished_and_failed_tasks_stop_quietly() -> None:
    async def fails() -> None:
        raise ValueError("boom")

    failed = asyncio.create_task(fails())
    await asyncio.sleep(0)
    await stop_tasks([failed])
    assert isinstance(failed.exception(), ValueError)
