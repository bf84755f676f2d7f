"""Webhook delivery against a real HTTP receiver on 127.0.0.1: signature, retry, backoff."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from kefu.server.webhooks import WebhookWorker, backoff, sign, verify_signature


class Receiver:
    """Answers the queued status codes in order (then 200) and records every request."""

    def __init__(self, codes: list[int]) -> None:
        self.codes = list(codes)
        self.requests: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append((dict(self.headers), body))
                self.send_response(outer.codes.pop(0) if outer.codes else 200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def db(tmp_path: Any) -> Any:
    from kefu.store import open_store

    return open_store(f"sqlite:///{tmp_path / 'k.db'}")


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    r = Receiver([500])
    yield r
    r.close()


def test_sign_and_verify() -> None:
    sig = sign("s3cret", b'{"a":1}')
    assert sig.startswith("sha256=") and len(sig) == 7 + 64
    assert verify_signature("s3cret", b'{"a":1}', sig)
    assert not verify_signature("s3cret", b'{"a":2}', sig) and not verify_signature("other", b'{"a":1}', sig)
    assert not verify_signature("s3cret", b"", None)
    assert [backoff(n, 2.0) for n in (1, 2, 3)] == [2.0, 4.0, 8.0]


def test_failed_attempt_is_retried_with_backoff_and_recorded(db: Any, receiver: Receiver) -> None:
    hook = db.add_webhook(receiver.url, ["handoff.created"])
    [d] = db.enqueue_event("handoff.created", {"conversation_id": "c1", "ticket_id": 7})
    worker = WebhookWorker(db, backoff_s=30.0, max_attempts=3)
    try:
        t0 = datetime.now(UTC)
        assert worker.run_once() == 1                     # receiver answers 500
        [row] = [x for x in db.due_deliveries(t0 + timedelta(seconds=31)) if x.id == d.id]
        assert row.attempts == 1 and row.last_status_code == 500 and row.status == "pending"
        assert row.next_attempt_at >= t0 + timedelta(seconds=29)  # backoff: not due before 30 s
        assert db.due_deliveries() == []
        assert worker.run_once(t0 + timedelta(seconds=31)) == 1  # receiver answers 200
        assert db.due_deliveries(t0 + timedelta(days=1)) == []
    finally:
        worker.stop()
    assert len(receiver.requests) == 2
    headers, body = receiver.requests[1]
    assert headers["X-Kefu-Event"] == "handoff.created" and headers["X-Kefu-Delivery"] == str(d.id)
    assert verify_signature(hook.secret, body, headers["X-Kefu-Signature"])
    assert json.loads(body)["data"] == {"conversation_id": "c1", "ticket_id": 7}
    assert receiver.requests[0][1] == body  # the retry sends the same signed payload


def test_gives_up_after_max_attempts_and_survives_a_dead_receiver(db: Any) -> None:
    db.add_webhook("http://127.0.0.1:9/nothing-listens", ["*"])
    [d] = db.enqueue_event("feedback.created", {"message_id": 1, "thumb": "down"})
    worker = WebhookWorker(db, backoff_s=0.001, max_attempts=2, timeout_s=1.0)
    try:
        worker.run_once()
        time.sleep(0.01)
        worker.run_once()
    finally:
        worker.stop()
    assert db.due_deliveries(datetime.now(UTC) + timedelta(days=1)) == []  # failed, not pending
    with db._tx(write=False) as s:  # no public getter for deliveries: read the row
        from kefu.store.models import WebhookDelivery

        row = s.get(WebhookDelivery, d.id)
        assert row.status == "failed" and row.attempts == 2 and "ConnectError" in row.last_error


def test_background_thread_delivers_and_stops(db: Any, receiver: Receiver) -> None:
    receiver.codes = []
    db.add_webhook(receiver.url, ["conversation.closed"])
    worker = WebhookWorker(db, poll_s=0.05).start()
    try:
        db.enqueue_event("conversation.closed", {"conversation_id": "c9"})
        worker.wake()
        deadline = time.time() + 5
        while not receiver.requests and time.time() < deadline:
            time.sleep(0.02)
        assert receiver.requests and receiver.requests[0][0]["X-Kefu-Event"] == "conversation.closed"
    finally:
        worker.stop()
    assert not worker.running


def test_worker_started_by_the_app_delivers_on_resolve(admin: Any, store: Any, handed_off: Any,
                                                        receiver: Receiver) -> None:
    receiver.codes = []
    r = admin.post("/console/api/webhooks", json={"url": receiver.url, "events": ["conversation.closed"]})
    secret = r.json()["webhook"]["secret"]
    conv, ticket = handed_off
    admin.post(f"/console/api/tickets/{ticket.id}/take")
    admin.post(f"/console/api/tickets/{ticket.id}/resolve")
    deadline = time.time() + 5
    while not receiver.requests and time.time() < deadline:
        time.sleep(0.02)
    headers, body = receiver.requests[0]
    assert verify_signature(secret, body, headers["X-Kefu-Signature"])
    assert json.loads(body)["data"]["conversation_id"] == conv.id


def test_worker_stops_when_the_app_shuts_down(settings: Any) -> None:
    from fastapi.testclient import TestClient

    from kefu.llm.fake import FakeLLM
    from kefu.server.app import create_app

    app = create_app(settings, FakeLLM())
    with TestClient(app):
        worker = app.state.kefu.extras["webhook_worker"]
        assert worker.running
    deadline = time.time() + 5
    while worker.running and time.time() < deadline:
        time.sleep(0.05)
    assert not worker.running
