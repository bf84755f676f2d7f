"""A live kefu server (FakeLLM-backed assistant, a small knowledge base on the hashing embedder)
and headless Debian chromium driven by Playwright's sync API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SHOTS = Path(__file__).parent / "screenshots"
PASSWORD = "browser-test-password"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DOCS = {
    "kettle.md": "# SmartTemp Kettle\n\n## Warranty\n\nThe SmartTemp kettle has a two-year warranty covering "
                 "parts and labour.\n\n## Colours\n\nThe kettle comes in white and sage green.\n",
    "returns.md": "# Returns\n\nYou can return any item within 7 days of delivery for a full refund.\n",
}


@dataclass
class _Pred:
    label: str
    score: float
    out_of_scope: bool = False


class KeywordIntents:
    """Test double for the intent classifier: the hashing embedder is not semantic, so intents
    are decided by keywords here (the real classifier is tested in tests/unit/dialog)."""

    RULES = [("human", ("human", "人工")), ("greeting", ("hello", "thanks", "你好"))]

    def predict(self, texts: list[str]) -> list[_Pred]:
        out = []
        for t in texts:
            low = t.lower()
            out.append(_Pred(next((lab for lab, kws in self.RULES if any(k in low for k in kws)), "product_question"), 0.9))
        return out


@dataclass
class Shop:
    url: str
    state: Any
    llm: Any


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory, kefu_server_factory: Any) -> Iterator[Shop]:
    from kefu.llm.fake import FakeLLM
    from kefu.server.console_routes import detach

    data = tmp_path_factory.mktemp("kefu-browser")
    llm = FakeLLM(model_id="fake")
    server = kefu_server_factory(llm, data_dir=str(data), knowledge={"embedder": "hash-256"},
                                 dialog={"load_demo": False}, console={"admin_password": PASSWORD},
                                 server={"rate_limit_per_minute": 1000})
    state = server.server.config.app.state.kefu  # the app inside the live uvicorn server
    docs = data / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    state.extras["kb"].open(state.extras["kb_name"]).add([docs])
    state.extras["assistant"].intents = KeywordIntents()
    yield Shop(server.root_url, state, llm)
    detach(state)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def shot() -> Any:
    """``shot(page, name)`` saves tests/browser/screenshots/NAME.png."""

    def take(page: Any, name: str) -> Path:
        SHOTS.mkdir(exist_ok=True)
        path = SHOTS / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return take
