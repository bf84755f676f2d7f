"""ChromaDB: embedded ``PersistentClient`` (the default) or a server through ``HttpClient``.

kefu always passes its own embeddings: the collection is created with ``embedding_function=None``
(Chroma's default function would download a model) and cosine space.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from kefu.errors import BackendError, InvalidRequestError
from kefu.knowledge.stores.base import Record, StoredRecord, VectorHit, Where, check_metadata, check_where


def _where(where: Where | None) -> dict[str, Any] | None:
    conds = [{k: ({"$in": v} if op == "in" else v)} for k, op, v in check_where(where)]
    if not conds:
        return None
    return conds[0] if len(conds) == 1 else {"$and": conds}


class ChromaStore:
    def __init__(self, client: Any, collection: str) -> None:
        self._client = client
        self.collection = collection
        self._c = client.get_or_create_collection(collection, embedding_function=None,
                                                  metadata={"hnsw:space": "cosine"})
        self._batch = int(getattr(client, "get_max_batch_size", lambda: 5000)())

    @classmethod
    def persistent(cls, path: str | Path, collection: str) -> ChromaStore:
        import chromadb
        from chromadb.config import Settings

        Path(path).mkdir(parents=True, exist_ok=True)
        return cls(chromadb.PersistentClient(str(path), settings=Settings(anonymized_telemetry=False)), collection)

    @classmethod
    def http(cls, url: str, collection: str) -> ChromaStore:
        import chromadb
        from chromadb.config import Settings

        u = urlparse(url if "//" in url else f"http://{url}")
        try:
            client = chromadb.HttpClient(host=u.hostname or "127.0.0.1", port=u.port or 8000, ssl=u.scheme == "https",
                                         settings=Settings(anonymized_telemetry=False))
            return cls(client, collection)
        except Exception as e:  # connection refused etc. come as several exception types
            raise BackendError(f"cannot reach the Chroma server at {url}: {e}",
                               hint="start it with `chroma run --path DIR --port PORT`") from e

    def _write(self, records: Sequence[Record], fn: str) -> None:
        check_metadata(records)
        for i in range(0, len(records), self._batch):
            part = records[i:i + self._batch]
            getattr(self._c, fn)(ids=[r.id for r in part], embeddings=[list(map(float, r.vector)) for r in part],
                                 documents=[r.text for r in part], metadatas=[dict(r.metadata) or None for r in part])

    def add(self, records: Sequence[Record]) -> None:
        if not records:
            return
        existing = self._c.get(ids=[r.id for r in records], include=[])["ids"]
        if existing:
            raise InvalidRequestError(f"ids already exist: {existing[:5]}", hint="use upsert to replace them")
        self._write(records, "add")

    def upsert(self, records: Sequence[Record]) -> None:
        if records:
            self._write(records, "upsert")

    def get(self, ids: Sequence[str] | None = None, where: Where | None = None, *,
            include_vectors: bool = False) -> list[StoredRecord]:
        include = ["documents", "metadatas"] + (["embeddings"] if include_vectors else [])
        if ids is not None and not ids:
            return []
        res = self._c.get(ids=list(ids) if ids is not None else None, where=_where(where), include=include)
        vecs = res.get("embeddings") if include_vectors else None
        return [StoredRecord(i, d or "", dict(m or {}), [float(x) for x in vecs[n]] if vecs is not None else None)
                for n, (i, d, m) in enumerate(zip(res["ids"], res["documents"], res["metadatas"], strict=True))]

    def query(self, vector: Sequence[float], k: int, where: Where | None = None) -> list[VectorHit]:
        if k <= 0:
            return []
        res = self._c.query(query_embeddings=[list(map(float, vector))], n_results=k, where=_where(where),
                            include=["documents", "metadatas", "distances"])
        return [VectorHit(i, d or "", dict(m or {}), 1.0 - float(dist))
                for i, d, m, dist in zip(res["ids"][0], res["documents"][0], res["metadatas"][0],
                                         res["distances"][0], strict=True)]

    def delete(self, ids: Sequence[str] | None = None, where: Where | None = None) -> None:
        if ids is not None and not ids:
            return
        if ids is None and not where:
            raise InvalidRequestError("delete needs ids or a filter", hint="use drop() to delete everything")
        self._c.delete(ids=list(ids) if ids is not None else None, where=_where(where))

    def count(self) -> int:
        return int(self._c.count())

    def drop(self) -> None:
        self._client.delete_collection(self.collection)
