"""Classification and regression metrics (thin wrappers around scikit-learn).

Example::

    >>> r = classification_scores(["a", "a", "b"], ["a", "b", "b"])
    >>> round(r["accuracy"], 3), round(r["macro"]["f1"], 3)
    (0.667, 0.667)

Limits: labels are compared as strings/ints exactly; ``roc_auc`` needs both classes present
(binary) or every class present in ``y_true`` (multi-class, one-vs-rest) and raises otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn import metrics as skm

from kefu.errors import InvalidRequestError


def _check(y_true: Sequence[Any], y_pred: Sequence[Any]) -> None:
    if len(y_true) != len(y_pred):
        raise InvalidRequestError(f"{len(y_true)} gold labels but {len(y_pred)} predictions")
    if len(y_true) == 0:
        raise InvalidRequestError("no examples to score")


def accuracy(y_true: Sequence[Any], y_pred: Sequence[Any]) -> float:
    _check(y_true, y_pred)
    return float(skm.accuracy_score(y_true, y_pred))


def classification_scores(y_true: Sequence[Any], y_pred: Sequence[Any],
                          labels: Sequence[Any] | None = None) -> dict[str, Any]:
    """Accuracy plus precision/recall/F1 three ways: ``macro`` (mean over classes),
    ``micro`` (pooled counts; equals accuracy for single-label multi-class) and ``per_class``
    (with ``support``). Classes with no predictions score precision 0 (``zero_division=0``)."""
    _check(y_true, y_pred)
    labels = list(labels) if labels is not None else sorted(set(y_true) | set(y_pred), key=str)
    out: dict[str, Any] = {"accuracy": float(skm.accuracy_score(y_true, y_pred)), "n": len(y_true)}
    for avg in ("macro", "micro", "weighted"):
        p, r, f, _ = skm.precision_recall_fscore_support(y_true, y_pred, labels=labels, average=avg,
                                                         zero_division=0)
        out[avg] = {"precision": float(p), "recall": float(r), "f1": float(f)}
    p, r, f, s = skm.precision_recall_fscore_support(y_true, y_pred, labels=labels, average=None,
                                                     zero_division=0)
    out["per_class"] = {str(lab): {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                                   "support": int(s[i])} for i, lab in enumerate(labels)}
    return out


def confusion(y_true: Sequence[Any], y_pred: Sequence[Any], labels: Sequence[Any]) -> np.ndarray:
    """(n_labels, n_labels) counts; row = gold, column = predicted."""
    _check(y_true, y_pred)
    return skm.confusion_matrix(y_true, y_pred, labels=list(labels))


def roc_auc(y_true: Sequence[Any], scores: np.ndarray, labels: Sequence[Any] | None = None) -> float:
    """Binary: ``scores`` is (n,) for the positive class (y_true in {0,1}). Multi-class:
    ``scores`` is (n, n_labels) probabilities, columns ordered as ``labels``; macro one-vs-rest."""
    scores = np.asarray(scores)
    if len(set(y_true)) < 2:
        raise InvalidRequestError("ROC-AUC is undefined with a single class in the gold labels",
                                  hint="score a sample with both positive and negative examples")
    try:
        if scores.ndim == 1:
            return float(skm.roc_auc_score(y_true, scores))
        return float(skm.roc_auc_score(y_true, scores, multi_class="ovr", average="macro", labels=labels))
    except ValueError as e:
        raise InvalidRequestError(f"ROC-AUC is undefined here: {e}",
                                  hint="every class must occur in the gold labels") from e


def binary_curves(y_true: Sequence[int], scores: Sequence[float]) -> dict[str, Any]:
    """ROC and precision-recall curves for a binary problem, with their areas.

    Returns lists (JSON-ready): ``roc = {fpr, tpr, auc}``, ``pr = {precision, recall, ap}``."""
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=float)
    if len(set(y.tolist())) < 2:
        raise InvalidRequestError("curves need both positive and negative examples")
    fpr, tpr, _ = skm.roc_curve(y, s)
    prec, rec, _ = skm.precision_recall_curve(y, s)
    return {"roc": {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "auc": float(skm.roc_auc_score(y, s))},
            "pr": {"precision": prec.tolist(), "recall": rec.tolist(),
                   "ap": float(skm.average_precision_score(y, s))}}


def regression_scores(y_true: Sequence[float], y_pred: Sequence[float]) -> dict[str, float]:
    """Mean squared error and mean absolute error."""
    _check(y_true, y_pred)
    return {"mse": float(skm.mean_squared_error(y_true, y_pred)),
            "mae": float(skm.mean_absolute_error(y_true, y_pred))}
