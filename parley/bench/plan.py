"""What each worker process does, decided once in the parent and shipped to the workers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["rate", "in_flight", "idle"]
MARK = "bench:"  # bodies start with `bench:<intended monotonic ns>:`; receivers look for it


@dataclass(frozen=True)
class ClientSpec:
    index: int
    token: str
    room_id: int
    sender: bool


@dataclass(frozen=True)
class WorkerPlan:
    worker: int
    ws_url: str
    clients: list[ClientSpec]
    mode: Mode
    rate_per_room: float = 0.0
    rooms: int = 1
    in_flight: int = 1
    duration_s: float = 10.0
    drain_s: float = 2.0
    body_bytes: int = 64
    source_addresses: list[str] = field(default_factory=list)
    connect_concurrency: int = 100
    compression: bool = False


@dataclass(kw_only=True)
class Tally:
    """The counters every worker keeps; the report's totals are their sum."""

    connected: int = 0
    connected_per_room: Counter[int] = field(default_factory=Counter)
    connect_failures: Counter[str] = field(default_factory=Counter)
    sent: int = 0
    acked: int = 0
    acked_per_room: Counter[int] = field(default_factory=Counter)
    delivered: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    closes: Counter[str] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        """Add another tally's counters to this one."""
        for name in ("connected", "sent", "acked", "delivered"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in (
            "connected_per_room",
            "connect_failures",
            "acked_per_room",
            "errors",
            "closes",
        ):
            getattr(self, name).update(getattr(other, name))


@dataclass
class WorkerResult(Tally):
    """One worker's counters and encoded histograms: picklable and summable."""

    worker: int
    delivery_hist: bytes = b""
    ack_hist: bytes = b""
    cpu_s: float = 0.0
    load_wall_s: float = 0.0


def assign(
    count: int, rooms: int, workers: int, tokens: list[str], room_ids: list[int]
) -> list[list[ClientSpec]]:
    """Client i is member i, in room i % rooms, run by worker i % workers.

    The first client of each room (client j for room j) is that room's sender, so senders
    are spread over the workers too.
    """
    plans: list[list[ClientSpec]] = [[] for _ in range(workers)]
    for i in range(count):
        spec = ClientSpec(i, tokens[i], room_ids[i % rooms], sender=i < rooms)
        plans[i % workers].append(spec)
    return plans


def room_of(index: int, rooms: int) -> int:
    return index % rooms


def body_for(intended_ns: int, number: int, size: int) -> str:
    head = f"{MARK}{intended_ns}:{number}:"
    return head + "x" * max(0, size - len(head))


def intended_ns_of(raw: str) -> int | None:
    """The intended send time carried in a raw `message` frame, without decoding JSON."""
    start = raw.find(MARK)
    if start < 0:
        return None
    start += len(MARK)
    end = raw.find(":", start)
    try:
        return int(raw[start:end])
    except ValueError:
        return None
