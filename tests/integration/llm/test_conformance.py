"""One conformance suite, every backend: llama.cpp (bundled GGUF), transformers (tiny HF
model), the OpenAI-compatible client (against a kefu server started here), and the fake."""

from __future__ import annotations

import pytest

from kefu.testing.llm_conformance import CHECKS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=["llamacpp", "transformers", "openai", "fake"])
def backend(request, default_llm, tiny_lm_dir, kefu_server_factory):
    from kefu.llm.factory import load_llm

    if request.param == "llamacpp":
        return default_llm
    if request.param == "transformers":
        return load_llm(str(tiny_lm_dir))
    if request.param == "openai":
        server = kefu_server_factory(default_llm)
        return load_llm(f"openai:{default_llm.model_id}@{server.base_url}")
    from kefu.llm.fake import FakeLLM

    return FakeLLM(["Hello Alice, nice to meet you today."] * 40)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_backend_conforms(backend, check):
    check(backend)
