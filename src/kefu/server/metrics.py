"""Prometheus metrics, one registry per app (so tests and several apps don't collide)."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from kefu.server.runtime import GenerationQueue

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    def __init__(self, queue: GenerationQueue) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("kefu_requests", "HTTP requests", ["route", "status"], registry=r)
        self.latency = Histogram("kefu_request_latency_seconds", "Request latency (until the last byte)",
                                 ["route"], buckets=LATENCY_BUCKETS, registry=r)
        self.ttft = Histogram("kefu_time_to_first_token_seconds", "Time to first generated token",
                              buckets=LATENCY_BUCKETS, registry=r)
        self.tokens = Counter("kefu_tokens", "Tokens processed", ["kind"], registry=r)
        queue_depth = Gauge("kefu_queue_depth", "Requests waiting for a model slot", registry=r)
        queue_depth.set_function(lambda: queue.waiting)
        running = Gauge("kefu_generations_running", "Generations running now", registry=r)
        running.set_function(lambda: queue.running)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Pure ASGI (it must not buffer streamed responses): counts requests by route template
    and status, and times them to the last byte."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}

        async def send_wrapper(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", None) or "unmatched"
            self.metrics.requests.labels(name, str(status["code"])).inc()
            self.metrics.latency.labels(name).observe(time.perf_counter() - start)
