"""Embedding cache on disk: embed a list of texts once, reuse the ``.npy`` on later runs.

Embedding BANKING77 (13k texts) with the bundled e5-small takes ~10 minutes on 2 CPU cores,
so scoreboard runs and repeated ``kefu eval intent`` runs keep the vectors. The key is a
SHA-256 of the model id, the role (query/document) and every text, so a changed data set
never reuses stale vectors.

Example::

    X = cached_embed(load_embedder("default"), texts, "/tmp/kefu-emb")   # (n, dim) float32
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from kefu.knowledge.embeddings import Embedder


def cache_key(model_id: str, texts: Sequence[str], role: str = "query") -> str:
    h = hashlib.sha256(f"{model_id}\x00{role}\x00".encode())
    for t in texts:
        h.update(t.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:24]


def embed_batched(embedder: Embedder, texts: Sequence[str], *, role: str = "query", batch_size: int = 64,
                  progress: Callable[[int], None] | None = None) -> np.ndarray:
    """Embed in batches, calling ``progress(n_done_in_batch)`` after each (for progress bars)."""
    fn = embedder.embed_queries if role == "query" else embedder.embed_documents
    parts = []
    for i in range(0, len(texts), batch_size):
        batch = list(texts[i:i + batch_size])
        parts.append(fn(batch))
        if progress is not None:
            progress(len(batch))
    if not parts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.concatenate(parts).astype(np.float32)


def cached_embed(embedder: Embedder, texts: Sequence[str], cache_dir: str | Path | None, *, role: str = "query",
                 batch_size: int = 64, progress: Callable[[int], None] | None = None) -> np.ndarray:
    """Vectors for ``texts``, read from ``cache_dir/<key>.npy`` when present (no cache when None)."""
    if cache_dir is None:
        return embed_batched(embedder, texts, role=role, batch_size=batch_size, progress=progress)
    path = Path(cache_dir) / f"{cache_key(embedder.model_id, texts, role)}.npy"
    if path.is_file():
        X = np.load(path)
        if X.shape[0] == len(texts):
            if progress is not None:
                progress(len(texts))
            return X
    X = embed_batched(embedder, texts, role=role, batch_size=batch_size, progress=progress)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, X)
    tmp.replace(path)
    return X
