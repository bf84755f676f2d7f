"""The OpenAI-compatible routes on the scripted fake LLM (fast; the live-server tests with the
official client and the real model are in tests/integration/server)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from kefu.config import load_settings
from kefu.llm.fake import FakeLLM
from kefu.server.app import create_app


@pytest.fixture()
def fake() -> FakeLLM:
    return FakeLLM(model_id="fake-model", context_length=200)


@pytest.fixture()
def client(fake, tmp_path):
    app = create_app(load_settings(None, data_dir=str(tmp_path), dialog={"enabled": False}), fake)
    with TestClient(app) as c:
        yield c


def chat_body(**kw):
    body = {"model": "fake-model", "messages": [{"role": "user", "content": "hello there"}]}
    body.update(kw)
    return body


def test_chat_completion_shape(client, fake):
    fake.enqueue("Hi! How can I help?")
    r = client.post("/v1/chat/completions", json=chat_body(max_tokens=50))
    assert r.status_code == 200
    d = r.json()
    assert d["object"] == "chat.completion" and d["model"] == "fake-model"
    assert d["choices"][0]["message"] == {"role": "assistant", "content": "Hi! How can I help?"}
    assert d["choices"][0]["finish_reason"] == "stop"
    assert d["usage"]["completion_tokens"] == 5
    assert d["usage"]["total_tokens"] == d["usage"]["prompt_tokens"] + 5


def test_stream_is_exactly_openai_sse(client, fake):
    fake.enqueue("one two three")
    r = client.post("/v1/chat/completions", json=chat_body(stream=True, stream_options={"include_usage": True}))
    assert r.headers["content-type"].startswith("text/event-stream")
    events = [line.removeprefix("data: ") for line in r.text.split("\n\n") if line]
    assert events[-1] == "[DONE]"
    frames = [json.loads(e) for e in events[:-1]]
    assert frames[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    content = "".join(f["choices"][0]["delta"].get("content", "") for f in frames[1:-2])
    assert content == "one two three"
    assert frames[-2]["choices"][0]["finish_reason"] == "stop" and frames[-2]["choices"][0]["delta"] == {}
    assert frames[-1]["choices"] == [] and frames[-1]["usage"]["completion_tokens"] == 3
    assert all(f["object"] == "chat.completion.chunk" and f["id"] == frames[0]["id"] for f in frames)


def test_stream_without_usage_has_no_usage_chunk(client, fake):
    fake.enqueue("a b")
    r = client.post("/v1/chat/completions", json=chat_body(stream=True))
    frames = [json.loads(e.removeprefix("data: ")) for e in r.text.split("\n\n") if e and "[DONE]" not in e]
    assert all(f["choices"] for f in frames)


MALFORMED = [
    ("not json", b"{bad", 400, "malformed JSON"),
    ("no messages", {"model": "fake-model"}, 400, "missing required parameter: messages"),
    ("empty messages", {"model": "fake-model", "messages": []}, 400, "messages"),
    ("bad role", chat_body(messages=[{"role": "bot", "content": "x"}]), 400, "role"),
    ("content wrong type", chat_body(messages=[{"role": "user", "content": 42}]), 400, "content"),
    ("messages not a list", chat_body(messages="hello"), 400, "messages"),
    ("temperature out of range", chat_body(temperature=5), 400, "temperature"),
    ("top_p zero", chat_body(top_p=0), 400, "top_p"),
    ("max_tokens zero", chat_body(max_tokens=0), 400, "max_tokens"),
    ("max_tokens wrong type", chat_body(max_tokens="many"), 400, "max_tokens"),
    ("n > 1", chat_body(n=3), 400, "n"),
    ("too many stops", chat_body(stop=["a", "b", "c", "d", "e"]), 400, "stop"),
    ("all messages empty", chat_body(messages=[{"role": "user", "content": ""}]), 400, "empty"),
    ("unknown model", chat_body(model="gpt-9"), 404, "does not exist"),
]


@pytest.mark.parametrize("name,body,status,needle", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_requests_get_openai_errors(client, name, body, status, needle):
    if isinstance(body, bytes):
        r = client.post("/v1/chat/completions", content=body, headers={"content-type": "application/json"})
    else:
        r = client.post("/v1/chat/completions", json=body)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert set(err) == {"message", "type", "param", "code"}
    assert needle in err["message"]
    assert err["type"] == "invalid_request_error"


def test_context_overflow_is_a_specific_400(client):
    r = client.post("/v1/chat/completions", json=chat_body(messages=[{"role": "user", "content": "w " * 500}]))
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "context_length_exceeded"
    r = client.post("/v1/chat/completions", json=chat_body(
        messages=[{"role": "user", "content": "w " * 500}], stream=True))
    assert r.status_code == 400 and r.json()["error"]["code"] == "context_length_exceeded"


def test_history_is_fitted_and_reported(client, fake):
    msgs = []
    for i in range(20):
        msgs += [{"role": "user", "content": f"question {i} " + "x " * 5},
                 {"role": "assistant", "content": f"answer {i} " + "y " * 5}]
    msgs.append({"role": "user", "content": "last one"})
    fake.enqueue("ok")
    r = client.post("/v1/chat/completions", json=chat_body(messages=msgs, max_tokens=20))
    assert r.status_code == 200
    dropped = r.json()["kefu"]["dropped_messages"]
    assert dropped > 0 and r.headers["x-kefu-dropped-messages"] == str(dropped)
    sent = fake.requests[-1].messages
    assert sent[-1].content == "last one" and len(sent) == len(msgs) - dropped


def test_completions_and_models_and_health(client, fake):
    fake.enqueue("upon a time")
    r = client.post("/v1/completions", json={"model": "fake-model", "prompt": "Once", "max_tokens": 5})
    assert r.status_code == 200 and r.json()["choices"][0]["text"] == "upon a time"
    assert client.get("/v1/models").json()["data"][0]["id"] == "fake-model"
    h = client.get("/health").json()
    assert h["status"] == "ok" and h["queue"] == {"waiting": 0, "running": 0}
    assert client.post("/v1/completions", json={"model": "fake-model", "prompt": ["a", "b"]}).status_code == 400


def test_chat_with_history(client, fake):
    fake.enqueue("Your name is Alice.")
    r = client.post("/chat_with_history", json={"input_text": "What is my name?",
                                                "history": [["I am Alice", "Nice to meet you"]]})
    d = r.json()
    assert d["response"] == "Your name is Alice."
    assert d["history"] == [["I am Alice", "Nice to meet you"], ["What is my name?", "Your name is Alice."]]
    sent = fake.requests[-1].messages
    assert [m.content for m in sent] == ["I am Alice", "Nice to meet you", "What is my name?"]
    assert client.post("/chat_with_history", json={"history": []}).status_code == 400


def test_metrics_count_requests_and_tokens(client, fake):
    fake.enqueue("a b c")
    client.post("/v1/chat/completions", json=chat_body())
    text = client.get("/metrics").text
    assert 'kefu_requests_total{route="/v1/chat/completions",status="200"} 1.0' in text
    assert 'kefu_tokens_total{kind="completion"} 3.0' in text
    assert "kefu_queue_depth 0.0" in text


def test_api_keys(tmp_path, fake):
    app = create_app(load_settings(None, data_dir=str(tmp_path), dialog={"enabled": False}, server={"api_keys": ["sekret"]}), fake)
    with TestClient(app) as c:
        assert c.get("/health").status_code == 200
        assert c.get("/v1/models").status_code == 200
        r = c.post("/v1/chat/completions", json=chat_body())
        assert r.status_code == 401 and r.json()["error"]["type"] == "authentication_error"
        r = c.post("/v1/chat/completions", json=chat_body(), headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401
        r = c.post("/v1/chat/completions", json=chat_body(), headers={"Authorization": "Bearer sekret"})
        assert r.status_code == 200


def test_body_too_large(tmp_path, fake):
    app = create_app(load_settings(None, data_dir=str(tmp_path), dialog={"enabled": False}, server={"max_request_bytes": 1000}), fake)
    with TestClient(app) as c:
        r = c.post("/v1/chat/completions", json=chat_body(messages=[{"role": "user", "content": "x" * 5000}]))
        assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"


def test_unknown_route_is_openai_shaped(client):
    r = client.get("/v1/nothing")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
