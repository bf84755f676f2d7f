"""Scorers for best-of-N answers (``dialog.candidates > 1``): generate several answers, keep the
best. Same convention as TRL reward functions and :mod:`kefu.train.scoring`:
``scorer(prompts, completions) -> list[float]``, so a trained reward model
(``dialog.reward_model``, loaded by kefu.train.scoring.RewardModelScorer) drops in for the default.

The default, :class:`RelevanceScorer`, needs no training: the cosine similarity between the
answer and the sources it was given, plus a bonus when every ``[n]`` points at a real source
and a penalty for each post-rule problem (no citation, bad citation, wrong language, ...).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from kefu.dialog.postrules import PostRules

_SOURCE = re.compile(r"^\[(\d+)\] \(.*?\)\n(.*?)(?=^\[\d+\] \(|\Z)", re.MULTILINE | re.DOTALL)


class RelevanceScorer:
    def __init__(self, embedder: Any, post: PostRules | None = None) -> None:
        self.embedder = embedder
        self.post = post or PostRules()

    def __call__(self, prompts: Sequence[Sequence[dict[str, str]]], completions: Sequence[str],
                 **_: Any) -> list[float]:
        scores = []
        for prompt, answer in zip(prompts, completions, strict=True):
            system = next((m["content"] for m in prompt if m["role"] == "system"), "")
            question = next((m["content"] for m in reversed(prompt) if m["role"] == "user"), "")
            sources = [m.group(2).strip() for m in _SOURCE.finditer(system)] or [system]
            if not answer.strip():
                scores.append(-10.0)
                continue
            vecs = self.embedder.embed_documents([answer, *sources])
            cosine = float(np.max(vecs[1:] @ vecs[0]))
            problems = self.post.apply(answer, question=question, n_sources=len(sources)).problems
            scores.append(cosine + (0.5 if not problems else 0.0) - 0.5 * len(problems))
        return scores
