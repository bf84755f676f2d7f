"""Vector stores behind one interface (:mod:`kefu.knowledge.stores.base`), one module per backend.

``open_store(kind, collection, dim, url=..., data_dir=...)`` picks the backend:

=============  ====================================================================
kind           backend
=============  ====================================================================
chroma         ChromaDB ``PersistentClient`` in ``data_dir/chroma`` (embedded default)
chroma-http    a Chroma server through ``HttpClient`` (``url`` = http://host:port)
milvus         ``pymilvus.MilvusClient``: ``url`` = a local ``.db`` file (milvus-lite,
               default ``data_dir/milvus.db``) or a Milvus server URI (http://host:19530)
=============  ====================================================================
"""

from __future__ import annotations

from pathlib import Path

from kefu.errors import ConfigError
from kefu.knowledge.stores.base import Record, StoredRecord, VectorHit, VectorStore, Where

__all__ = ["Record", "StoredRecord", "VectorHit", "VectorStore", "Where", "open_store"]


def open_store(kind: str, collection: str, dim: int, *, url: str | None = None,
               data_dir: str | Path | None = None) -> VectorStore:
    if kind == "chroma":
        from kefu.knowledge.stores.chroma import ChromaStore

        if data_dir is None:
            raise ConfigError("the embedded chroma store needs a data directory")
        return ChromaStore.persistent(Path(data_dir) / "chroma", collection)
    if kind == "chroma-http":
        from kefu.knowledge.stores.chroma import ChromaStore

        if not url:
            raise ConfigError("store chroma-http needs knowledge.store_url (e.g. http://127.0.0.1:8001)")
        return ChromaStore.http(url, collection)
    if kind == "milvus":
        from kefu.knowledge.stores.milvus import MilvusStore

        if url is None:
            if data_dir is None:
                raise ConfigError("the milvus store needs knowledge.store_url or a data directory")
            url = str(Path(data_dir) / "milvus.db")
        return MilvusStore(url, collection, dim)
    raise ConfigError(f"unknown vector store {kind!r}", hint="use chroma, chroma-http or milvus")
