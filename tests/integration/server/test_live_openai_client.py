"""A live uvicorn server on 127.0.0.1 driven by the official `openai` client, with the real
bundled model (SmolLM2-135M-Instruct through llama.cpp)."""

from __future__ import annotations

import threading
import time

import httpx
import openai
import pytest

from kefu.llm.fake import FakeLLM

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(kefu_server_factory, default_llm):
    return kefu_server_factory(default_llm)


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=server.base_url, api_key="unused")


def test_models(client, default_llm):
    ids = [m.id for m in client.models.list()]
    assert ids == [default_llm.model_id]


def test_multi_turn_answer_depends_on_earlier_turn(client):
    messages = [
        {"role": "user", "content": "My name is Alice and my favourite colour is blue."},
        {"role": "assistant", "content": "Nice to meet you, Alice! Blue is a lovely colour."},
        {"role": "user", "content": "What is my name?"},
    ]
    r = client.chat.completions.create(model="default", messages=messages, temperature=0, max_tokens=30, seed=0)
    assert "Alice" in r.choices[0].message.content
    # without the earlier turn the model cannot know it
    r2 = client.chat.completions.create(model="default", messages=messages[-1:], temperature=0, max_tokens=30,
                                        seed=0)
    assert "Alice" not in r2.choices[0].message.content


def test_streaming_with_usage(client):
    stream = client.chat.completions.create(
        model="default", messages=[{"role": "user", "content": "Count from one to five."}], max_tokens=24,
        stream=True, stream_options={"include_usage": True}, seed=1)
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip()
    finals = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(finals) == 1 and finals[0].choices[0].finish_reason in ("stop", "length")
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens >= 1


def test_seeded_determinism_through_the_api(client):
    kw = dict(model="default", messages=[{"role": "user", "content": "Tell me a short story."}], max_tokens=20,
              temperature=0.9, seed=42)
    a = client.chat.completions.create(**kw).choices[0].message.content
    b = client.chat.completions.create(**kw).choices[0].message.content
    assert a == b


def test_completions(client):
    r = client.completions.create(model="default", prompt="The capital of France is", max_tokens=5, temperature=0,
                                  seed=0)
    assert r.choices[0].text and r.usage.prompt_tokens >= 5
    stream = client.completions.create(model="default", prompt="Once upon a time", max_tokens=5, stream=True)
    assert "".join(c.choices[0].text for c in stream if c.choices)


BAD_REQUESTS = [
    dict(messages=[]),
    dict(messages=[{"role": "wizard", "content": "x"}]),
    dict(messages=[{"role": "user", "content": 3}]),
    dict(messages=[{"role": "user", "content": "hi"}], temperature=9),
    dict(messages=[{"role": "user", "content": "hi"}], top_p=-1),
    dict(messages=[{"role": "user", "content": "hi"}], max_tokens=-5),
    dict(messages=[{"role": "user", "content": "hi"}], n=2),
    dict(messages=[{"role": "user", "content": "hi"}], stop=["1", "2", "3", "4", "5"]),
    dict(messages=[{"role": "user", "content": "hi " * 9000}], max_tokens=10),
]


@pytest.mark.parametrize("kw", BAD_REQUESTS, ids=range(len(BAD_REQUESTS)))
def test_malformed_requests_raise_bad_request(client, kw):
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model="default", **kw)
    body = e.value.body
    assert set(body) == {"message", "type", "param", "code"} and body["message"]


def test_unknown_model_is_404(client):
    with pytest.raises(openai.NotFoundError) as e:
        client.chat.completions.create(model="gpt-99", messages=[{"role": "user", "content": "hi"}])
    assert e.value.body["code"] == "model_not_found"


def test_malformed_json(server):
    r = httpx.post(f"{server.base_url}/chat/completions", content=b'{"model": ',
                   headers={"content-type": "application/json"})
    assert r.status_code == 400 and "malformed JSON" in r.json()["error"]["message"]


def test_api_key_auth(kefu_server_factory, default_llm):
    srv = kefu_server_factory(default_llm, server={"api_keys": ["k-123"]})
    good = openai.OpenAI(base_url=srv.base_url, api_key="k-123")
    bad = openai.OpenAI(base_url=srv.base_url, api_key="nope")
    assert [m.id for m in bad.models.list()]  # /v1/models is public
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="default", messages=[{"role": "user", "content": "hi"}], max_tokens=2)
    r = good.chat.completions.create(model="default", messages=[{"role": "user", "content": "hi"}], max_tokens=2)
    assert r.choices[0].message.content is not None


class SlowFake(FakeLLM):
    """A fake that takes 50 ms per token and records whether it was cancelled."""

    def __init__(self) -> None:
        super().__init__(model_id="slow")
        self.finished: list[str] = []

    def stream(self, request, cancel=None):
        for chunk in super().stream(request, cancel):
            time.sleep(0.05)
            yield chunk
            if chunk.finish_reason:
                self.finished.append(chunk.finish_reason)


def test_disconnect_stops_generation_and_health_answers_while_busy(kefu_server_factory):
    llm = SlowFake()
    llm.enqueue(" ".join(f"w{i}" for i in range(200)))
    srv = kefu_server_factory(llm)
    body = {"model": "slow", "messages": [{"role": "user", "content": "go"}], "stream": True, "max_tokens": 500}
    with httpx.Client(timeout=30) as http, http.stream("POST", f"{srv.base_url}/chat/completions", json=body) as r:
        lines = r.iter_lines()
        got = [next(lines) for _ in range(6)]
        assert any("w1" in line for line in got)
        t0 = time.perf_counter()
        health = httpx.get(f"{srv.root_url}/health").json()
        assert time.perf_counter() - t0 < 1.0, "/health must not wait for the model"
        assert health["queue"]["running"] == 1
    # the client went away: generation must stop well before its 200 tokens (10 s) are done
    deadline = time.time() + 5
    while time.time() < deadline and not llm.finished:
        time.sleep(0.05)
    assert llm.finished == ["cancelled"]
    assert httpx.get(f"{srv.root_url}/health").json()["queue"]["running"] == 0


def test_full_queue_answers_429(kefu_server_factory):
    llm = SlowFake()
    llm.enqueue(*[" ".join(["x"] * 30)] * 3)
    srv = kefu_server_factory(llm, server={"max_concurrent": 1, "max_queue": 1})
    body = {"model": "slow", "messages": [{"role": "user", "content": "go"}], "max_tokens": 100}
    results: list[int] = []

    def call() -> None:
        results.append(httpx.post(f"{srv.base_url}/chat/completions", json=body, timeout=30).status_code)

    threads = [threading.Thread(target=call) for _ in range(3)]
    for t in threads:
        t.start()
        time.sleep(0.3)  # one running, one waiting, then one too many
    for t in threads:
        t.join()
    assert sorted(results) == [200, 200, 429]
