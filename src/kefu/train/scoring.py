"""Rewards for RL and the before/after report: a trained reward model or a Python function.

Both follow TRL's reward-function convention ``f(prompts, completions, **kwargs) -> list[float]``
where prompts/completions are strings or message lists, so the same object is given to
GRPOTrainer and used by :func:`policy_report`.

    >>> score = load_reward("out/reward")                     # doctest: +SKIP
    >>> score([[{"role": "user", "content": "Hi"}]], [[{"role": "assistant", "content": "Hello!"}]])
    [0.42]
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kefu.errors import ConfigError, ModelNotFoundError

RewardFn = Callable[..., list[float]]


def _as_messages(x: Any, role: str) -> list[dict[str, str]]:
    return list(x) if isinstance(x, list) else [{"role": role, "content": str(x)}]


class RewardModelScorer:
    """Scores prompt + completion with a ``kefu train reward`` output (one-logit classifier)."""

    def __init__(self, path: str | Path, device: str = "cpu", max_length: int = 512) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        from kefu.train.tokenize import ensure_chat_template

        p = Path(path)
        if not (p / "config.json").is_file():
            raise ModelNotFoundError(f"reward model {p} not found (no config.json)",
                                     hint="train one with `kefu train reward` first")
        self.tokenizer = ensure_chat_template(AutoTokenizer.from_pretrained(str(p)))
        self.model = AutoModelForSequenceClassification.from_pretrained(str(p), num_labels=1).to(device).eval()
        self.device, self.max_length = device, max_length
        self.__name__ = f"reward_model:{p.name}"  # TRL logs rewards under the function's name
        self._torch = torch

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], **_: Any) -> list[float]:
        texts = [self.tokenizer.apply_chat_template(_as_messages(p, "user") + _as_messages(c, "assistant"),
                                                    tokenize=False) for p, c in zip(prompts, completions, strict=True)]
        batch = self.tokenizer(texts, return_tensors="pt", padding=True, truncation=True, max_length=self.max_length,
                               add_special_tokens=False).to(self.device)
        with self._torch.no_grad():
            return self.model(**batch).logits[:, 0].float().tolist()


def load_function(ref: str) -> RewardFn:
    """``'package.module:function'`` -> the function."""
    mod, _, name = ref.partition(":")
    if not mod or not name:
        raise ConfigError(f"reward function {ref!r} must look like module:function", param="rl.reward_function")
    try:
        fn = getattr(importlib.import_module(mod), name)
    except (ImportError, AttributeError) as e:
        raise ConfigError(f"cannot import reward function {ref}: {e}", param="rl.reward_function") from None
    return fn  # type: ignore[no-any-return]


def load_reward(model_dir: str | None = None, function: str | None = None) -> RewardFn:
    if bool(model_dir) == bool(function):
        raise ConfigError("give exactly one of rl.reward_model (a reward model directory) or rl.reward_function",
                          hint="kefu train rl --reward-model out/reward   or   --set rl.reward_function=mod:fn")
    return RewardModelScorer(model_dir) if model_dir else load_function(function or "")
