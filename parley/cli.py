"""The `parley` command: serve, migrate, admin, bench, files, export, import."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from parley import __version__
from parley.core.commands import prepare_database, run_database, settings_from_args
from parley.core.config import ConfigError


def _fail(message: str, code: int = 2) -> int:
    print(f"parley: {message}", file=sys.stderr)
    return code


_settings_from = settings_from_args
_run_database = run_database
_prepare_database = prepare_database


def command_serve(args: argparse.Namespace) -> int:
    settings = _settings_from(args)  # before the heavy imports: a bad setting fails fast
    workers = args.workers
    if workers < 1:
        raise ConfigError("--workers must be at least 1")
    if workers > 1 and settings.bus == "memory":
        raise ConfigError(
            f"--workers {workers} needs a shared bus (PARLEY_BUS=redis or kafka, and a shared "
            "database): with the in-process bus each worker would deliver only its own "
            "clients' messages"
        )

    import uvicorn

    from parley.app import create_app
    from parley.core.logging import configure_logging
    from parley.core.serving import (
        CollectorTunedServer,
        UpgradeHandler,
        deadline_protocol,
        raise_open_file_limit,
    )
    from parley.realtime.gateway import WS_PATH
    from parley.realtime.native import NativeGateway
    from parley.realtime.wire import FastWebSocketProtocol

    configure_logging(settings.log_level)
    raise_open_file_limit()
    # create the key files now, once, before `--workers` forks: not on the first request,
    # not in a race of workers
    _ = settings.signing_key
    from parley.notify.vapid import Vapid

    _ = Vapid(settings).public_key
    _run_database(_prepare_database(settings))

    def server() -> uvicorn.Server:
        app = create_app(settings)
        routes: dict[str, UpgradeHandler] = {}
        if settings.ws_native and settings.role != "api":
            routes[WS_PATH] = NativeGateway(
                app, settings.forwarded_allow_ips, settings.ws_ping_interval_seconds
            )
        config = uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
            proxy_headers=False,
            timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
            server_header=False,
            http=deadline_protocol(settings.request_header_timeout_seconds, routes),
            ws=FastWebSocketProtocol,
            ws_max_size=settings.ws_max_frame_bytes,
            ws_per_message_deflate=False,
            ws_ping_interval=settings.ws_ping_interval_seconds,
            ws_ping_timeout=settings.ws_ping_interval_seconds,
        )
        return CollectorTunedServer(config, settings.gc_young_threshold)

    if workers == 1:
        server().run()
        return 0
    from parley.core.workers import Supervisor

    return Supervisor(workers, settings.host, settings.port, lambda s: server().run([s])).run()


def command_migrate(args: argparse.Namespace) -> int:
    from alembic.util import CommandError

    from parley.core.database import create_engine
    from parley.core.migrate import upgrade_database

    settings = _settings_from(args)

    async def run() -> None:
        engine = create_engine(settings)
        try:
            await upgrade_database(engine, args.revision)
        finally:
            await engine.dispose()

    try:
        _run_database(run())
    except CommandError as exc:  # e.g. an unknown revision
        raise ConfigError(f"cannot migrate: {exc}") from None
    print(f"database migrated to {args.revision}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parley", description="Parley chat server")
    parser.add_argument("--config", help="a TOML settings file (same names as PARLEY_* vars)")
    parser.add_argument("--version", action="version", version=f"parley {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--role", choices=["all", "api", "gateway"])
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes sharing the port (SO_REUSEPORT); needs the Redis or Kafka bus",
    )
    serve.set_defaults(handler=command_serve)

    migrate = commands.add_parser("migrate", help="bring the database schema up to date")
    migrate.add_argument("revision", nargs="?", default="head")
    migrate.set_defaults(handler=command_migrate)

    from parley.admin.cli import add_admin_parser

    add_admin_parser(commands)

    from parley.bench.cli import add_bench_parser

    add_bench_parser(commands)

    from parley.files.cli import add_files_parser

    add_files_parser(commands)

    from parley.search.cli import add_search_parser

    add_search_parser(commands)

    from parley.transfer.cli import add_transfer_parsers

    add_transfer_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from parley import flows

    flows.install()
    try:
        result: int = args.handler(args)
    except ConfigError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
    return result
