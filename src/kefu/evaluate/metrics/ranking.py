"""Retrieval ranking metrics and pairwise preference accuracy.

Written by hand (a few lines each) because scikit-learn's ``ndcg_score`` wants a dense score
for every document of the collection, while a retriever returns a short ranked list of ids.
Binary relevance: a document is relevant when its id is in the gold set.

Example::

    >>> ranking_scores([["d3", "d1"], ["d9"]], [{"d1"}, {"d2"}], ks=(1, 2))["mrr"]
    0.25
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np

from kefu.errors import InvalidRequestError


def first_hit(ranked: Sequence[str], relevant: Collection[str]) -> int | None:
    """1-based rank of the first relevant id, or None."""
    return next((i + 1 for i, d in enumerate(ranked) if d in relevant), None)


def ndcg_at(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """DCG@k / ideal DCG@k with gain 1 for each relevant id (duplicates counted once)."""
    seen: set[str] = set()
    dcg = 0.0
    for i, d in enumerate(ranked[:k]):
        if d in relevant and d not in seen:
            dcg += 1.0 / math.log2(i + 2)
            seen.add(d)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def ranking_scores(ranked: Sequence[Sequence[str]], relevant: Sequence[Collection[str]],
                   ks: Sequence[int] = (1, 3, 5, 10)) -> dict[str, Any]:
    """hit@k (share of queries with a relevant id in the top k), MRR (mean of 1/first-hit rank,
    0 when none is found) and nDCG@k, averaged over queries."""
    if len(ranked) != len(relevant) or not ranked:
        raise InvalidRequestError("need one gold set per ranked list, and at least one query")
    ranks = [first_hit(r, g) for r, g in zip(ranked, relevant, strict=True)]
    out: dict[str, Any] = {"n": len(ranked),
                           "mrr": float(np.mean([1.0 / r if r else 0.0 for r in ranks]))}
    for k in ks:
        out[f"hit@{k}"] = float(np.mean([r is not None and r <= k for r in ranks]))
        out[f"ndcg@{k}"] = float(np.mean([ndcg_at(r, g, k) for r, g in zip(ranked, relevant, strict=True)]))
    return out


def pairwise_accuracy(chosen: Sequence[float], rejected: Sequence[float]) -> dict[str, float]:
    """Share of pairs where the chosen answer scores strictly higher; ties count as wrong
    (and are reported). ``margin`` is the mean of chosen - rejected."""
    if len(chosen) != len(rejected) or not chosen:
        raise InvalidRequestError("need one rejected score per chosen score, and at least one pair")
    c, r = np.asarray(chosen, dtype=float), np.asarray(rejected, dtype=float)
    return {"accuracy": float(np.mean(c > r)), "ties": float(np.mean(c == r)),
            "margin": float(np.mean(c - r)), "n": int(len(c))}
