"""Percentiles from known data, merging across processes, and the coordinated-omission fix."""

from __future__ import annotations

import pytest

from parley.bench.histogram import LatencyHistogram, Schedule


def test_percentiles_of_known_data() -> None:
    histogram = LatencyHistogram()
    for value in range(1, 10_001):  # 1..10,000 us
        histogram.record_us(value)
    assert histogram.count == 10_000
    assert histogram.percentile_us(50) == pytest.approx(5_000, rel=1e-3)
    assert histogram.percentile_us(99) == pytest.approx(9_900, rel=1e-3)
    assert histogram.percentile_us(99.9) == pytest.approx(9_990, rel=1e-3)
    assert histogram.max_us == pytest.approx(10_000, rel=1e-3)
    summary = histogram.summary()
    assert summary["count"] == 10_000
    assert summary["p50_ms"] == pytest.approx(5.0, rel=1e-3)
    assert summary["p99.9_ms"] == pytest.approx(9.99, rel=1e-3)


def test_an_empty_histogram_reports_zeros() -> None:
    summary = LatencyHistogram().summary()
    assert summary == {
        "count": 0,
        "p50_ms": 0,
        "p90_ms": 0,
        "p99_ms": 0,
        "p99.9_ms": 0,
        "max_ms": 0,
        "mean_ms": 0,
    }


def test_out_of_range_values_are_clamped_not_lost() -> None:
    histogram = LatencyHistogram()
    histogram.record_ns(-5)  # clocks never go back, but a clamp beats an exception
    histogram.record_us(10**12)
    assert histogram.count == 2


def test_histograms_merge_through_their_encoding() -> None:
    parts = [LatencyHistogram() for _ in range(3)]
    for i, part in enumerate(parts):
        for value in range(1, 1001):
            part.record_us(value + 1000 * i)
    merged = LatencyHistogram()
    for part in parts:
        merged.merge(LatencyHistogram.decode(part.encode()))
    assert merged.count == 3000
    assert merged.percentile_us(50) == pytest.approx(1500, rel=2e-3)
    assert merged.max_us == pytest.approx(3000, rel=1e-3)
    assert LatencyHistogram.decode(b"").count == 0


def test_the_schedule_fixes_send_times_in_advance() -> None:
    schedule = Schedule(start_ns=1_000, rate_per_s=100)  # every 10 ms
    assert schedule.interval_ns == 10_000_000
    assert [schedule.due_ns(k) for k in range(3)] == [1_000, 10_001_000, 20_001_000]
    assert schedule.due_count(999) == 0
    assert schedule.due_count(1_000) == 1
    assert schedule.due_count(1_000 + 95_000_000) == 10


def _simulate(correct: bool) -> LatencyHistogram:
    """100 msg/s for 10 s against a server answering in 1 ms, but stalled 1 s at t = 5 s.

    A sender that waits for the stalled reply sends nothing during the stall; measured from
    the actual send time, only the one stalled message looks slow. Measured from the
    intended time, every message that should have gone out during the stall is late too.
    """
    schedule = Schedule(0, 100)
    service_ns, stall_at, stall_ns = 1_000_000, 5_000_000_000, 1_000_000_000
    histogram = LatencyHistogram()
    now = 0
    for k in range(1000):
        intended = schedule.due_ns(k)
        sent = max(now, intended)  # a late sender sends at once: it does not skip messages
        done = sent + service_ns + (stall_ns if intended == stall_at else 0)
        histogram.record_ns(done - (intended if correct else sent))
        now = done
    return histogram


def test_measuring_from_the_intended_time_sees_the_stall() -> None:
    naive, corrected = _simulate(correct=False), _simulate(correct=True)
    assert naive.percentile_us(99) == pytest.approx(1_000, rel=1e-2)  # the stall hides
    assert naive.max_us == pytest.approx(1_001_000, rel=1e-2)
    # 100 messages were due during the 1 s stall: ~10 % of all samples are slow
    assert corrected.percentile_us(95) > 400_000
    assert corrected.percentile_us(99) > 900_000
    assert corrected.percentile_us(50) == pytest.approx(1_000, rel=1e-2)
