"""The console API through the real app: auth, roles, takeover, review, KB, analytics, webhooks."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi.testclient import TestClient

PASSWORD = "correct-horse-battery"  # as in conftest.py


def test_every_console_route_needs_a_session(client: TestClient) -> None:
    for method, path in [("GET", "/console/api/me"), ("GET", "/console/api/queue"),
                         ("GET", "/console/api/conversations"), ("POST", "/console/api/tickets/1/take"),
                         ("GET", "/console/api/kb"), ("GET", "/console/api/analytics"),
                         ("GET", "/console/api/webhooks"), ("POST", "/console/api/corrections/1/faq")]:
        r = client.request(method, path)
        assert r.status_code == 401, (path, r.text)
        err = r.json()["error"]
        assert err["type"] == "authentication_error" and "log" in err["message"]


def test_login_wrong_password_then_right_then_logout(client: TestClient) -> None:
    r = client.post("/console/api/login", json={"username": "admin", "password": "nope"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_credentials"
    r = client.post("/console/api/login", json={"username": "admin", "password": PASSWORD})
    assert r.status_code == 200 and r.json()["agent"]["role"] == "admin"
    assert "httponly" in r.headers["set-cookie"].lower() and "samesite=strict" in r.headers["set-cookie"].lower()
    cookie = client.cookies.get("kefu_console")
    assert client.get("/console/api/me").json()["agent"]["username"] == "admin"
    client.post("/console/api/logout")
    assert client.get("/console/api/me").status_code == 401
    # the old cookie, replayed after logout, is refused too
    client.cookies.clear()
    client.cookies.set("kefu_console", cookie)
    assert client.get("/console/api/me").status_code == 401


def test_tampered_cookie_is_refused(admin: TestClient) -> None:
    cookie = admin.cookies.get("kefu_console")
    payload, _, sig = cookie.partition(".")
    admin.cookies.clear()
    admin.cookies.set("kefu_console", payload + "." + ("0" if sig[0] != "0" else "1") + sig[1:])
    assert admin.get("/console/api/me").status_code == 401


def test_generated_admin_password_is_saved(tmp_path: Any) -> None:
    from kefu.config import load_settings
    from kefu.server.console_auth import bootstrap_admin
    from kefu.store import open_store

    s = load_settings(None, data_dir=str(tmp_path))
    store = open_store(f"sqlite:///{tmp_path / 'k.db'}")
    assert bootstrap_admin(store, s) == "admin"
    password = (tmp_path / "admin-password.txt").read_text().strip()
    assert len(password) >= 16 and store.authenticate("admin", password) is not None
    assert bootstrap_admin(store, s) is None  # only once


def test_agent_role_cannot_change_kb_or_webhooks(admin: TestClient, client: TestClient) -> None:
    r = admin.post("/console/api/agents", json={"username": "alice", "password": "alice-password"})
    assert r.status_code == 201
    client.post("/console/api/logout")
    assert client.post("/console/api/login", json={"username": "alice", "password": "alice-password"}).status_code == 200
    assert client.get("/console/api/queue").status_code == 200
    for method, path in [("GET", "/console/api/webhooks"), ("POST", "/console/api/kb/reingest"),
                         ("POST", "/console/api/agents")]:
        r = client.request(method, path, json={})
        assert r.status_code == 403, (path, r.text)
        assert r.json()["error"]["type"] == "permission_error"


def test_queue_take_reply_return_resolve(admin: TestClient, store: Any, state: Any, handed_off: Any) -> None:
    conv, ticket = handed_off
    bus = state.extras["events"]
    seen: list[dict[str, Any]] = []

    async def listen() -> None:
        async for ev in bus.subscribe(conv.id, ping_s=0.05):
            if ev is None:
                return
            seen.append(ev)

    q = admin.get("/console/api/queue").json()["data"]
    assert [t["id"] for t in q] == [ticket.id]
    assert q[0]["last_customer_text"].startswith("How long") and q[0]["status"] == "queued"

    loop = asyncio.new_event_loop()
    task = loop.create_task(listen())
    loop.run_until_complete(asyncio.sleep(0.01))  # subscribed
    r = admin.post(f"/console/api/tickets/{ticket.id}/take")
    assert r.status_code == 200 and r.json()["ticket"]["status"] == "assigned"
    assert store.get_conversation(conv.id).status == "agent"
    r = admin.post(f"/console/api/conversations/{conv.id}/reply", json={"text": "Hi, it is 1 year."})
    assert r.status_code == 200 and r.json()["message"]["role"] == "agent"
    loop.run_until_complete(task)
    loop.close()
    kinds = [(e["type"], e.get("status") or e["message"]["role"]) for e in seen]
    assert kinds == [("status", "agent"), ("message", "system"), ("message", "agent")]
    assert seen[2]["message"]["text"] == "Hi, it is 1 year."

    r = admin.post(f"/console/api/tickets/{ticket.id}/return")
    assert r.json()["ticket"]["status"] == "returned" and store.get_conversation(conv.id).status == "open"
    assert admin.get("/console/api/queue").json()["data"] == []
    # a reply to a conversation nobody handed off is refused with a hint
    r = admin.post(f"/console/api/conversations/{conv.id}/reply", json={"text": "hello?"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "not_taken_over"
    t2 = store.open_handoff(conv.id, "complaint")
    assert admin.post(f"/console/api/tickets/{t2.id}/take").status_code == 200
    assert admin.post(f"/console/api/tickets/{t2.id}/resolve").json()["ticket"]["status"] == "resolved"
    assert store.get_conversation(conv.id).status == "closed"
    assert admin.post(f"/console/api/tickets/{t2.id}/take").status_code == 400  # already resolved


def test_conversation_browser_shows_prompt_sources_and_feedback(admin: TestClient, store: Any,
                                                                 handed_off: Any) -> None:
    conv, _ = handed_off
    rows = admin.get("/console/api/conversations", params={"search": "warranty"}).json()["data"]
    assert [r["id"] for r in rows] == [conv.id] and rows[0]["messages"] == 2
    assert admin.get("/console/api/conversations", params={"search": "no such words"}).json()["data"] == []
    answer = store.messages(conv.id, roles=("assistant",))[0]
    store.add_feedback(answer.id, "down", "wrong period")
    d = admin.get(f"/console/api/conversations/{conv.id}").json()
    a = d["messages"][1]
    assert a["prompt"][1]["content"] == "warranty?" and a["latency_ms"] == 120 and a["model"] == "fake"
    assert a["sources"][0]["text"].startswith("Kettles") and a["feedback"] == "down"
    assert a["feedback_comment"] == "wrong period" and d["ticket"]["status"] == "queued"
    assert admin.get("/console/api/conversations/nope").status_code == 404


def test_correction_then_add_to_faq_is_found_by_the_kb(admin: TestClient, store: Any, handed_off: Any) -> None:
    conv, _ = handed_off
    answer = store.messages(conv.id, roles=("assistant",))[0]
    r = admin.post(f"/console/api/messages/{answer.id}/correction",
                   json={"text": "The Lumo kettle has a 1 year warranty."})
    assert r.status_code == 201
    cid = r.json()["correction"]["id"]
    listed = admin.get("/console/api/corrections").json()["data"]
    assert listed[0]["question"].startswith("How long") and listed[0]["bot_answer"] == "Six months [1]."
    r = admin.post(f"/console/api/corrections/{cid}/faq")
    assert r.status_code == 200, r.text
    assert r.json()["correction"]["added_to_faq"] is True and r.json()["ingest"]["added"] == 1
    s = admin.get("/console/api/kb/search", params={"q": "How long is the warranty on the Lumo kettle?"}).json()
    assert s["faq"] is not None and "1 year warranty" in s["faq"]["faq_answer"]
    kb = admin.get("/console/api/kb").json()
    assert any(d["kind"] == "faq" and d["source"].endswith(f"/{cid}") for d in kb["documents"])
    # a customer message cannot be "corrected"
    q = store.messages(conv.id, roles=("customer",))[0]
    assert admin.post(f"/console/api/messages/{q.id}/correction", json={"text": "x"}).status_code == 400


def test_kb_upload_reingest_search(admin: TestClient, settings: Any, tmp_path: Any) -> None:
    files = [("files", ("shipping.md", b"# Shipping\n\nOrders ship within 48 hours by SF Express.\n", "text/markdown")),
             ("files", ("returns.txt", "七天无理由退货，运费由买家承担。".encode(), "text/plain"))]
    r = admin.post("/console/api/kb/upload", files=files)
    assert r.status_code == 200, r.text
    assert r.json()["added"] == 2 and sorted(r.json()["uploaded"]) == ["returns.txt", "shipping.md"]
    hits = admin.get("/console/api/kb/search", params={"q": "SF Express shipping"}).json()["data"]
    assert hits and "48 hours" in hits[0]["text"]
    r = admin.post("/console/api/kb/reingest").json()
    assert r["skipped"] == 2 and r["added"] == 0 and r["missing"] == []
    assert admin.post("/console/api/kb/upload", data={"x": "1"}).status_code == 400
    assert admin.get("/console/api/kb/search", params={"q": " "}).status_code == 400


def test_analytics_window(admin: TestClient, store: Any, handed_off: Any) -> None:
    r = admin.get("/console/api/analytics", params={"days": 7})
    assert r.status_code == 200
    a = r.json()
    assert len(a["volume"]) == 7 and a["volume"][-1]["conversations"] == 1
    assert a["summary"]["handoffs"] == 1 and a["summary"]["handoff_rate"] == 1.0
    assert a["intents"] == [{"intent": "product_question", "count": 1}]
    assert admin.get("/console/api/analytics", params={"days": 0}).status_code == 400


def test_webhook_crud(admin: TestClient) -> None:
    r = admin.post("/console/api/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["handoff.created"]})
    assert r.status_code == 201 and len(r.json()["webhook"]["secret"]) >= 16
    wid = r.json()["webhook"]["id"]
    listed = admin.get("/console/api/webhooks").json()
    assert [w["id"] for w in listed["data"]] == [wid] and "secret" not in listed["data"][0]
    bad = admin.post("/console/api/webhooks", json={"url": "http://x.example/h", "events": ["nope"]})
    assert bad.status_code == 400 and "unknown webhook event" in bad.json()["error"]["message"]
    assert admin.delete(f"/console/api/webhooks/{wid}").status_code == 200
    assert admin.get("/console/api/webhooks").json()["data"] == []


def test_static_pages_are_served(client: TestClient) -> None:
    assert "<script" in client.get("/").text and "widget.js" in client.get("/").text
    js = client.get("/widget.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert "console.js" in client.get("/console").text
    assert client.get("/static/console.css").status_code == 200
    assert client.get("/static/..%2Fapp.py").status_code == 404
