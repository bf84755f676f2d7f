"""Entity-level NER scores with seqeval (CoNLL convention: an entity counts only when its
type and both boundaries match exactly).

Example::

    >>> s = entity_scores([["B-PER", "I-PER", "O"]], [["B-PER", "O", "O"]])
    >>> s["micro"]["f1"]
    0.0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from seqeval.metrics import classification_report

from kefu.errors import InvalidRequestError


def entity_scores(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> dict[str, Any]:
    """Micro and macro precision/recall/F1 over entities, and per entity type (with support)."""
    if len(gold) != len(pred):
        raise InvalidRequestError(f"{len(gold)} gold sequences but {len(pred)} predicted")
    for i, (g, p) in enumerate(zip(gold, pred, strict=True)):
        if len(g) != len(p):
            raise InvalidRequestError(f"sequence {i}: {len(g)} gold tags but {len(p)} predicted")
    rep = classification_report([list(g) for g in gold], [list(p) for p in pred], output_dict=True,
                                zero_division=0)
    def pick(d: dict[str, Any]) -> dict[str, float]:
        return {"precision": float(d["precision"]), "recall": float(d["recall"]), "f1": float(d["f1-score"])}
    per_type = {k: {**pick(v), "support": int(v["support"])} for k, v in rep.items()
                if k not in ("micro avg", "macro avg", "weighted avg")}
    return {"micro": pick(rep["micro avg"]), "macro": pick(rep["macro avg"]), "per_type": per_type}
