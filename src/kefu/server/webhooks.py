"""Webhook delivery: signed JSON POSTs with retries and exponential backoff.

Events are queued in the store (``store.enqueue_event("handoff.created", {...})`` writes one
pending delivery per subscribed webhook, in the same database as everything else, so nothing is
lost on a restart). :class:`WebhookWorker` is a background thread that sends due deliveries::

    POST <webhook url>
    Content-Type: application/json
    X-Kefu-Event: handoff.created
    X-Kefu-Delivery: 17
    X-Kefu-Signature: sha256=<hex HMAC-SHA256(webhook secret, raw body)>

    {"id": 17, "event": "handoff.created", "created_at": "2026-11-23T10:00:00+00:00", "data": {...}}

A 2xx answer marks the delivery delivered; anything else (or a timeout) is retried after
``backoff_s * 2**(attempt-1)`` seconds (2, 4, 8, ... by default) up to ``max_attempts``, then it is
marked failed. Receivers verify with :func:`verify_signature`. Delivery is at-least-once: a
receiver that answers after the timeout may see the same ``X-Kefu-Delivery`` twice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

log = logging.getLogger("kefu.webhooks")

EVENTS = ("handoff.created", "feedback.created", "conversation.closed")


def sign(secret: str, body: bytes) -> str:
    """The X-Kefu-Signature header value for ``body``: ``sha256=<hex digest>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Receiver side: True when ``header`` is the signature of ``body`` (constant-time compare)."""
    return bool(header) and hmac.compare_digest(sign(secret, body), header or "")


def backoff(attempt: int, base_s: float) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based): base * 2**(attempt-1)."""
    return base_s * 2 ** (attempt - 1)


class WebhookWorker:
    """Sends due deliveries from ``store`` every ``poll_s`` seconds on one daemon thread.

    ``alive`` (optional) is asked before every poll; the worker stops when it returns False (the
    server passes a check that its app is still running, so no thread outlives the app).
    """

    def __init__(self, store: Any, *, timeout_s: float = 5.0, max_attempts: int = 6, backoff_s: float = 2.0,
                 poll_s: float = 1.0, alive: Callable[[], bool] | None = None) -> None:
        self.store = store
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.poll_s = poll_s
        self.alive = alive
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._client = httpx.Client(timeout=timeout_s, follow_redirects=False)

    def start(self) -> WebhookWorker:
        self._thread = threading.Thread(target=self._run, name="kefu-webhooks", daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        """Look for due deliveries now (e.g. right after an event was queued)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._client.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.alive is not None and not self.alive():
                log.info("webhook worker: the app stopped; exiting")
                return
            try:
                self.run_once()
            except Exception:  # a database hiccup must not kill the worker; try again next poll
                log.exception("webhook worker: poll failed")
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def run_once(self, now: datetime | None = None) -> int:
        """Attempt every due delivery once; returns how many were attempted."""
        due = self.store.due_deliveries(now)
        if not due:
            return 0
        hooks = {h.id: h for h in self.store.list_webhooks(active_only=False)}
        for d in due:
            if self._stop.is_set():
                break
            hook = hooks.get(d.webhook_id)
            if hook is None or not hook.active:
                self.store.record_attempt(d.id, ok=False, error="webhook removed or disabled")
                continue
            self._deliver(d, hook)
        return len(due)

    def _deliver(self, d: Any, hook: Any) -> None:
        body = json.dumps({"id": d.id, "event": d.event, "created_at": d.created_at.isoformat(), "data": d.payload},
                          ensure_ascii=False, separators=(",", ":"), default=str).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "kefu-webhooks",
                   "X-Kefu-Event": d.event, "X-Kefu-Delivery": str(d.id), "X-Kefu-Signature": sign(hook.secret, body)}
        code: int | None = None
        error: str | None = None
        try:
            resp = self._client.post(hook.url, content=body, headers=headers)
            code = resp.status_code
            if not 200 <= code < 300:
                error = f"HTTP {code}"
        except httpx.HTTPError as e:
            error = f"{type(e).__name__}: {e}"[:500]
        attempt = d.attempts + 1
        if error is None:
            self.store.record_attempt(d.id, ok=True, status_code=code)
            return
        retry_at = None
        if attempt < self.max_attempts:
            retry_at = datetime.now(UTC) + timedelta(seconds=backoff(attempt, self.backoff_s))
        log.warning("webhook %s (%s) delivery %d attempt %d failed: %s%s", hook.url, d.event, d.id, attempt, error,
                    f"; retry at {retry_at:%H:%M:%S}" if retry_at else "; giving up")
        self.store.record_attempt(d.id, ok=False, status_code=code, error=error, retry_at=retry_at)
