"""Shared fixtures. Tiers: plain tests are fast unit tests on tiny in-process models;
`integration` uses the real bundled models / live servers / databases; `browser` drives
headless Chromium. `make test` runs all of them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Keep torch on the two cores without oversubscription when several libraries spawn pools.
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def tiny_lm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random 2-layer Llama with a ChatML template, saved as an HF directory."""
    from kefu.testing.tiny import build_tiny_causal_lm

    return build_tiny_causal_lm(tmp_path_factory.mktemp("tiny-lm"))


@pytest.fixture(scope="session")
def tiny_base_lm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same tiny Llama without a chat template (a base model)."""
    from kefu.testing.tiny import build_tiny_causal_lm

    return build_tiny_causal_lm(tmp_path_factory.mktemp("tiny-base-lm"), chat_template=False)


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random 2-layer BERT-style encoder with tokenizer (for task heads)."""
    from kefu.testing.tiny import build_tiny_encoder

    return build_tiny_encoder(tmp_path_factory.mktemp("tiny-encoder"))


@pytest.fixture(scope="session")
def default_llm():
    """The real bundled SmolLM2-135M-Instruct GGUF through llama.cpp (integration tier)."""
    from kefu.llm.factory import load_llm

    return load_llm("default")


class LiveServer:
    """A real uvicorn server on 127.0.0.1 in a background thread."""

    def __init__(self, app, port: int) -> None:
        import threading

        import uvicorn

        self.port = port
        self.base_url = f"http://127.0.0.1:{port}/v1"
        self.root_url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                                    timeout_graceful_shutdown=2))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> LiveServer:
        import time

        self.thread.start()
        deadline = time.time() + 900  # the assistant loads the demo company on first start
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("kefu test server did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def kefu_server_factory(tmp_path_factory: pytest.TempPathFactory):
    """Start live kefu servers: ``factory(llm, **settings_overrides) -> LiveServer``."""
    from kefu.config import load_settings
    from kefu.server.app import create_app

    servers: list[LiveServer] = []

    def factory(llm, **overrides) -> LiveServer:
        overrides.setdefault("data_dir", str(tmp_path_factory.mktemp("kefu-data")))
        overrides.setdefault("dialog", {"enabled": False})  # a plain model server unless a test asks
        settings = load_settings(None, **overrides)
        server = LiveServer(create_app(settings, llm), free_port()).start()
        servers.append(server)
        return server

    yield factory
    for s in servers:
        s.stop()


@pytest.fixture(scope="session")
def shop_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small shop database (customers, orders, order_items, products) for the tools tests."""
    from fixtures.tools import shopdb

    return shopdb.build_shop_db(tmp_path_factory.mktemp("shop") / "shop.db")
