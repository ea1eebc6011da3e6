"""`parley serve` tunes the garbage collector once started (parley.core.collector): start-up's
objects frozen, a young threshold of 50,000; `PARLEY_GC_YOUNG_THRESHOLD=0` keeps Python's."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.support.server import running_server


def _samples(text: str) -> dict[str, float]:
    found = re.findall(r"^(parley_gc_\w+(?:\{[^}]*\})?) (\S+)$", text, re.MULTILINE)
    return {name: float(value) for name, value in found}


@pytest.mark.parametrize(
    ("env", "threshold"), [({}, 50_000), ({"PARLEY_GC_YOUNG_THRESHOLD": "0"}, 700)]
)
def test_the_served_process_freezes_start_up_and_raises_the_young_threshold(
    tmp_path: Path, env: dict[str, str], threshold: int
) -> None:
    with running_server(tmp_path, env=env) as server:
        metrics = _samples(httpx.get(f"{server.base_url}/metrics", timeout=10).text)
    assert metrics["parley_gc_young_threshold"] == threshold
    frozen = metrics["parley_gc_frozen_objects"]
    if threshold == 700:
        assert frozen == 0
    else:  # modules, metadata, routes: far more than a handful
        assert frozen > 50_000, frozen
    assert 'parley_gc_collections_total{generation="2"}' in metrics
