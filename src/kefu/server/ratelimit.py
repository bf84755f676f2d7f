"""Per-client rate limiting for the public customer routes (a token bucket per client key).

In-process: behind several replicas, put the limit in the load balancer or a shared store."""

from __future__ import annotations

import threading
import time

from kefu.errors import OverloadedError


class RateLimiter:
    def __init__(self, per_minute: int, burst: int | None = None, max_clients: int = 100_000) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(burst or max(1, per_minute // 3 or 1))
        self.max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        """Take one token for ``key`` or raise 429."""
        if self.rate <= 0:
            return
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens < 1.0:
                wait = (1.0 - tokens) / self.rate
                raise OverloadedError(f"too many messages from this client; retry in {wait:.0f} s",
                                      hint="slow down", code="rate_limited")
            if len(self._buckets) >= self.max_clients:
                self._buckets.clear()  # crude bound on memory under a flood of distinct clients
            self._buckets[key] = (tokens - 1.0, now)
