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
