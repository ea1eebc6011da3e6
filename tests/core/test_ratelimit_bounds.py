"""In-memory token buckets forget refilled keys: a flood of distinct keys costs no memory
once it stops, and pruning never loosens a bucket that is still draining."""

from __future__ import annotations

import time

from parley.core.ratelimit import LocalRateLimiter, LocalThrottle, TokenBucket

KEYS = 100_000


def wait_until_refilled(bucket: TokenBucket) -> None:
    time.sleep(bucket.refill_seconds * 1.5 + 0.01)


async def test_a_hundred_thousand_senders_leave_nothing_behind_once_refilled() -> None:
    """The send limiter of the embedded mode (per member id), at a fast refill."""
    limiter = LocalRateLimiter(rate=200.0, burst=10.0)  # refilled 50 ms after the last send
    for member in range(KEYS):
        assert await limiter.take(str(member)) == 0.0
    assert len(limiter.bucket) <= KEYS
    wait_until_refilled(limiter.bucket)
    assert await limiter.take("one more") == 0.0
    assert len(limiter.bucket) == 1, "refilled buckets must be dropped"


async def test_typing_throttle_keys_are_dropped_after_the_interval() -> None:
    throttle = LocalThrottle(interval_seconds=0.05)
    for key in range(KEYS):
        assert await throttle.allow(f"{key}:7")
    wait_until_refilled(throttle.bucket)
    assert await throttle.allow("late:7")
    assert len(throttle.bucket) == 1


def test_a_draining_bucket_survives_the_pruning_of_others() -> None:
    bucket = TokenBucket(rate=1.0, burst=3.0)  # 3 s to refill: longer than this test
    for _ in range(3):
        assert bucket.take("flooder") == 0.0
    assert bucket.take("flooder") > 0.5
    for key in range(10_000):
        bucket.take(key)
    assert bucket.take("flooder") > 0.0, "pruning must not hand a drained bucket its burst"


def test_the_map_never_exceeds_max_keys() -> None:
    """Distinct keys faster than they refill: the least recently used go first."""
    bucket = TokenBucket(rate=0.001, burst=1.0, max_keys=1000)  # nothing refills here
    assert bucket.take("recent") == 0.0
    for key in range(5000):
        bucket.take(key)
        bucket.take("recent")  # touched all along: never the one evicted
    assert len(bucket) <= 1000
    assert bucket.take("recent") > 0.0
