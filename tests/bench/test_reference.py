"""`parley bench --reference`: the bare relay serves the bench's load, and the comparison's
ratios are Parley's figure over the reference's."""

from __future__ import annotations

from typing import Any

from parley.bench.compare import compare, format_comparison
from parley.bench.runner import BenchConfig, run_bench
from parley.bench.spawn import reference_relay


def _report(cpu_us: float, p99: float, rss_kb: float, delivered: int = 100) -> dict[str, Any]:
    return {
        "server": {"cpu_us_per_delivery": cpu_us, "rss_per_connection_kb": rss_kb},
        "latency_ms": {"delivery": {"p50_ms": 1.0, "p99_ms": p99, "p99.9_ms": p99 * 2}},
        "messages": {
            "delivered": delivered,
            "expected_deliveries": 100,
            "delivered_per_s": 50.0,
        },
        "generator": {"cpu_us_per_delivery": 20.0},
    }


def test_the_comparison_divides_parley_by_the_reference() -> None:
    result = compare(_report(22.0, 30.0, 29.6), _report(11.0, 20.0, 14.8))
    figures = result["figures"]
    assert figures["server CPU per delivery"] == {
        "unit": "us",
        "parley": 22.0,
        "reference": 11.0,
        "ratio": 2.0,
    }
    assert figures["delivery p99"]["ratio"] == 1.5
    assert figures["RSS per connection"]["ratio"] == 2.0
    assert figures["deliveries per second"]["ratio"] == 1.0
    assert figures["server CPU"]["ratio"] is None  # absent from both: unknown, not zero
    assert result["all_delivered"]
    text = format_comparison(result)
    assert "server CPU per delivery (us)" in text and "WARNING" not in text
    lossy = compare(_report(22.0, 30.0, 29.6, delivered=99), _report(11.0, 20.0, 14.8))
    assert not lossy["all_delivered"] and "WARNING" in format_comparison(lossy)


def test_the_reference_relay_delivers_the_bench_load() -> None:
    with reference_relay() as (url, pid):
        config = BenchConfig(
            url=url,
            clients=20,
            rooms=2,
            mode="in_flight",
            duration_s=1.5,
            in_flight=2,
            workers=1,
            server_pid=pid,
            reference=True,
        )
        report = run_bench(config)
    messages = report["messages"]
    assert report["connections"]["opened"] == 20
    assert messages["acked"] == messages["sent"] > 0, report
    assert messages["delivered"] == messages["expected_deliveries"] > 0, report
    assert report["errors"] == {} and report["closes"] == {}, report
    server = report["server"]
    assert server["pid"] == pid
    assert server["cpu_us_per_delivery"] > 0
