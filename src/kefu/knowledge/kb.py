"""A named knowledge base: ingest files incrementally, search them (hybrid), match FAQs.

On disk (``data_dir/kb/NAME/``): ``kb.sqlite`` (manifest, chunk texts and keyword tokens; see
:mod:`kefu.knowledge.manifest`), ``bm25/`` (the saved keyword index) and the vectors in the
configured store (embedded Chroma in ``data_dir/kb/chroma`` by default), collections ``kefu_NAME``
(chunks) and ``kefu_NAME_faq`` (FAQ questions and paraphrases).

Ingest is incremental and crash-safe: an unchanged file (same SHA-256) is skipped; a changed one
gets its new chunks written under a new ``doc_key``, then one manifest commit switches the source
over, then the old chunks are deleted. Chunks that no manifest record names (an ingest killed
half-way) are never searched and are deleted when the knowledge base is next opened. Example::

    kb = KnowledgeBaseRegistry(settings).get_or_create("support")
    print(kb.add(["docs/", "faq.xlsx"]))        # files 3, chunks 41, skipped 0, errors 0, 2.1 s
    for hit in kb.search("怎么退货"):
        print(hit.score, hit.reason, hit.citation)
"""

from __future__ import annotations

import hashlib
import shutil
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kefu.config import KnowledgeSettings
from kefu.errors import ConfigError, KefuError
from kefu.knowledge.bm25 import BM25Index, tokenize
from kefu.knowledge.chunker import Chunk, chunk_document
from kefu.knowledge.embeddings import Embedder
from kefu.knowledge.loaders import Document, LoadError, load_paths
from kefu.knowledge.manifest import ChunkRow, DocRecord, Manifest
from kefu.knowledge.retriever import Hit, Reranker, hit_from, make_reranker, rrf
from kefu.knowledge.stores import Record, VectorStore, open_store


@dataclass
class IngestSummary:
    files: int = 0
    added: int = 0
    replaced: int = 0
    skipped: int = 0
    chunks: int = 0
    errors: list[LoadError] = field(default_factory=list)
    seconds: float = 0.0

    def __str__(self) -> str:
        return (f"files {self.files}, added {self.added}, replaced {self.replaced}, skipped {self.skipped} "
                f"(unchanged), chunks {self.chunks}, errors {len(self.errors)}, {self.seconds:.1f} s")

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files, "added": self.added, "replaced": self.replaced, "skipped": self.skipped,
                "chunks": self.chunks, "seconds": round(self.seconds, 3),
                "errors": [{"source": e.source, "reason": e.reason} for e in self.errors]}


def _matches(meta: dict[str, Any], where: dict[str, Any] | None) -> bool:
    for k, cond in (where or {}).items():
        v = meta.get(k)
        if isinstance(cond, dict):
            if v not in cond.get("$in", ()):
                return False
        elif v != cond:
            return False
    return True


def _dice(a: Sequence[str], b: Sequence[str]) -> float:
    sa, sb = set(a), set(b)
    return 2 * len(sa & sb) / (len(sa) + len(sb)) if sa and sb else 0.0


class KnowledgeBase:
    def __init__(self, name: str, root: Path, embedder: Embedder, settings: KnowledgeSettings,
                 store: VectorStore | None = None, faq_store: VectorStore | None = None) -> None:
        self.name = name
        self.dir = root / name
        self.embedder = embedder
        self.settings = settings
        self.manifest = Manifest(self.dir / "kb.sqlite")
        self._check_embedder()
        kind = self.manifest.get_meta("store") or settings.store
        url = self.manifest.get_meta("store_url") or settings.store_url
        if self.manifest.get_meta("store") is None:
            self.manifest.set_meta("store", kind)
            if url:
                self.manifest.set_meta("store_url", url)
        # chunks and FAQ questions live in two collections, so that plain searches need no filter
        # (a metadata filter makes Chroma pre-filter in SQLite: ~10x slower at 10k chunks)
        self.store = store or open_store(kind, f"kefu_{name}", embedder.dim, url=url, data_dir=root)
        self.faq_store = faq_store or open_store(kind, f"kefu_{name}_faq", embedder.dim, url=url, data_dir=root)
        self.reranker: Reranker = make_reranker(settings.reranker, embedder)
        self._lock = threading.RLock()
        self._cache: tuple[int, BM25Index, dict[str, ChunkRow], set[str]] | None = None
        self._recover()

    def _check_embedder(self) -> None:
        model, dim = self.manifest.get_meta("embedder"), self.manifest.get_meta("dim")
        if model is None:
            self.manifest.set_meta("embedder", self.embedder.model_id)
            self.manifest.set_meta("dim", str(self.embedder.dim))
        elif model != self.embedder.model_id or int(dim or 0) != self.embedder.dim:
            raise ConfigError(
                f"knowledge base {self.name!r} was built with embedder {model} ({dim} dims), but the configured "
                f"embedder is {self.embedder.model_id} ({self.embedder.dim} dims); their vectors are not comparable",
                hint=f"set knowledge.embedder to {model}, or re-create the knowledge base and add the files again")

    def _recover(self) -> None:
        """Delete chunks of ingests that never committed (or were superseded)."""
        for key in self.manifest.orphan_keys():
            self._delete_vectors(key)
            self.manifest.delete_chunks([key])

    def _delete_vectors(self, doc_key: str) -> None:
        self.store.delete(where={"doc_key": doc_key})
        self.faq_store.delete(where={"doc_key": doc_key})

    # ingest -----------------------------------------------------------------------------
    def add(self, paths: Iterable[str | Path], *, progress: bool = False) -> IngestSummary:
        """Load files/directories/globs and ingest them (see :meth:`add_documents`)."""
        t0 = time.perf_counter()
        docs, errors = load_paths(paths)
        for d in docs:
            d.source = str(Path(d.source).resolve())
        summary = self.add_documents(docs, progress=progress)
        summary.errors[:0] = errors
        summary.files += len(errors)
        summary.seconds = time.perf_counter() - t0
        return summary

    def add_documents(self, docs: Sequence[Document], *, progress: bool = False) -> IngestSummary:
        from tqdm import tqdm

        t0 = time.perf_counter()
        s = IngestSummary(files=len(docs))
        plan: list[tuple[Document, DocRecord | None, list[Chunk]]] = []
        with self._lock:
            for doc in docs:
                old = self.manifest.document(doc.source)
                if old is not None and old.content_hash == doc.content_hash:
                    s.skipped += 1
                    continue
                plan.append((doc, old, chunk_document(doc, self.settings.chunk_tokens, self.settings.chunk_overlap)))
            total = sum(len(c) for _, _, c in plan)
            pending: list[tuple[Document, DocRecord | None, list[Chunk], list[ChunkRow]]] = []
            with tqdm(total=total, unit="chunk", desc=f"kb {self.name}", disable=not progress) as bar:
                for doc, old, chunks in plan:
                    pending.append((doc, old, chunks, self._rows(doc, chunks)))
                    if sum(len(p[3]) for p in pending) >= 4 * self.settings.batch_size:
                        self._flush(pending, s, bar)
                self._flush(pending, s, bar)
            if plan:
                self._index()
        s.seconds = time.perf_counter() - t0
        return s

    def _rows(self, doc: Document, chunks: list[Chunk]) -> list[ChunkRow]:
        doc_key = hashlib.sha256(f"{doc.source}\0{doc.content_hash}".encode()).hexdigest()[:20]
        rows: list[ChunkRow] = []
        for c in chunks:
            meta: dict[str, Any] = {"doc_key": doc_key, "role": "chunk", "source": doc.source, "position": c.position,
                                    "heading": " > ".join(c.heading_path)}
            if c.page is not None:
                meta["page"] = c.page
            if c.faq_question is not None:
                meta.update(faq_question=c.faq_question, faq_answer=c.faq_answer or "")
            cid = f"{doc_key}:{c.position}"
            rows.append(ChunkRow(cid, doc_key, "chunk", c.index_text,
                                 tokenize(" ".join([c.index_text, *c.paraphrases])), meta))
            for j, q in enumerate((c.faq_question, *c.paraphrases) if c.faq_question else ()):
                rows.append(ChunkRow(f"{cid}:q{j}", doc_key, "faq_q", q, [], {**meta, "role": "faq_q", "chunk_id": cid}))
        return rows

    def _flush(self, pending: list[tuple[Document, DocRecord | None, list[Chunk], list[ChunkRow]]],
               s: IngestSummary, bar: Any) -> None:
        """Write the pending documents: chunk rows, then vectors (batched across documents so
        small files embed as fast as big ones), then one manifest commit per document."""
        if not pending:
            return
        rows = [r for p in pending for r in p[3]]
        try:
            self.manifest.write_chunks(rows)  # first: a crash after this point is found and cleaned up
            batch = self.settings.batch_size
            for i in range(0, len(rows), batch):
                part = rows[i:i + batch]
                docs_ = [r for r in part if r.role == "chunk"]
                qs = [r for r in part if r.role == "faq_q"]
                vecs: dict[str, Any] = {}
                if docs_:
                    vecs.update(zip([r.id for r in docs_], self.embedder.embed_documents([r.text for r in docs_]),
                                    strict=True))
                if qs:  # FAQ questions are matched against queries: embed them in the query role (symmetric)
                    vecs.update(zip([r.id for r in qs], self.embedder.embed_queries([r.text for r in qs]), strict=True))
                self.store.upsert([Record(r.id, vecs[r.id], r.text, r.metadata) for r in docs_])
                self.faq_store.upsert([Record(r.id, vecs[r.id], r.text, r.metadata) for r in qs])
                bar.update(len(docs_))
        except KefuError as e:  # e.g. a remote embedding server failed: these documents are not added
            s.errors += [LoadError(p[0].source, e.message) for p in pending]
            pending.clear()
            return
        for doc, old, chunks, drows in pending:
            doc_key = drows[0].doc_key if drows else "empty"
            self.manifest.commit_document(DocRecord(doc.source, doc_key, doc.content_hash, doc.kind, len(chunks),
                                                    time.time()))
            if old is not None and old.doc_key != doc_key:
                self._delete_vectors(old.doc_key)
                self.manifest.delete_chunks([old.doc_key])
            s.chunks += len(chunks)
            s.replaced += old is not None
            s.added += old is None
        pending.clear()

    def remove(self, source: str) -> bool:
        """Delete a document's chunks; ``source`` is the path as listed by :meth:`documents`
        (a relative path is resolved). Returns False if it was not in the knowledge base."""
        with self._lock:
            key = self.manifest.forget_document(source)
            if key is None and Path(source).exists():
                key = self.manifest.forget_document(str(Path(source).resolve()))
            if key is None:
                return False
            self._delete_vectors(key)
            self.manifest.delete_chunks([key])
            self._index()
            return True

    def documents(self) -> list[DocRecord]:
        return self.manifest.documents()

    # keyword index ----------------------------------------------------------------------
    def _index(self) -> tuple[BM25Index, dict[str, ChunkRow], set[str]]:
        """The BM25 index and chunk table for the current version (loaded or rebuilt, then cached)."""
        version = self.manifest.version
        if self._cache is not None and self._cache[0] == version:
            return self._cache[1:]
        with self._lock:
            rows = {r.id: r for r in self.manifest.committed_chunks("chunk")}
            index = BM25Index.load(self.dir / "bm25", version)
            if index is None or set(index.ids) != set(rows):
                index = BM25Index.build(list(rows), [r.tokens for r in rows.values()])
                index.save(self.dir / "bm25", version)
            self._cache = (version, index, rows, self.manifest.committed_keys())
            return self._cache[1:]

    # search -----------------------------------------------------------------------------
    def search(self, query: str, k: int | None = None, where: dict[str, Any] | None = None, *,
               mode: str = "hybrid", rerank: bool = True) -> list[Hit]:
        """Top ``k`` chunks for ``query``; ``mode`` is hybrid, dense or bm25; ``where`` filters on
        metadata (source, heading, page, doc_key, ...)."""
        qvec = self.embedder.embed_queries([query])[0] if mode != "bm25" else None
        return self.search_with_vector(query, qvec, k, where, mode=mode, rerank=rerank)

    def search_with_vector(self, query: str, qvec: np.ndarray | None, k: int | None = None,
                           where: dict[str, Any] | None = None, *, mode: str = "hybrid",
                           rerank: bool = True) -> list[Hit]:
        if mode not in ("hybrid", "dense", "bm25"):
            raise ConfigError(f"unknown search mode {mode!r}", hint="use hybrid, dense or bm25")
        k = k or self.settings.top_k
        n = max(self.settings.candidates, k)
        index, rows, committed = self._index()
        qtok = tokenize(query)
        dense_ids: list[str] = []
        dense_meta: dict[str, tuple[str, dict[str, Any]]] = {}
        if mode != "bm25" and qvec is not None:
            for h in self.store.query(qvec, n, where=where or None):
                if h.metadata.get("doc_key") in committed:  # skip chunks of uncommitted/superseded ingests
                    dense_ids.append(h.id)
                    dense_meta[h.id] = (h.text, h.metadata)
        bm_ids: list[str] = []
        if mode != "dense":
            allowed = {i for i, r in rows.items() if _matches(r.metadata, where)} if where else None
            bm_ids = [i for i, _ in index.search(qtok, n, allowed)]
        fused = rrf({"dense": dense_ids, "bm25": bm_ids},
                    {"dense": self.settings.dense_weight, "bm25": self.settings.bm25_weight}, self.settings.rrf_k)
        d_rank = {i: r for r, i in enumerate(dense_ids, 1)}
        b_rank = {i: r for r, i in enumerate(bm_ids, 1)}
        hits = []
        for cid, score in fused[: max(k, 2 * k if rerank else k)]:
            row = rows.get(cid)
            text, meta = (row.text, row.metadata) if row else dense_meta[cid]
            reason = "both" if cid in d_rank and cid in b_rank else ("dense" if cid in d_rank else "bm25")
            h = hit_from(cid, text, meta, score, reason)
            ov = len(set(qtok) & set(row.tokens)) / len(set(qtok)) if row and qtok else 0.0
            hits.append(Hit(**{**h.__dict__, "dense_rank": d_rank.get(cid), "bm25_rank": b_rank.get(cid), "overlap": ov}))
        if rerank:
            hits = self.reranker.rerank(query, hits)
        return hits[:k]

    def faq_match(self, query: str, qvec: np.ndarray | None = None) -> Hit | None:
        """The FAQ answer for ``query`` if a question or paraphrase matches with score >=
        ``faq_threshold``; score = 0.5 * cosine + 0.5 * keyword Dice overlap."""
        if qvec is None:
            qvec = self.embedder.embed_queries([query])[0]
        _, _, committed = self._index()
        qtok = tokenize(query)
        best: tuple[float, Any] | None = None
        for h in self.faq_store.query(qvec, 5):
            if h.metadata.get("doc_key") not in committed:
                continue
            score = 0.5 * h.score + 0.5 * _dice(qtok, tokenize(h.text))
            if best is None or score > best[0]:
                best = (score, h)
        if best is None or best[0] < self.settings.faq_threshold:
            return None
        score, h = best
        meta = dict(h.metadata)
        hit = hit_from(str(meta.get("chunk_id", h.id)), str(meta.get("faq_answer", "")), meta, score, "faq")
        return Hit(**{**hit.__dict__, "overlap": 1.0})

    # admin ------------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        docs = self.manifest.documents()
        return {"name": self.name, "documents": len(docs), "chunks": self.manifest.chunk_count("chunk"),
                "faq_questions": self.manifest.chunk_count("faq_q"),
                "embedder": self.manifest.get_meta("embedder"), "dim": int(self.manifest.get_meta("dim") or 0),
                "store": self.manifest.get_meta("store"), "version": self.manifest.version,
                "vectors": self.store.count() + self.faq_store.count()}

    def close(self) -> None:
        # store clients are shared by the knowledge bases of a process; only the manifest is ours
        self.manifest.close()

    def drop(self) -> None:
        """Delete the collection, the index and the manifest."""
        with self._lock:
            self.store.drop()
            self.faq_store.drop()
            self.manifest.close()
            shutil.rmtree(self.dir, ignore_errors=True)
