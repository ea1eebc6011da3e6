"""Worker results add up into the report; plans spread clients, rooms and senders evenly."""

from __future__ import annotations

from collections import Counter

import pytest

from parley.bench.cli import config_from
from parley.bench.histogram import LatencyHistogram
from parley.bench.plan import WorkerResult, assign, body_for, intended_ns_of
from parley.bench.report import ServerWindow, build_report, combine, format_report
from parley.bench.runner import BenchError
from parley.bench.sampler import Snapshot
from parley.cli import build_parser

MB = 1024 * 1024


def _result(worker: int, room: int, latencies_us: range) -> WorkerResult:
    delivery = LatencyHistogram()
    for value in latencies_us:
        delivery.record_us(value)
    return WorkerResult(
        worker=worker,
        connected=10,
        connected_per_room=Counter({room: 10}),
        sent=100,
        acked=100,
        acked_per_room=Counter({room: 100}),
        delivered=len(latencies_us),
        errors=Counter({"rate_limited": worker}),
        closes=Counter({"4009": 1}) if worker else Counter(),
        delivery_hist=delivery.encode(),
        ack_hist=LatencyHistogram().encode(),
        cpu_s=1.5,
    )


def test_results_combine_into_a_report() -> None:
    results = [_result(0, 1, range(1, 1001)), _result(1, 2, range(1001, 2001))]
    totals = combine(results)
    assert totals.connected == 20
    assert totals.expected_deliveries == 2 * 100 * 10
    settings = {"mode": "in_flight", "clients": 20, "rooms": 2, "duration_s": 2.0, "workers": 2}
    window = ServerWindow(
        pid=42,
        before=Snapshot(0.0, 1.0, 0.2, 100 * MB, 10),
        connected=Snapshot(1.0, 1.5, 0.3, 120 * MB, 30),
        load_start=Snapshot(2.0, 2.0, 0.4, 120 * MB, 30),
        load_end=Snapshot(4.0, 3.0, 0.65, 130 * MB, 30),
        peak_rss=131 * MB,
    )
    report = build_report(settings, totals, window)
    messages = report["messages"]
    assert messages["delivered"] == 2000
    assert messages["delivered_per_s"] == 1000
    assert report["latency_ms"]["delivery"]["p50_ms"] == pytest.approx(1.0, rel=1e-2)
    assert report["latency_ms"]["delivery"]["max_ms"] == pytest.approx(2.0, rel=1e-2)
    assert report["errors"] == {"rate_limited": 1}
    assert report["closes"] == {"4009": 1}
    server = report["server"]
    assert server["rss_per_connection_kb"] == pytest.approx(20 * 1024 / 20)
    assert server["cpu_s"] == 1.0
    assert server["cpu_util_pct"] == 50.0
    assert server["cpu_us_per_delivery"] == 500.0  # 1 s of CPU over 2000 deliveries
    assert server["system_us_per_delivery"] == 125.0  # 0.25 s of it in the kernel
    assert server["rss_peak_mb"] == 131.0
    assert report["generator"]["cpu_us_per_delivery"] == 1500.0
    text = format_report(report)
    assert "delivered 2000 of 2000 expected" in text
    assert "500.0 us per delivered message (125.0 of it in the kernel)" in text


def test_a_report_without_a_server_says_so() -> None:
    settings = {"mode": "idle", "clients": 1, "rooms": 1, "duration_s": 0.0, "workers": 1}
    report = build_report(settings, combine([]), None)
    assert report["server"] is None
    assert report["messages"]["delivered_per_s"] is None
    assert "not sampled" in format_report(report)


def test_clients_rooms_and_senders_are_spread() -> None:
    plans = assign(10, 3, 2, [f"t{i}" for i in range(10)], [101, 102, 103])
    assert [len(p) for p in plans] == [5, 5]
    every = [spec for plan in plans for spec in plan]
    assert Counter(spec.room_id for spec in every) == {101: 4, 102: 3, 103: 3}
    senders = [spec for spec in every if spec.sender]
    assert sorted(spec.room_id for spec in senders) == [101, 102, 103]
    assert {spec.index % 2 for spec in senders} == {0, 1}  # senders in both workers


def test_the_intended_time_travels_in_the_body() -> None:
    body = body_for(123_456_789, 7, 64)
    assert len(body) == 64
    raw = f'{{"type":"message","room_id":1,"body":"{body}","seq":3}}'
    assert intended_ns_of(raw) == 123_456_789
    assert intended_ns_of('{"type":"message","body":"hello"}') is None
    assert intended_ns_of('{"body":"bench:notanumber:1"}') is None


def test_the_command_line_builds_a_config() -> None:
    parser = build_parser()
    args = parser.parse_args(
        ["bench", "--clients", "20", "--rooms", "2", "--rate", "5", "--workers", "50"]
    )
    config = config_from(args, "http://127.0.0.1:9/", None)
    assert config.mode == "rate"
    assert config.rate_per_room == 5
    assert config.workers == 20
    assert config.ws_url == "ws://127.0.0.1:9/ws"
    args = parser.parse_args(["bench", "--clients", "1", "--rooms", "2"])
    with pytest.raises(BenchError, match="every room needs a sender"):
        config_from(args, "http://127.0.0.1:9", None)
    with pytest.raises(SystemExit):
        parser.parse_args(["bench", "--rate", "1", "--in-flight", "1"])
