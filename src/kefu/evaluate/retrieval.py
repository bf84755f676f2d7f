"""Retrieval evaluation against a tiny interface, so any retriever can be measured.

A :class:`Retriever` is a callable ``(query, k) -> ranked document ids``. Adapters:

- :class:`SearchAdapter` wraps any ``search(query, k)`` returning hits (objects or dicts) and
  reads each hit's id from a field (e.g. kefu's knowledge base hits: ``source`` or ``id``);
- :class:`EmbeddingRetriever` is a plain in-memory dense retriever over ``(id, text)`` pairs
  (cosine over :mod:`kefu.knowledge.embeddings` vectors), used by ``kefu eval retrieval --docs``.

Example::

    r = EmbeddingRetriever(load_embedder("hash-256"), [("d1", "refund policy"), ("d2", "shipping")])
    evaluate_retrieval(r, [("how do refunds work", {"d1"})]).scores["hit@1"]

Duplicate ids in a ranking (several chunks of one document) are collapsed to the first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from kefu.evaluate import plots
from kefu.evaluate.metrics.ranking import first_hit, ranking_scores
from kefu.evaluate.progress import track
from kefu.evaluate.report import Report
from kefu.knowledge.embeddings import Embedder


class Retriever(Protocol):
    def __call__(self, query: str, k: int) -> Sequence[str]:
        """Up to ``k`` document ids, best first."""
        ...


class SearchAdapter:
    """``search(query, k) -> hits`` plus the name of the id field -> a :class:`Retriever`."""

    def __init__(self, search: Callable[[str, int], Sequence[Any]], id_field: str = "id") -> None:
        self.search, self.id_field = search, id_field

    def __call__(self, query: str, k: int) -> list[str]:
        hits = self.search(query, k)
        return [str(h[self.id_field] if isinstance(h, dict) else getattr(h, self.id_field)) for h in hits]


class EmbeddingRetriever:
    """Brute-force cosine search over a small in-memory collection (fine up to ~100k docs)."""

    def __init__(self, embedder: Embedder, docs: Sequence[tuple[str, str]], *, batch_size: int = 64) -> None:
        self.embedder = embedder
        self.ids = [d for d, _ in docs]
        texts = [t for _, t in docs]
        parts = [embedder.embed_documents(texts[i:i + batch_size])
                 for i in track(range(0, len(texts), batch_size), "embedding documents",
                                total=(len(texts) + batch_size - 1) // batch_size)]
        self.matrix = np.concatenate(parts) if parts else np.zeros((0, embedder.dim), np.float32)

    def __call__(self, query: str, k: int) -> list[str]:
        sims = self.matrix @ self.embedder.embed_queries([query])[0]
        top = np.argsort(-sims)[:k]
        return [self.ids[i] for i in top]


@dataclass
class RetrievalResult:
    scores: dict[str, Any]
    report: Report
    rankings: list[list[str]]


def _dedupe(ids: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def evaluate_retrieval(retriever: Retriever, queries: Sequence[tuple[str, set[str]]], *, k: int = 10,
                       meta: dict[str, Any] | None = None) -> RetrievalResult:
    rankings = [_dedupe(retriever(q, k)) for q, _ in track(queries, "retrieving", total=len(queries))]
    relevant = [rel for _, rel in queries]
    ks = tuple(sorted({1, 3, 5, k} & set(range(1, k + 1))))
    scores = ranking_scores(rankings, relevant, ks=ks)
    rep = Report("Retrieval", meta={**(meta or {}), "queries": len(queries), "k": k})
    rep.metrics("Summary", scores)
    ranks = [first_hit(r, g) for r, g in zip(rankings, relevant, strict=True)]
    found = [float(r) for r in ranks if r is not None]
    rep.figure("first_hit_rank", "Rank of the first relevant document (found within k)",
               plots.histogram_figure({"first relevant rank": found}, xlabel="rank", bins=max(k, 1)),
               {"ranks": ranks})
    misses = [[q, ", ".join(sorted(g)), ", ".join(r[:3])] for (q, g), r, rk in zip(queries, rankings, ranks, strict=True)
              if rk != 1]
    rep.table("Queries whose top result is not relevant", ["query", "relevant", "top 3 retrieved"], misses, max_rows=50)
    return RetrievalResult(scores, rep, rankings)
