"""Parley against the reference relay, side by side: `parley bench --reference`.

Both reports come from one invocation with the same load, run back to back, so whatever else
the machine is doing weighs on both; the ratio (Parley / reference, lower is better for every
figure here but throughput) is the number to compare across runs, not the absolute figures.
"""

from __future__ import annotations

import statistics
from typing import Any

#: a figure that only a freshly started server measures: later rounds reuse its memory
FRESH_ONLY = "RSS per connection"

#: (label, path into a report, unit)
FIGURES: list[tuple[str, tuple[str, ...], str]] = [
    ("server CPU per delivery", ("server", "cpu_us_per_delivery"), "us"),
    ("server kernel CPU per delivery", ("server", "system_us_per_delivery"), "us"),
    ("delivery p50", ("latency_ms", "delivery", "p50_ms"), "ms"),
    ("delivery p99", ("latency_ms", "delivery", "p99_ms"), "ms"),
    ("delivery p99.9", ("latency_ms", "delivery", "p99.9_ms"), "ms"),
    ("RSS per connection", ("server", "rss_per_connection_kb"), "KiB"),
    ("deliveries per second", ("messages", "delivered_per_s"), "/s"),
    ("server CPU", ("server", "cpu_util_pct"), "% core"),
    ("generator CPU per delivery", ("generator", "cpu_us_per_delivery"), "us"),
]


def _get(report: dict[str, Any], path: tuple[str, ...]) -> float | None:
    value: Any = report
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return float(value) if isinstance(value, int | float) else None


def compare(parley: dict[str, Any], reference: dict[str, Any]) -> dict[str, Any]:
    """Both reports and, per figure, both values and their ratio (None when unknown)."""
    figures: dict[str, dict[str, Any]] = {}
    for label, path, unit in FIGURES:
        ours, theirs = _get(parley, path), _get(reference, path)
        ratio = round(ours / theirs, 3) if ours is not None and theirs else None
        figures[label] = {"unit": unit, "parley": ours, "reference": theirs, "ratio": ratio}
    complete = all(
        r["messages"]["delivered"] == r["messages"]["expected_deliveries"]
        for r in (parley, reference)
    )
    return {
        "figures": figures,
        "all_delivered": complete,
        "parley": parley,
        "reference": reference,
    }


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:,.3f}".rstrip("0").rstrip(".")


def format_comparison(comparison: dict[str, Any]) -> str:
    lines = [
        "Parley against the reference relay (bare websockets, no persistence), same load:",
        f"  {'figure':<32} {'parley':>12} {'reference':>12} {'ratio':>7}",
    ]
    for label, figure in comparison["figures"].items():
        name = f"{label} ({figure['unit']})"
        lines.append(
            f"  {name:<32} {_cell(figure['parley']):>12} "
            f"{_cell(figure['reference']):>12} {_cell(figure['ratio']):>7}"
        )
    if not comparison["all_delivered"]:
        lines.append("  WARNING: a run delivered less than expected; see its report above")
    return "\n".join(lines)


def summarise(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Several comparisons of one invocation (`--rounds`, Parley and the relay alternating):
    per figure the median, lowest and highest ratio, so one pair of runs that a burst of
    load from elsewhere skewed does not decide the answer. Memory per connection is the
    first round's alone (the only one on freshly started servers)."""
    figures: dict[str, dict[str, Any]] = {}
    for label, _, unit in FIGURES:
        taken = rounds[:1] if label == FRESH_ONLY else rounds
        ratios = [r["figures"][label]["ratio"] for r in taken]
        known = [ratio for ratio in ratios if ratio is not None]
        figures[label] = {
            "unit": unit,
            "ratios": ratios,
            "median": round(statistics.median(known), 3) if known else None,
            "min": min(known, default=None),
            "max": max(known, default=None),
        }
    return {
        "figures": figures,
        "all_delivered": all(r["all_delivered"] for r in rounds),
        "rounds": rounds,
    }


def format_summary(summary: dict[str, Any]) -> str:
    count = len(summary["rounds"])
    lines = [
        f"Parley / reference over {count} alternating rounds (median, lowest, highest):",
        f"  {'figure':<32} {'median':>8} {'lowest':>8} {'highest':>8}",
    ]
    for label, figure in summary["figures"].items():
        name = f"{label} ({figure['unit']})"
        cells = (_cell(figure[key]) for key in ("median", "min", "max"))
        lines.append(f"  {name:<32} " + " ".join(f"{cell:>8}" for cell in cells))
    lines.append(f"  ({FRESH_ONLY.lower()}: the first round only, on fresh processes)")
    if not summary["all_delivered"]:
        lines.append("  WARNING: a run delivered less than expected; see its report above")
    return "\n".join(lines)
