"""One short `parley bench` run against a real server: messages flow and the numbers are sane."""

from __future__ import annotations

from pathlib import Path

import pytest

from parley.bench.runner import BenchConfig, run_bench
from parley.bench.spawn import BENCH_SERVER_ENV
from tests.support.server import running_server

try:
    import parley.realtime.gateway  # noqa: F401 - only asks whether /ws exists yet
except ImportError:  # pragma: no cover - until the realtime gateway is committed
    GATEWAY_LANDED = False
else:
    GATEWAY_LANDED = True

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not GATEWAY_LANDED, reason="gateway not landed"),
]


@pytest.mark.parametrize("mode", ["in_flight", "rate"])
def test_a_small_bench_delivers_messages(tmp_path: Path, mode: str) -> None:
    with running_server(tmp_path, env=BENCH_SERVER_ENV) as server:
        config = BenchConfig(
            url=server.base_url,
            clients=20,
            rooms=2,
            mode=mode,  # type: ignore[arg-type]
            duration_s=2.0,
            rate_per_room=20.0,
            in_flight=1,
            workers=2,
            server_pid=server.process.pid,
        )
        report = run_bench(config)
    assert report["connections"]["opened"] == 20
    assert report["connections"]["failed"] == {}
    messages = report["messages"]
    assert messages["sent"] > 0
    assert messages["acked"] == messages["sent"], report
    assert messages["delivered"] == messages["expected_deliveries"] > 0, report
    if mode == "rate":  # 2 rooms x 20 msg/s x 2 s, each to 10 clients
        assert messages["sent"] == 80
        assert messages["delivered"] == 800
    assert report["errors"] == {} and report["closes"] == {}, report
    delivery = report["latency_ms"]["delivery"]
    assert delivery["count"] == messages["delivered"]
    assert 0 < delivery["p50_ms"] <= delivery["p99_ms"] <= delivery["max_ms"] < 5_000
    server_stats = report["server"]
    assert server_stats["pid"] == server.process.pid
    assert server_stats["cpu_us_per_delivery"] > 0
    assert server_stats["rss_connected_mb"] > 10
