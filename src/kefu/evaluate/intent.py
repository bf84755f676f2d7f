"""Intent evaluation: fit :class:`kefu.dialog.intents.IntentClassifier` (or load a saved one),
predict a labelled test set, and report accuracy, P/R/F1, the confusion matrix, the
confidence distribution and how well the out-of-scope score separates right from wrong.

Example::

    texts, labels = read_intents("banking77/test.csv")
    train = read_intents("banking77/train.csv")
    result = evaluate_intents(texts, labels, train=train, shots=10, embedder=load_embedder())
    result.report.write("out/")

Without a training set (and without a saved classifier) 20% of the data, stratified, is
held out as the test set. ``oos_label`` names a gold label meaning "out of scope" (e.g.
CLINC150's ``oos``): those examples are kept out of training and scored as OOS detection.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kefu.dialog.intents import IntentClassifier
from kefu.errors import DataError, InvalidRequestError
from kefu.evaluate import plots
from kefu.evaluate.embcache import cached_embed
from kefu.evaluate.metrics.classification import binary_curves, classification_scores, confusion, roc_auc
from kefu.evaluate.progress import bar
from kefu.evaluate.report import Report
from kefu.knowledge.embeddings import Embedder

Examples = tuple[list[str], list[str]]


@dataclass
class IntentResult:
    scores: dict[str, Any]
    report: Report
    classifier: IntentClassifier


def sample_shots(texts: Sequence[str], labels: Sequence[str], shots: int, seed: int = 0) -> Examples:
    """``shots`` examples per intent, drawn at random (all of an intent's examples if fewer)."""
    by: dict[str, list[str]] = defaultdict(list)
    for t, lab in zip(texts, labels, strict=True):
        by[lab].append(t)
    rng = random.Random(seed)
    out_t, out_l = [], []
    for lab in sorted(by):
        pick = rng.sample(by[lab], min(shots, len(by[lab])))
        out_t += pick
        out_l += [lab] * len(pick)
    return out_t, out_l


def holdout(texts: Sequence[str], labels: Sequence[str], frac: float = 0.2, seed: int = 0) -> tuple[Examples, Examples]:
    from sklearn.model_selection import train_test_split

    counts = Counter(labels)
    strat = list(labels) if min(counts.values()) >= 2 else None
    try:
        tr_t, te_t, tr_l, te_l = train_test_split(list(texts), list(labels), test_size=frac, random_state=seed,
                                                  stratify=strat)
    except ValueError as e:
        raise DataError(f"cannot hold out a test set: {e}", hint="pass --train with separate training data") from e
    return (tr_t, tr_l), (te_t, te_l)


def _embed(embedder: Embedder, texts: Sequence[str], desc: str, cache_dir: str | Path | None) -> np.ndarray:
    with bar(len(texts), desc) as b:
        return cached_embed(embedder, texts, cache_dir, progress=b.update)


def evaluate_intents(texts: Sequence[str], labels: Sequence[str], *, embedder: Embedder,
                     train: Examples | None = None, classifier: IntentClassifier | None = None,
                     shots: int | None = None, method: str = "auto", threshold: float | None = None,
                     oos_label: str | None = None, cache_dir: str | Path | None = None, seed: int = 0,
                     meta: dict[str, Any] | None = None) -> IntentResult:
    meta = dict(meta or {})
    if classifier is None:
        if train is None:
            train, (texts, labels) = holdout(texts, labels, seed=seed)
            meta["split"] = f"20% of --data held out (stratified, seed {seed})"
        tr_t, tr_l = train
        if oos_label is not None:
            keep = [i for i, lab in enumerate(tr_l) if lab != oos_label]
            tr_t, tr_l = [tr_t[i] for i in keep], [tr_l[i] for i in keep]
        if shots:
            tr_t, tr_l = sample_shots(tr_t, tr_l, shots, seed)
        classifier = IntentClassifier(embedder, method=method, threshold=threshold)
        classifier.fit_embeddings(_embed(embedder, tr_t, "embedding training set", cache_dir), tr_l)
        meta["training examples"] = len(tr_t)
    X = _embed(embedder, texts, "embedding test set", cache_dir)
    preds = classifier.predict_embeddings(X)
    meta.update({"test examples": len(texts), "intents": len(classifier.labels),
                 "embedder": embedder.model_id, "method": classifier.fitted_method,
                 "threshold": classifier.threshold})
    return _report(list(texts), list(labels), preds, classifier, oos_label, meta)


def _report(texts: list[str], gold: list[str], preds: list, clf: IntentClassifier, oos_label: str | None,
            meta: dict[str, Any]) -> IntentResult:
    rep = Report("Intent classification", meta=meta)
    inscope = [i for i, g in enumerate(gold) if g != oos_label]
    g_in = [gold[i] for i in inscope]
    p_in = [preds[i].label for i in inscope]
    s = classification_scores(g_in, p_in)
    conf = np.array([p.score for p in preds])
    correct = np.array([p.label == g for p, g in zip(preds, gold, strict=True)])
    flagged = np.array([p.out_of_scope for p in preds])
    summary = {"accuracy": s["accuracy"], "macro precision": s["macro"]["precision"],
               "macro recall": s["macro"]["recall"], "macro F1": s["macro"]["f1"], "micro F1": s["micro"]["f1"],
               "weighted F1": s["weighted"]["f1"], "flagged out of scope": float(flagged[inscope].mean()),
               "accuracy of kept (not flagged)": float(correct[inscope][~flagged[inscope]].mean())
               if (~flagged[inscope]).any() else float("nan")}
    try:  # macro one-vs-rest ROC-AUC of the probability matrix; undefined when a class has no test example
        proba = np.array([[preds[i].scores[lab] for lab in clf.labels] for i in inscope])
        summary["macro ROC-AUC (one-vs-rest)"] = roc_auc(g_in, proba, labels=clf.labels)
    except InvalidRequestError:
        pass
    rep.metrics("Summary", summary)
    scores: dict[str, Any] = {**s, "summary": summary}
    rows = sorted(([lab, v["precision"], v["recall"], v["f1"], v["support"]] for lab, v in s["per_class"].items()),
                  key=lambda r: r[3])
    rep.table("Per intent (worst first)", ["intent", "precision", "recall", "F1", "support"], rows)
    pairs = Counter((g, p) for g, p in zip(g_in, p_in, strict=True) if g != p).most_common(15)
    rep.table("Most frequent confusions", ["gold", "predicted", "count"], [[g, p, n] for (g, p), n in pairs])
    labels = sorted(set(g_in) | set(p_in))
    cm = confusion(g_in, p_in, labels)
    rep.figure("confusion", "Confusion matrix (row-normalised)", plots.confusion_matrix_figure(cm, labels),
               {"labels": labels, "matrix": cm.tolist()})
    groups = {"correct": conf[inscope][correct[inscope]].tolist(), "wrong": conf[inscope][~correct[inscope]].tolist()}
    if oos_label is not None:
        groups["gold out of scope"] = conf[[i for i, g in enumerate(gold) if g == oos_label]].tolist()
    rep.figure("confidence", "Confidence (top probability) distribution",
               plots.histogram_figure(groups, xlabel="top probability", threshold=clf.threshold), groups)
    if 0 < correct[inscope].sum() < len(inscope):
        c = binary_curves(correct[inscope].astype(int).tolist(), conf[inscope].tolist())
        scores["confidence_detects_correct"] = {"roc_auc": c["roc"]["auc"], "ap": c["pr"]["ap"]}
        rep.text("The curves below ask: does the confidence separate right from wrong predictions? "
                 "(positive = correct; a high AUC means the out-of-scope score is a useful signal)")
        rep.figure("roc_correct", "ROC: confidence as a detector of correct predictions",
                   plots.curve_figure("roc", {"confidence": c["roc"]}), c["roc"])
        rep.figure("pr_correct", "Precision-recall: confidence as a detector of correct predictions",
                   plots.curve_figure("pr", {"confidence": c["pr"]}), c["pr"])
    if oos_label is not None and oos_label in gold:
        y = [int(g == oos_label) for g in gold]
        c = binary_curves(y, [p.oos_score for p in preds])
        oos = {"roc_auc": c["roc"]["auc"], "ap": c["pr"]["ap"],
               "recall at threshold": float(flagged[np.array(y) == 1].mean())}
        scores["oos_detection"] = oos
        rep.metrics("Out-of-scope detection", oos)
        rep.figure("roc_oos", "ROC: out-of-scope detection", plots.curve_figure("roc", {"oos score": c["roc"]}), c["roc"])
    errors = [[t, g, p.label, round(p.score, 4)] for t, g, p in zip(texts, gold, preds, strict=True) if p.label != g]
    rep.table("Errors", ["text", "gold", "predicted", "confidence"], errors, max_rows=50)
    return IntentResult(scores, rep, clf)
