"""The transformers backend on a tiny in-process model, the factory and the settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from kefu.config import load_settings
from kefu.errors import ConfigError, ModelNotFoundError
from kefu.llm.base import GenerationRequest, Message, SamplingParams, collect
from kefu.llm.factory import describe, load_llm, parse_openai_ref
from kefu.testing.llm_conformance import CHECKS


@pytest.fixture(scope="module")
def tiny(tiny_lm_dir):
    return load_llm(str(tiny_lm_dir))


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_transformers_backend_conforms(tiny, check):
    check(tiny)


def test_chat_template_from_tokenizer_is_applied(tiny):
    text, _ = tiny.render([Message("user", "hi")])
    assert text == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"


def test_base_model_uses_fallback_format_and_stops_at_next_user_turn(tiny_base_lm_dir):
    llm = load_llm(str(tiny_base_lm_dir))
    text, stops = llm.render([Message("user", "hi")])
    assert text.endswith("User: hi\nAssistant:") and stops == ("\nUser:",)
    out, last = collect(llm.stream(GenerationRequest(messages=[Message("user", "hi")],
                                                     params=SamplingParams(max_tokens=20, seed=0))))
    assert "\nUser:" not in out


def test_factory_errors_say_what_to_do(tmp_path: Path):
    with pytest.raises(ModelNotFoundError, match="no model at") as e:
        load_llm(str(tmp_path / "nope"))
    assert "openai:MODEL@" in (e.value.hint or "")
    with pytest.raises(ModelNotFoundError, match="not found"):
        load_llm(str(tmp_path / "missing.gguf"))
    (tmp_path / "corrupt.gguf").write_bytes(b"not a gguf at all")
    with pytest.raises(ModelNotFoundError, match="could not load"):
        load_llm(str(tmp_path / "corrupt.gguf"))
    (tmp_path / "emptydir").mkdir()
    with pytest.raises(ModelNotFoundError, match="config.json"):
        load_llm(f"transformers:{tmp_path / 'emptydir'}")


def test_model_references():
    assert parse_openai_ref("openai:qwen2.5:7b@http://localhost:11434/v1") == ("qwen2.5:7b", "http://localhost:11434/v1")
    with pytest.raises(ConfigError, match="openai:MODEL@"):
        parse_openai_ref("openai:qwen")
    assert describe("default") == "llamacpp"
    assert describe("x.gguf") == "llamacpp"
    assert describe("transformers:x.gguf") == "transformers"
    assert describe("openai:m@http://h/v1") == "openai"


def test_settings_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cfg = tmp_path / "kefu.yaml"
    cfg.write_text("server:\n  port: 9001\n  host: 0.0.0.0\nllm:\n  model: a.gguf\n")
    monkeypatch.setenv("KEFU_SERVER__PORT", "9002")
    s = load_settings(cfg)
    assert (s.server.host, s.server.port, s.llm.model) == ("0.0.0.0", 9002, "a.gguf")
    s = load_settings(cfg, llm={"model": "b.gguf"}, server={"port": None})
    assert (s.llm.model, s.server.port) == ("b.gguf", 9002)


def test_settings_errors_name_the_problem(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("server: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(bad)
    bad.write_text("server:\n  port: 99999\n")
    with pytest.raises(ConfigError, match="server.port"):
        load_settings(bad)
    bad.write_text("sever:\n  port: 1\n")
    with pytest.raises(ConfigError, match="sever"):
        load_settings(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "missing.yaml")
