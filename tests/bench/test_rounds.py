"""`parley bench --reference --rounds N`: Parley and the relay alternate N times in one
invocation and each figure's ratio is reported as a median with its spread, since one pair of
back-to-back runs moved by ±15 % on a quiet machine (docs/benchmarks.md)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from parley.bench.compare import compare, format_summary, summarise
from parley.bench.sampler import wait_until_quiet
from tests.bench.test_reference import _report


def test_rounds_give_each_figure_its_median_ratio_and_spread() -> None:
    rounds = [
        compare(_report(cpu, 30.0, rss), _report(10.0, 20.0, 10.0))
        for cpu, rss in ((13.0, 20.0), (18.0, 5.0), (9.0, 4.0))
    ]
    summary = summarise(rounds)
    cpu = summary["figures"]["server CPU per delivery"]
    assert cpu["ratios"] == [1.3, 1.8, 0.9]
    assert (cpu["median"], cpu["min"], cpu["max"]) == (1.3, 0.9, 1.8)
    # memory per connection only means something on fresh processes: the first round's
    rss = summary["figures"]["RSS per connection"]
    assert rss["ratios"] == [2.0] and rss["median"] == 2.0
    assert summary["figures"]["server CPU"]["median"] is None  # unknown stays unknown
    assert summary["all_delivered"] and len(summary["rounds"]) == 3
    text = format_summary(summary)
    assert "over 3 alternating rounds" in text and "WARNING" not in text
    lossy = [*rounds, compare(_report(9.0, 30.0, 4.0, delivered=99), _report(10.0, 20.0, 10.0))]
    assert "WARNING" in format_summary(summarise(lossy))


def test_rounds_need_the_reference() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "parley", "bench", "--rounds", "2"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--rounds needs --reference" in done.stderr


_BURN_THEN_SLEEP = """
import time
end = time.monotonic() + float(__import__("sys").argv[1])
while time.monotonic() < end:
    pass
print("idle", flush=True)
time.sleep(60)
"""


def test_waiting_until_a_process_is_quiet() -> None:
    """The server that stays up between rounds may still be indexing the last run's
    messages: the relay's run waits until it is idle."""
    busy = subprocess.Popen(
        [sys.executable, "-c", _BURN_THEN_SLEEP, "1.5"], stdout=subprocess.PIPE, text=True
    )
    try:
        started = time.monotonic()
        wait_until_quiet(busy.pid, limit_s=30)
        assert busy.stdout is not None and busy.stdout.readline() == "idle\n"
        assert time.monotonic() - started >= 1.0  # it did not stop waiting while it burned
        quiet_for = wait_until_quiet(busy.pid, limit_s=30)  # idle now: one window or so
        assert quiet_for < 15
    finally:
        busy.kill()
        busy.wait()
    assert wait_until_quiet(busy.pid) < 1  # gone: nothing to wait for


@pytest.mark.slow
def test_two_rounds_against_a_throwaway_server(tmp_path: Path) -> None:
    out = tmp_path / "rounds.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "parley",
            "bench",
            "--serve-dir",
            str(tmp_path / "server"),
            "--reference",
            "--rounds",
            "2",
            "--clients",
            "20",
            "--rooms",
            "2",
            "--in-flight",
            "1",
            "--duration",
            "1",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "=== round 2 of 2 ===" in done.stdout
    assert "over 2 alternating rounds" in done.stdout
    summary = json.loads(out.read_text())
    assert len(summary["rounds"]) == 2 and summary["all_delivered"]
    cpu = summary["figures"]["server CPU per delivery"]
    assert len(cpu["ratios"]) == 2 and all(ratio > 0 for ratio in cpu["ratios"])
    assert cpu["min"] <= cpu["median"] <= cpu["max"]
    for pair in summary["rounds"]:
        assert pair["parley"]["messages"]["acked"] > 0
        assert pair["reference"]["messages"]["acked"] > 0
