"""Turn worker results and server snapshots into one report: a dict (for `--json`) and text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from parley.bench.histogram import LatencyHistogram
from parley.bench.plan import Tally, WorkerResult
from parley.bench.sampler import Snapshot

MB = 1024 * 1024


@dataclass
class Totals(Tally):
    """All workers' results added up."""

    delivery: LatencyHistogram = field(default_factory=LatencyHistogram)
    ack: LatencyHistogram = field(default_factory=LatencyHistogram)
    generator_cpu_s: float = 0.0

    @property
    def expected_deliveries(self) -> int:
        """Every acked message should reach every subscribed client of its room."""
        return sum(n * self.connected_per_room[room] for room, n in self.acked_per_room.items())


def combine(results: list[WorkerResult]) -> Totals:
    totals = Totals()
    for r in results:
        totals.add(r)
        totals.delivery.merge(LatencyHistogram.decode(r.delivery_hist))
        totals.ack.merge(LatencyHistogram.decode(r.ack_hist))
        totals.generator_cpu_s += r.cpu_s
    return totals


@dataclass(frozen=True)
class ServerWindow:
    """Server snapshots: before connecting, once connected, when the load starts and ends."""

    pid: int
    before: Snapshot
    connected: Snapshot
    load_start: Snapshot | None = None
    load_end: Snapshot | None = None
    peak_rss: int = 0


def _per(numerator: float, denominator: float, scale: float = 1.0) -> float | None:
    return round(numerator * scale / denominator, 3) if denominator else None


def server_section(window: ServerWindow, connections: int, delivered: int) -> dict[str, Any]:
    growth = window.connected.rss - window.before.rss
    section: dict[str, Any] = {
        "pid": window.pid,
        "rss_before_mb": round(window.before.rss / MB, 1),
        "rss_connected_mb": round(window.connected.rss / MB, 1),
        "rss_peak_mb": round(max(window.peak_rss, window.connected.rss) / MB, 1),
        "rss_per_connection_kb": _per(growth, connections, 1 / 1024),
        "fds_connected": window.connected.fds,
    }
    if window.load_start and window.load_end:
        cpu = window.load_end.cpu_s - window.load_start.cpu_s
        system = window.load_end.system_s - window.load_start.system_s
        wall = window.load_end.at - window.load_start.at
        section.update(
            rss_after_mb=round(window.load_end.rss / MB, 1),
            cpu_s=round(cpu, 3),
            cpu_util_pct=_per(cpu, wall, 100),
            cpu_us_per_delivery=_per(cpu, delivered, 1e6),
            system_us_per_delivery=_per(system, delivered, 1e6),
        )
    return section


def build_report(
    settings: dict[str, Any], totals: Totals, window: ServerWindow | None
) -> dict[str, Any]:
    duration = float(settings.get("duration_s") or 0)
    report: dict[str, Any] = {
        "bench": settings,
        "connections": {
            "opened": totals.connected,
            "failed": dict(totals.connect_failures),
        },
        "messages": {
            "sent": totals.sent,
            "acked": totals.acked,
            "delivered": totals.delivered,
            "expected_deliveries": totals.expected_deliveries,
            "delivered_per_s": _per(totals.delivered, duration),
            "acked_per_s": _per(totals.acked, duration),
        },
        "latency_ms": {
            "delivery": totals.delivery.summary(),
            "ack": totals.ack.summary(),
        },
        "errors": dict(totals.errors),
        "closes": dict(totals.closes),
        "generator": {
            "cpu_s": round(totals.generator_cpu_s, 3),
            "cpu_us_per_delivery": _per(totals.generator_cpu_s, totals.delivered, 1e6),
        },
        "server": None,
    }
    if window is not None:
        report["server"] = server_section(window, totals.connected, totals.delivered)
    return report


def _latency_line(name: str, summary: dict[str, float]) -> str:
    return (
        f"  {name:<9} n={int(summary['count']):<9} p50={summary['p50_ms']:.2f}  "
        f"p99={summary['p99_ms']:.2f}  p99.9={summary['p99.9_ms']:.2f}  "
        f"max={summary['max_ms']:.2f} ms"
    )


def format_report(report: dict[str, Any]) -> str:
    bench, conns, msgs = report["bench"], report["connections"], report["messages"]
    lines = [
        f"parley bench: {bench['mode']} mode, {bench['clients']} clients, "
        f"{bench['rooms']} rooms, {bench['duration_s']} s, {bench['workers']} worker(s)",
        f"connections: {conns['opened']} opened in {conns.get('connect_s', '?')} s "
        f"(with the workers' start-up), failed {conns['failed'] or 'none'}",
    ]
    if bench["mode"] != "idle":
        lines += [
            f"messages: sent {msgs['sent']}, acked {msgs['acked']}, delivered "
            f"{msgs['delivered']} of {msgs['expected_deliveries']} expected "
            f"({msgs['delivered_per_s']} deliveries/s)",
            "latency (from the intended send time):",
            _latency_line("delivery", report["latency_ms"]["delivery"]),
            _latency_line("ack", report["latency_ms"]["ack"]),
            f"generator CPU: {report['generator']['cpu_s']} s "
            f"({report['generator']['cpu_us_per_delivery']} us per delivery)",
        ]
    lines.append(f"errors: {report['errors'] or 'none'}; closes: {report['closes'] or 'none'}")
    server = report["server"]
    if server is None:
        lines.append("server: not sampled (pass --server-pid, or run the bench as its user)")
    else:
        lines.append(
            f"server pid {server['pid']}: RSS {server['rss_before_mb']} MB before, "
            f"{server['rss_connected_mb']} MB connected, peak {server['rss_peak_mb']} MB; "
            f"{server['rss_per_connection_kb']} KB per connection"
        )
        if "cpu_s" in server:
            lines.append(
                f"server CPU: {server['cpu_s']} s ({server['cpu_util_pct']}% of one core), "
                f"{server['cpu_us_per_delivery']} us per delivered message "
                f"({server['system_us_per_delivery']} of it in the kernel); "
                f"RSS after {server['rss_after_mb']} MB"
            )
    return "\n".join(lines)
