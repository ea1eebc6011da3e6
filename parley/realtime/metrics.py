"""Prometheus metrics of one process, read from the live components at scrape time.

Nothing on the hot path touches a metrics object: the writer, hub, bus and relay keep plain
integer counters, and this collector turns them into samples when `/metrics` is scraped.
Each app gets its own registry (tests run several apps in one process).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from parley.core.admission import WorkersCollector
from parley.core.collector import CollectorMetrics
from parley.core.runtime import Runtime
from parley.realtime.bus_remote import RemoteBus
from parley.realtime.connection import writes_made

if TYPE_CHECKING:
    from parley.realtime.service import Realtime


class RealtimeCollector(Collector):
    def __init__(self, realtime: Realtime) -> None:
        self.realtime = realtime

    def collect(self) -> Iterator[Metric]:
        rt = self.realtime
        hub, writer, bus, relay = rt.hub, rt.writer, rt.bus, rt.relay
        role = rt.settings.role
        yield _gauge(
            "parley_connections",
            "open WebSocket connections",
            sum(map(len, hub.connections.values())),
        )
        yield _gauge("parley_rooms_open", "rooms with a local subscriber", len(hub.channels))
        yield _counter("parley_messages_written", "messages stored by this process", writer.written)
        yield _counter(
            "parley_message_batches", "group commits of the message writer", writer.batches
        )
        yield _counter(
            "parley_deliveries",
            "frames written to local subscribers",
            getattr(hub, "deliveries", 0),
        )
        yield _counter(
            "parley_ws_writes",
            "writes to WebSocket connections (a batch's frames to one connection are one)",
            writes_made(),
        )
        remote = bus if isinstance(bus, RemoteBus) else None
        yield _counter(
            "parley_bus_published", "events handed to the bus", remote.published if remote else 0
        )
        yield _counter(
            "parley_bus_received",
            "events received from other processes",
            remote.received if remote else 0,
        )
        yield _counter(
            "parley_bus_publish_errors",
            "failed bus publications (retried)",
            remote.publish_errors if remote else 0,
        )
        yield _counter(
            "parley_bus_dropped",
            "events dropped from a full outgoing queue",
            remote.dropped if remote else 0,
        )
        yield _gauge(
            "parley_bus_backlog", "events waiting for the bus", remote.backlog if remote else 0
        )
        yield _gauge(
            "parley_bus_connected",
            "1 while this process receives from the bus",
            1 if remote is None or remote.connected or not remote.consume else 0,
        )
        yield _gauge(
            "parley_relay_lag_seconds",
            "age of the oldest outbox event not yet published",
            relay.lag_seconds,
        )
        yield _counter("parley_relay_published", "outbox events published", relay.published)
        info = GaugeMetricFamily("parley_info", "this process", labels=["role", "bus"])
        info.add_metric([role, rt.settings.bus], 1)
        yield info


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, documentation, value=value)


def register_metrics(runtime: Runtime, realtime: Realtime) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RealtimeCollector(realtime))
    registry.register(WorkersCollector(runtime.hasher.workers, "password_hash", "password hashes"))
    registry.register(CollectorMetrics())
    runtime.metrics = registry
    return registry
