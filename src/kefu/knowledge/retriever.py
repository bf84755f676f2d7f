"""Hybrid retrieval pieces: hits, reciprocal rank fusion, rerankers.

Reciprocal rank fusion (Cormack et al. 2009): a candidate's fused score is
``sum_i w_i / (k + rank_i)`` over the rankings (dense, BM25) that found it, ranks 1-based.
Written here because it is ten lines; no library is worth a dependency for it.

Each :class:`Hit` says why it was found (``reason``: dense, bm25, both, or faq for an FAQ
direct answer) and keeps its dense and BM25 ranks and keyword ``overlap`` (the fraction of
the query's keywords it contains), which :func:`is_relevant` uses to decide whether the
knowledge base answers the question at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Any, Protocol, runtime_checkable

import numpy as np

from kefu.knowledge.embeddings import Embedder


@dataclass(frozen=True)
class Hit:
    id: str
    text: str
    score: float
    reason: str  # "dense" | "bm25" | "both" | "faq"
    source: str
    heading_path: tuple[str, ...] = ()
    page: int | None = None
    position: int = 0
    metadata: dict[str, Any] = field(default_factory=dict)
    dense_rank: int | None = None  # 1-based
    bm25_rank: int | None = None
    overlap: float = 0.0

    @property
    def citation(self) -> str:
        """``file name > heading (p. 3)`` for showing where a hit came from (the full path stays in
        ``source``; the model and the customer only need the document's name)."""
        parts = [PurePath(self.source).name or self.source, *self.heading_path]
        return " > ".join(parts) + (f" (p. {self.page})" if self.page else "")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "score": self.score, "reason": self.reason, "source": self.source,
                "heading_path": list(self.heading_path), "page": self.page, "position": self.position,
                "dense_rank": self.dense_rank, "bm25_rank": self.bm25_rank, "overlap": round(self.overlap, 3),
                "faq_answer": self.metadata.get("faq_answer")}


def hit_from(id_: str, text: str, meta: dict[str, Any], score: float, reason: str) -> Hit:
    heading = str(meta.get("heading") or "")
    page = meta.get("page")
    return Hit(id_, text, score, reason, str(meta.get("source", "")), tuple(heading.split(" > ")) if heading else (),
               int(page) if page not in (None, "", 0) else None, int(meta.get("position", 0)), dict(meta))


def rrf(rankings: dict[str, Sequence[str]], weights: dict[str, float], k: int = 60) -> list[tuple[str, float]]:
    """Fuse ranked id lists: ``rrf({"dense": ["a", "b"], "bm25": ["b"]}, {"dense": 1, "bm25": 1})``
    -> ``[("b", 1/62 + 1/61), ("a", 1/61)]``."""
    scores: dict[str, float] = {}
    for name, ids in rankings.items():
        w = weights.get(name, 1.0)
        for rank, i in enumerate(ids, start=1):
            scores[i] = scores.get(i, 0.0) + w / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def is_relevant(hit: Hit, *, min_overlap: float, max_dense_rank: int) -> bool:
    """A hit answers the question only if it shares keywords with it (BM25 overlap) *and* the
    embedder ranks it near the top. Raw e5 cosines are not used: they are high for unrelated text."""
    if hit.reason == "faq":
        return True
    return hit.overlap >= min_overlap and hit.dense_rank is not None and hit.dense_rank <= max_dense_rank


@runtime_checkable
class Reranker(Protocol):
    """Reorders fused candidates for a query; may change scores, never the hit set."""

    def rerank(self, query: str, hits: Sequence[Hit]) -> list[Hit]:
        ...


class IdentityReranker:
    """Keeps the fusion order (the default)."""

    def rerank(self, query: str, hits: Sequence[Hit]) -> list[Hit]:
        return list(hits)


class EmbeddingReranker:
    """Cross-encoder-free rerank: cosine between the query and each candidate under ``embedder``
    (pass a stronger embedder than the first stage to gain anything), blended with the fused
    order: ``alpha * cosine + (1 - alpha) * (1 - rank / n)``. Cost: one document embedding per
    candidate per query."""

    def __init__(self, embedder: Embedder, alpha: float = 0.7) -> None:
        self.embedder = embedder
        self.alpha = alpha

    def rerank(self, query: str, hits: Sequence[Hit]) -> list[Hit]:
        if not hits:
            return []
        q = self.embedder.embed_queries([query])[0]
        d = self.embedder.embed_documents([h.text for h in hits])
        cos = d @ q
        n = len(hits)
        blended = self.alpha * cos + (1 - self.alpha) * (1 - np.arange(n) / n)
        order = np.argsort(-blended, kind="stable")
        return [replace(hits[i], score=float(blended[i])) for i in order]


def make_reranker(name: str, embedder: Embedder) -> Reranker:
    from kefu.errors import ConfigError

    if name in ("none", "identity", ""):
        return IdentityReranker()
    if name == "embedding":
        return EmbeddingReranker(embedder)
    if name.startswith("embedding:"):
        from kefu.knowledge.embeddings import load_embedder

        return EmbeddingReranker(load_embedder(name.partition(":")[2]))
    raise ConfigError(f"unknown reranker {name!r}", hint="use none, embedding or embedding:EMBEDDER_REF")
