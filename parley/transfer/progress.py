"""Progress of a long export or import: counts and a bar on a terminal, nothing otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30


class Progress:
    """Redraws one line on stderr at most ten times a second, only when it is a TTY."""

    def __init__(self, total: int, unit: str = "rows", stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.total = max(total, 0)
        self.unit = unit
        self.done = 0
        self.label = ""
        self.started = time.monotonic()
        self._drawn = 0.0

    def stage(self, label: str, total: int | None = None, unit: str | None = None) -> None:
        self.label = label
        if total is not None:
            self.total, self.done, self.started = total, 0, time.monotonic()
        if unit is not None:
            self.unit = unit
        self._draw(force=True)

    def advance(self, count: int) -> None:
        self.done += count
        self._draw()

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._drawn < 0.1:
            return
        self._drawn = now
        share = min(self.done / self.total, 1.0) if self.total else 1.0
        filled = int(share * WIDTH)
        rate = self.done / max(now - self.started, 1e-6)
        line = (
            f"\r[{'#' * filled}{' ' * (WIDTH - filled)}] {share:6.1%} "
            f"{self.done:,}/{self.total:,} {self.unit} {rate:,.0f}/s {self.label[:24]:<24}"
        )
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self._draw(force=True)
            self.stream.write("\n")
            self.stream.flush()
