"""Stopping background tasks so that a shutdown always ends.

A task is cancelled and awaited; a cancellation can be lost, though (Python 3.11's
`wait_for` swallows one that lands as its wait ends, a driver may turn one into its own
error), and a loop that logs errors and retries then runs on, so a plain `await task` hangs
the shutdown. `stop_tasks` cancels again each half second — the next `await` of such a loop
takes it — and gives up after a grace period with a warning instead of hanging.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger("parley.tasks")

#: how often a task that has not ended is cancelled again
RECANCEL_SECONDS = 0.5


async def stop_tasks(tasks: Iterable[asyncio.Future[Any] | None], grace: float = 15.0) -> None:
    """Cancel the tasks and wait until they end (their results and errors are dropped)."""
    pending = {task for task in tasks if task is not None and not task.done()}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=RECANCEL_SECONDS)
        if pending and loop.time() >= deadline:
            names = ", ".join(sorted(getattr(t, "get_name", lambda: "?")() for t in pending))
            log.warning("background tasks did not stop; left running: %s", names)
            return
