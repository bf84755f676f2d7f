"""One table from stage name to function (the CLI and Python callers use it)."""

from __future__ import annotations

import importlib
from typing import Any

from kefu.train.config import RunConfig

STAGES: dict[str, str] = {
    "pretrain": "kefu.train.sft:run_pretrain",
    "sft": "kefu.train.sft:run_sft",
    "reward": "kefu.train.reward:run_reward",
    "dpo": "kefu.train.dpo:run_dpo",
    "kto": "kefu.train.dpo:run_kto",
    "rl": "kefu.train.rl:run_rl",
    "classifier": "kefu.train.task_heads:run_classifier",
    "ner": "kefu.train.task_heads:run_ner",
}


def run_stage(cfg: RunConfig) -> dict[str, Any]:
    """Run ``cfg.stage``; returns the summary written to OUTPUT_DIR/kefu_train.json."""
    import transformers

    transformers.set_seed(cfg.train.seed)
    module, fn = STAGES[cfg.stage].split(":")
    return getattr(importlib.import_module(module), fn)(cfg)  # type: ignore[no-any-return]
