"""Merge a LoRA adapter into its base model: a plain model directory any backend can load.

    >>> merge_lora("out/sft-lora", "out/sft-merged")   # doctest: +SKIP

Limits: LoRA only (prefix-tuning prefixes cannot be folded into weights); the base model named in
the adapter's ``adapter_config.json`` (or ``base``) must be a local directory.
"""

from __future__ import annotations

import json
from pathlib import Path

from kefu.errors import ConfigError, ModelNotFoundError


def merge_lora(adapter_dir: str | Path, out_dir: str | Path, base: str | Path | None = None) -> Path:
    """Write base + adapter merged (``merge_and_unload``) with the adapter's tokenizer to ``out_dir``."""
    from peft import PeftConfig, PeftModel
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

    adapter_dir, out = Path(adapter_dir), Path(out_dir)
    if not (adapter_dir / "adapter_config.json").is_file():
        raise ModelNotFoundError(f"{adapter_dir} is not a LoRA adapter directory (no adapter_config.json)")
    cfg = PeftConfig.from_pretrained(str(adapter_dir))
    if cfg.peft_type != "LORA":
        raise ConfigError(f"{adapter_dir} is a {cfg.peft_type} adapter; only LoRA can be merged",
                          hint="serve it as an adapter: kefu serve --model BASE --adapter DIR")
    base_path = Path(base or cfg.base_model_name_or_path or "")
    if not (base_path / "config.json").is_file():
        raise ModelNotFoundError(f"base model {base_path} of adapter {adapter_dir} is not a local model directory",
                                 hint="pass --base DIR")
    auto = AutoModelForSequenceClassification if cfg.task_type == "SEQ_CLS" else AutoModelForCausalLM
    kw = {"num_labels": 1} if cfg.task_type == "SEQ_CLS" else {}
    model = auto.from_pretrained(str(base_path), dtype="auto", **kw)
    merged = PeftModel.from_pretrained(model, str(adapter_dir)).merge_and_unload()
    out.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(str(out))
    tok_src = adapter_dir if (adapter_dir / "tokenizer_config.json").is_file() else base_path
    AutoTokenizer.from_pretrained(str(tok_src)).save_pretrained(str(out))
    (out / "kefu_merge.json").write_text(json.dumps({"base": str(base_path), "adapter": str(adapter_dir)}, indent=2))
    return out
