"""matplotlib figures for reports: confusion matrix, ROC / precision-recall curves, score
histograms. Each function returns a ``Figure`` (Agg backend, no display needed); the report
saves it. Large confusion matrices (BANKING77 has 77 classes) are drawn without cell numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def confusion_matrix_figure(cm: np.ndarray, labels: Sequence[str], *, normalize: bool = True) -> Figure:
    """Rows = gold, columns = predicted; colours are row-normalised (recall per class)."""
    cm = np.asarray(cm, dtype=float)
    shown = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalize else cm
    n = len(labels)
    size = min(4 + 0.18 * n, 18)
    fig, ax = plt.subplots(figsize=(size, size))
    im = ax.imshow(shown, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    fs = 8 if n <= 20 else max(3, 9 - n // 12)
    ax.set_xticks(range(n), labels=list(labels), rotation=90, fontsize=fs)
    ax.set_yticks(range(n), labels=list(labels), fontsize=fs)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    if n <= 15:
        for i in range(n):
            for j in range(n):
                ax.text(j, i, str(int(cm[i, j])), ha="center", va="center", fontsize=8,
                        color="white" if shown[i, j] > 0.5 else "black")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    return fig


def curve_figure(kind: str, curves: Mapping[str, Mapping[str, Sequence[float]]]) -> Figure:
    """``kind="roc"``: each curve has ``fpr``/``tpr``/``auc``; ``kind="pr"``: ``recall``/``precision``/``ap``."""
    fig, ax = plt.subplots(figsize=(5, 4.5))
    for name, c in curves.items():
        if kind == "roc":
            ax.plot(c["fpr"], c["tpr"], label=f"{name} (AUC {c['auc']:.3f})")
        else:
            ax.step(c["recall"], c["precision"], where="post", label=f"{name} (AP {c['ap']:.3f})")
    if kind == "roc":
        ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=0.8)
        ax.set_xlabel("false positive rate")
        ax.set_ylabel("true positive rate")
    else:
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower right" if kind == "roc" else "lower left", fontsize=8)
    fig.tight_layout()
    return fig


def histogram_figure(groups: Mapping[str, Sequence[float]], *, xlabel: str = "score", bins: int = 30,
                     threshold: float | None = None) -> Figure:
    """Overlaid histograms of a score for several groups (e.g. correct vs wrong predictions)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    values = [np.asarray(v, dtype=float) for v in groups.values() if len(v)]
    lo = min((float(v.min()) for v in values), default=0.0)
    hi = max((float(v.max()) for v in values), default=1.0)
    edges = np.linspace(lo, hi if hi > lo else lo + 1e-6, bins + 1)
    for name, v in groups.items():
        if len(v):
            ax.hist(v, bins=edges, alpha=0.55, label=f"{name} (n={len(v)})")
    if threshold is not None:
        ax.axvline(threshold, color="red", ls="--", lw=1, label=f"threshold {threshold:.2f}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
