"""`parley bench`: the command line, wired into `parley.cli` by `add_bench_parser`."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from parley.bench.plan import Mode
from parley.bench.runner import BenchConfig, BenchError, run_bench
from parley.bench.sampler import wait_until_quiet
from parley.bench.spawn import bench_server, reference_relay, server_hint

EPILOG = f"""\
The server must allow the load: start it with at least
  {server_hint()}
(fast sign-ups, send limits above the offered rate, no login throttling of the bench),
or let the bench start a throwaway one with --serve-dir.
"""


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def add_bench_parser(subparsers: Any) -> argparse.ArgumentParser:
    bench: argparse.ArgumentParser = subparsers.add_parser(
        "bench",
        help="drive a server with many WebSocket clients and measure it",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bench.add_argument("--url", default="http://127.0.0.1:8000", help="the server's base URL")
    bench.add_argument("--clients", type=_positive_int, default=100)
    bench.add_argument("--rooms", type=_positive_int, default=10)
    load = bench.add_mutually_exclusive_group()
    load.add_argument(
        "--rate", type=_positive_float, help="offered messages per second per room (open loop)"
    )
    load.add_argument(
        "--in-flight", type=_positive_int, help="messages in flight per room (closed loop)"
    )
    load.add_argument("--idle", action="store_true", help="connect and subscribe only")
    bench.add_argument("--duration", type=_positive_float, default=10.0, help="seconds of load")
    bench.add_argument("--workers", type=_positive_int, default=1, help="generator processes")
    bench.add_argument("--server-pid", type=int, help="default: whoever listens on the port")
    bench.add_argument(
        "--source-addresses", default="", help="comma-separated local addresses to bind"
    )
    bench.add_argument("--body-bytes", type=_positive_int, default=64)
    bench.add_argument("--compression", action="store_true", help="offer permessage-deflate")
    bench.add_argument("--json", type=Path, help="also write the report here")
    bench.add_argument(
        "--serve-dir", type=Path, help="start a throwaway server (SQLite) in this directory"
    )
    bench.add_argument(
        "--reference",
        action="store_true",
        help="also run the same load against a bare websockets relay and report the ratio",
    )
    bench.add_argument(
        "--rounds",
        type=_positive_int,
        default=1,
        help="with --reference: run Parley and the relay alternately this many times and "
        "report each figure's median ratio",
    )
    bench.set_defaults(handler=command_bench)
    return bench


def config_from(
    args: argparse.Namespace, url: str, pid: int | None, reference: bool = False
) -> BenchConfig:
    if args.clients < args.rooms:
        raise BenchError("--clients must be at least --rooms: every room needs a sender")
    mode: Mode = "idle" if args.idle else "rate" if args.rate else "in_flight"
    sources = [a.strip() for a in args.source_addresses.split(",") if a.strip()]
    return BenchConfig(
        url=url.rstrip("/"),
        clients=args.clients,
        rooms=args.rooms,
        mode=mode,
        duration_s=0.0 if args.idle else args.duration,
        rate_per_room=args.rate or 0.0,
        in_flight=args.in_flight or 1,
        workers=min(args.workers, args.clients),
        server_pid=pid,
        source_addresses=sources,
        body_bytes=args.body_bytes,
        compression=args.compression,
        reference=reference,
    )


def command_bench(args: argparse.Namespace) -> int:
    from parley.bench.compare import compare, format_comparison, format_summary, summarise
    from parley.bench.report import format_report

    if args.rounds > 1 and not args.reference:
        print("parley bench: --rounds needs --reference", file=sys.stderr)
        return 2
    pairs: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    try:
        with contextlib.ExitStack() as stack:
            url, pid = args.url, args.server_pid
            if args.serve_dir:
                url, pid = stack.enter_context(bench_server(args.serve_dir))
            for _ in range(args.rounds):
                report: dict[str, Any] = run_bench(config_from(args, url, pid))
                ref_report = None
                if args.reference:
                    server = report.get("server") or {}
                    if server.get("pid"):  # let it finish what the run left (indexing)
                        wait_until_quiet(int(server["pid"]))
                    with reference_relay() as (ref_url, ref_pid):
                        ref_report = run_bench(config_from(args, ref_url, ref_pid, reference=True))
                pairs.append((report, ref_report))
    except (RuntimeError, OSError) as exc:  # BenchError, SetupError and spawn failures
        print(f"parley bench: {exc}", file=sys.stderr)
        return 1
    comparisons = []
    for number, (report, ref_report) in enumerate(pairs, start=1):
        if args.rounds > 1:
            print(f"\n=== round {number} of {args.rounds} ===")
        print(format_report(report))
        if ref_report is not None:
            print("\nreference relay:")
            print(format_report(ref_report))
            comparisons.append(compare(report, ref_report))
            print()
            print(format_comparison(comparisons[-1]))
    result: dict[str, Any] = comparisons[0] if comparisons else pairs[0][0]
    if len(comparisons) > 1:
        result = summarise(comparisons)
        print()
        print(format_summary(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0
