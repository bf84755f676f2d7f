"""Console API fixtures: the real app (create_app + FakeLLM) with every router's attach(),
a temporary SQLite store, the fast hashing embedder and a logged-in admin client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

PASSWORD = "correct-horse-battery"


@pytest.fixture()
def settings(tmp_path: Path) -> Any:
    from kefu.config import load_settings

    return load_settings(None, data_dir=str(tmp_path / "data"), knowledge={"embedder": "hash-256"},
                         dialog={"load_demo": False},
                         console={"admin_password": PASSWORD, "webhook_poll_s": 0.2, "webhook_backoff_s": 0.2})


@pytest.fixture()
def client(settings: Any) -> Iterator[TestClient]:
    from kefu.llm.fake import FakeLLM
    from kefu.server.app import create_app
    from kefu.server.console_routes import detach

    app = create_app(settings, FakeLLM())
    with TestClient(app) as c:
        yield c
        detach(app.state.kefu)


@pytest.fixture()
def state(client: TestClient) -> Any:
    return client.app.state.kefu  # type: ignore[attr-defined]


@pytest.fixture()
def store(state: Any) -> Any:
    return state.extras["store"]


@pytest.fixture()
def admin(client: TestClient) -> TestClient:
    r = client.post("/console/api/login", json={"username": "admin", "password": PASSWORD})
    assert r.status_code == 200, r.text
    return client


@pytest.fixture()
def handed_off(store: Any) -> tuple[Any, Any]:
    """A conversation with a question, a bot answer with sources, and a queued handoff ticket."""
    conv = store.create_conversation(channel="web", language="en")
    store.add_message(conv.id, "customer", "How long is the warranty on the Lumo kettle?", intent="product_question")
    a = store.start_assistant_message(conv.id, intent="product_question", policy="kb",
                                      prompt=[{"role": "system", "content": "persona"},
                                              {"role": "user", "content": "warranty?"}],
                                      sources=[{"n": 1, "title": "Warranty", "source": "warranty.md",
                                                "text": "Kettles carry a 1 year warranty."}], model="fake")
    store.finish_message(a.id, "Six months [1].", latency_ms=120)
    ticket = store.open_handoff(conv.id, "asked")
    return conv, ticket
