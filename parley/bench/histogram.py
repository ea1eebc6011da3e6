"""Latency histograms (HDR, so p99.9 stays exact to 3 digits) and the send schedule.

Coordinated omission: a load generator that waits for a slow server before sending the next
message stops measuring exactly when the server is slow. The fixed-rate sender therefore
keeps an *intended* send time per message, fixed by the schedule before the run, and every
latency is measured from that intended time, not from when the send actually happened.
"""

from __future__ import annotations

from dataclasses import dataclass

from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 3_600_000_000  # one hour: anything slower is clamped, not dropped
SIGNIFICANT_DIGITS = 3
PERCENTILES = (50.0, 90.0, 99.0, 99.9)


class LatencyHistogram:
    """Microsecond latencies; mergeable across worker processes through `encode`/`decode`."""

    def __init__(self) -> None:
        self._histogram = HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)

    def record_us(self, value_us: int) -> None:
        self._histogram.record_value(min(max(value_us, LOWEST_US), HIGHEST_US))

    def record_ns(self, value_ns: int) -> None:
        self.record_us(value_ns // 1000)

    @property
    def count(self) -> int:
        return int(self._histogram.get_total_count())

    def percentile_us(self, percentile: float) -> int:
        return int(self._histogram.get_value_at_percentile(percentile)) if self.count else 0

    @property
    def max_us(self) -> int:
        return int(self._histogram.get_max_value()) if self.count else 0

    @property
    def mean_us(self) -> float:
        return float(self._histogram.get_mean_value()) if self.count else 0.0

    def merge(self, other: LatencyHistogram) -> None:
        self._histogram.add(other._histogram)

    def encode(self) -> bytes:
        return bytes(self._histogram.encode())

    @classmethod
    def decode(cls, data: bytes) -> LatencyHistogram:
        histogram = cls()
        if data:
            histogram._histogram.decode_and_add(data)
        return histogram

    def summary(self) -> dict[str, float]:
        """count, p50, p90, p99, p99.9, max and mean, in milliseconds (count excepted)."""
        result: dict[str, float] = {"count": self.count}
        for percentile in PERCENTILES:
            result[f"p{percentile:g}_ms"] = self.percentile_us(percentile) / 1000
        result["max_ms"] = self.max_us / 1000
        result["mean_ms"] = round(self.mean_us / 1000, 3)
        return result


@dataclass(frozen=True)
class Schedule:
    """Fixed-rate send times: message k is due at `start_ns + k * interval_ns`."""

    start_ns: int
    rate_per_s: float

    @property
    def interval_ns(self) -> int:
        return max(1, round(1e9 / self.rate_per_s))

    def due_ns(self, k: int) -> int:
        return self.start_ns + k * self.interval_ns

    def due_count(self, now_ns: int) -> int:
        """How many messages should have been sent by `now_ns`."""
        if now_ns < self.start_ns:
            return 0
        return (now_ns - self.start_ns) // self.interval_ns + 1
