"""The assistant's customer routes over HTTP (TestClient), with the demo company loaded into a
knowledge base on a hashing embedder and the scripted LLM."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from kefu.config import load_settings
from kefu.llm.fake import FakeLLM
from kefu.server.app import create_app


@pytest.fixture(scope="module")
def app_client(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("assistant-api")
    settings = load_settings(None, data_dir=str(tmp), knowledge={"embedder": "hash-256"},
                             server={"rate_limit_per_minute": 600})
    llm = FakeLLM(model_id="fake")
    with TestClient(create_app(settings, llm)) as client:
        yield client, llm, client.app.state.kefu


def sse(text: str) -> list[tuple[str, dict]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in lines:
            out.append((lines["event"], json.loads(lines["data"])))
    return out


def test_demo_is_loaded_on_first_start(app_client):
    _, _, state = app_client
    kb = state.extras["kb"].open("default")
    stats = kb.stats()
    assert stats["documents"] >= 20 and stats["faq_questions"] >= 60 * 3


def test_conversation_stream_and_json(app_client):
    client, llm, _ = app_client
    conv = client.post("/v1/conversations", json={"channel": "web"}).json()
    r = client.post(f"/v1/conversations/{conv['id']}/messages", json={"text": "Where is my order LM2026110009?"})
    events = sse(r.text)
    kinds = [k for k, _ in events]
    assert kinds[0] == "meta" and kinds[-1] == "done" and "token" in kinds
    done = events[-1][1]
    assert "LM2026110009" in done["message"]["text"] and done["silent"] is False
    r = client.post(f"/v1/conversations/{conv['id']}/messages", json={"text": "hello", "stream": False})
    body = r.json()
    assert body["customer_message"]["text"] == "hello" and body["message"]["role"] == "assistant"
    got = client.get(f"/v1/conversations/{conv['id']}").json()
    assert [m["role"] for m in got["messages"]] == ["customer", "assistant", "customer", "assistant"]


def test_feedback_rating_and_handoff(app_client):
    client, _, state = app_client
    conv = client.post("/v1/conversations", json={}).json()["id"]
    r = client.post(f"/v1/conversations/{conv}/messages", json={"text": "hi", "stream": False}).json()
    mid = r["message"]["id"]
    assert client.post(f"/v1/messages/{mid}/feedback", json={"thumb": "down", "comment": "meh"}).json() == {"ok": True}
    assert client.get(f"/v1/conversations/{conv}").json()["messages"][-1]["feedback"] == "down"
    assert client.post(f"/v1/messages/{r['customer_message']['id']}/feedback", json={"thumb": "up"}).status_code == 400
    assert client.post(f"/v1/conversations/{conv}/rating", json={"rating": 6}).status_code == 400
    assert client.post(f"/v1/conversations/{conv}/rating", json={"rating": 4}).json() == {"ok": True}
    t = client.post(f"/v1/conversations/{conv}/handoff", json={"reason": "wants a person"}).json()
    assert t["status"] == "queued"
    assert state.extras["store"].get_conversation(conv).status == "handoff"


def test_errors(app_client):
    client, _, _ = app_client
    assert client.get("/v1/conversations/nope").status_code == 404
    conv = client.post("/v1/conversations", json={}).json()["id"]
    assert client.post(f"/v1/conversations/{conv}/messages", json={"text": ""}).status_code == 400
    assert client.post(f"/v1/conversations/{conv}/messages", json={"text": "x" * 5000}).status_code == 400
    assert client.post("/v1/conversations", json={"language": "fr"}).status_code == 400


def test_kefu_assistant_model_on_chat_completions(app_client):
    client, _, _ = app_client
    assert "kefu-assistant" in [m["id"] for m in client.get("/v1/models").json()["data"]]
    r = client.post("/v1/chat/completions", json={"model": "kefu-assistant", "messages": [
        {"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Where is my order LM2026110009?"}]})
    body = r.json()
    assert "LM2026110009" in body["choices"][0]["message"]["content"]
    conv_id = r.headers["x-kefu-conversation-id"]
    assert body["kefu"]["conversation_id"] == conv_id and body["kefu"]["policy"] == "order"
    r = client.post("/v1/chat/completions", headers={"X-Kefu-Conversation-Id": conv_id}, json={
        "model": "kefu-assistant", "stream": True, "messages": [{"role": "user", "content": "thanks"}]})
    frames = [json.loads(x.removeprefix("data: ")) for x in r.text.split("\n\n") if x and "[DONE]" not in x]
    assert frames[-1]["kefu"]["conversation_id"] == conv_id


def test_rate_limit(tmp_path):
    settings = load_settings(None, data_dir=str(tmp_path), knowledge={"embedder": "hash-256"},
                             server={"rate_limit_per_minute": 3}, dialog={"load_demo": False})
    with TestClient(create_app(settings, FakeLLM(model_id="fake"))) as client:
        codes = [client.post("/v1/conversations", json={}).status_code for _ in range(5)]
    assert codes[:1] == [201] and 429 in codes
