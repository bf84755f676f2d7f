"""Reward-model evaluation: pairwise accuracy (reward(chosen) > reward(rejected)) of a
one-logit sequence classifier saved as a Hugging Face directory (``kefu train reward`` output
or any ``AutoModelForSequenceClassification`` with ``num_labels=1``).

Text scored per answer: the earlier turns (``history``: hh-rlhf dialogues are split into turns
by :func:`kefu.evaluate.datafiles.read_preferences`), ``prompt`` and the answer through the
tokenizer's chat template, as ``kefu train reward`` formats them; the plain text when the
tokenizer has no template. Texts longer
than ``max_length`` tokens are truncated from the left, keeping the final answer.

Example::

    result = evaluate_reward_model("out/reward", read_preferences("pairs.jsonl"))
    result.scores["accuracy"]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kefu.errors import ModelNotFoundError
from kefu.evaluate import plots
from kefu.evaluate.datafiles import PreferencePair
from kefu.evaluate.metrics.ranking import pairwise_accuracy
from kefu.evaluate.progress import bar
from kefu.evaluate.report import Report


@dataclass
class RewardResult:
    scores: dict[str, Any]
    report: Report
    chosen: list[float]
    rejected: list[float]


class RewardScorer:
    """Batched scalar rewards from a sequence-classification model directory (CPU by default)."""

    def __init__(self, path: str | Path, *, device: str = "cpu", max_length: int = 512, batch_size: int = 8) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        p = Path(path)
        if not (p / "config.json").is_file():
            raise ModelNotFoundError(f"reward model {p} not found (no config.json)",
                                     hint="give the output directory of `kefu train reward`")
        self.tokenizer = AutoTokenizer.from_pretrained(str(p))
        self.tokenizer.truncation_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForSequenceClassification.from_pretrained(str(p), num_labels=1).to(device).eval()
        if self.model.config.pad_token_id is None:
            self.model.config.pad_token_id = self.tokenizer.pad_token_id
        self.device, self.max_length, self.batch_size = device, max_length, batch_size
        self._torch = torch

    def text(self, prompt: str, answer: str, history: Sequence[tuple[str, str]] = ()) -> str:
        turns = [{"role": r, "content": c} for r, c in history] + ([{"role": "user", "content": prompt}] if prompt else [])
        if turns and getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template([*turns, {"role": "assistant", "content": answer}], tokenize=False)
        head = "\n".join(t["content"] for t in turns)
        return f"{head}\n{answer}" if head else answer

    def score(self, texts: Sequence[str]) -> list[float]:
        batch = self.tokenizer(list(texts), return_tensors="pt", padding=True, truncation=True,
                               max_length=self.max_length).to(self.device)
        with self._torch.no_grad():
            return self.model(**batch).logits[:, 0].float().tolist()


def evaluate_reward_model(model_dir: str | Path, pairs: Sequence[PreferencePair], *, device: str = "cpu",
                          max_length: int = 512, batch_size: int = 8,
                          meta: dict[str, Any] | None = None) -> RewardResult:
    scorer = RewardScorer(model_dir, device=device, max_length=max_length, batch_size=batch_size)
    chosen: list[float] = []
    rejected: list[float] = []
    with bar(len(pairs), "scoring pairs") as b:
        for i in range(0, len(pairs), batch_size):
            part = pairs[i:i + batch_size]
            s = scorer.score([scorer.text(p.prompt, p.chosen, p.history) for p in part] +
                             [scorer.text(p.prompt, p.rejected, p.history) for p in part])
            chosen += s[:len(part)]
            rejected += s[len(part):]
            b.update(len(part))
    scores = pairwise_accuracy(chosen, rejected)
    rep = Report("Reward model: pairwise accuracy",
                 meta={**(meta or {}), "model": str(model_dir), "pairs": len(pairs), "max_length": max_length})
    rep.metrics("Summary", scores)
    margins = [c - r for c, r in zip(chosen, rejected, strict=True)]
    rep.figure("rewards", "Reward distribution", plots.histogram_figure(
        {"chosen": chosen, "rejected": rejected}, xlabel="reward"), {"chosen": chosen, "rejected": rejected})
    rep.figure("margins", "Margin reward(chosen) - reward(rejected)",
               plots.histogram_figure({"margin": margins}, xlabel="margin", threshold=0.0), {"margin": margins})
    worst = sorted(range(len(pairs)), key=lambda i: margins[i])[:20]
    rep.table("Worst pairs (most negative margin)", ["margin", "chosen", "rejected"],
              [[round(margins[i], 4), pairs[i].chosen[-300:], pairs[i].rejected[-300:]] for i in worst])
    return RewardResult(scores, rep, chosen, rejected)
