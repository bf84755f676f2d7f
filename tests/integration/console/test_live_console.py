"""A live server on loopback: customer routes -> store events -> signed webhooks arriving at a real
HTTP receiver (with one retry), and the console's SSE stream seeing an agent's reply."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from kefu.server.webhooks import verify_signature

pytestmark = pytest.mark.integration
PASSWORD = "integration-password"


def _receiver(codes: list[int]) -> tuple[ThreadingHTTPServer, list[tuple[dict[str, str], bytes]]]:
    got: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server API)
            got.append((dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(codes.pop(0) if codes else 204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, got


def test_webhooks_and_takeover_over_http(kefu_server_factory: Any, tmp_path: Any) -> None:
    from kefu.llm.fake import FakeLLM
    from kefu.server.console_routes import detach

    server = kefu_server_factory(FakeLLM(), data_dir=str(tmp_path), knowledge={"embedder": "hash-256"},
                                 dialog={"load_demo": False},
                                 console={"admin_password": PASSWORD, "webhook_backoff_s": 0.3,
                                          "webhook_poll_s": 0.1})
    state = server.server.config.app.state.kefu
    recv, got = _receiver([503])  # the first delivery fails and must be retried
    try:
        with httpx.Client(base_url=server.root_url, timeout=10) as http:
            assert http.get("/console/api/queue").status_code == 401
            assert http.post("/console/api/login", json={"username": "admin", "password": PASSWORD}).status_code == 200
            url = f"http://127.0.0.1:{recv.server_address[1]}/hook"
            secret = http.post("/console/api/webhooks", json={"url": url, "events": ["handoff.created"]}
                               ).json()["webhook"]["secret"]
            conv = http.post("/v1/conversations", json={"language": "en"}).json()
            ticket = http.post(f"/v1/conversations/{conv['id']}/handoff", json={"reason": "test"}).json()

            deadline = time.time() + 10
            while len(got) < 2 and time.time() < deadline:
                time.sleep(0.05)
            assert len(got) == 2, got
            for headers, body in got:
                assert headers["X-Kefu-Event"] == "handoff.created"
                assert verify_signature(secret, body, headers["X-Kefu-Signature"])
            assert json.loads(got[1][1])["data"]["ticket_id"] == ticket["ticket_id"]

            # the console's event stream sees the agent's reply
            lines: list[str] = []

            def read_stream() -> None:
                with http.stream("GET", f"/console/api/conversations/{conv['id']}/events") as r:
                    for line in r.iter_lines():
                        lines.append(line)
                        if "hello from ada" in line:
                            return

            reader = threading.Thread(target=read_stream, daemon=True)
            reader.start()
            time.sleep(0.3)
            assert http.post(f"/console/api/tickets/{ticket['ticket_id']}/take").status_code == 200
            r = http.post(f"/console/api/conversations/{conv['id']}/reply", json={"text": "hello from ada"})
            assert r.status_code == 200
            reader.join(10)
            assert "event: status" in lines and any("hello from ada" in x for x in lines)
            customer_view = http.get(f"/v1/conversations/{conv['id']}").json()
            assert customer_view["status"] == "agent"
            assert [m["role"] for m in customer_view["messages"]][-2:] == ["system", "agent"]
    finally:
        recv.shutdown()
        recv.server_close()
        detach(state)
