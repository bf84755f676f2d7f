"""The knowledge base's own bookkeeping in SQLite (``kb.sqlite`` beside the vectors).

Tables: ``meta`` (embedder id and dim, store kind, a version bumped on every change),
``documents`` (the manifest: one committed record per source with its content hash and the
key of its current chunks) and ``chunks`` (text, keyword tokens and metadata of every chunk,
written *before* its vectors). A chunk whose ``doc_key`` no manifest record names belongs to an
interrupted or superseded ingest; :meth:`Manifest.orphan_keys` finds them for clean-up.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
  source TEXT PRIMARY KEY, doc_key TEXT NOT NULL, content_hash TEXT NOT NULL, kind TEXT NOT NULL,
  n_chunks INTEGER NOT NULL, added_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
  id TEXT PRIMARY KEY, doc_key TEXT NOT NULL, role TEXT NOT NULL, text TEXT NOT NULL,
  tokens TEXT NOT NULL, metadata TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_key);
"""


@dataclass(frozen=True)
class DocRecord:
    source: str
    doc_key: str
    content_hash: str
    kind: str
    n_chunks: int
    added_at: float


@dataclass(frozen=True)
class ChunkRow:
    id: str
    doc_key: str
    role: str  # "chunk" (searchable text) or "faq_q" (an FAQ question/paraphrase)
    text: str
    tokens: list[str]
    metadata: dict[str, Any]


def _locked(fn: Callable[..., Any]) -> Callable[..., Any]:
    """One connection is shared by the server's threads: serialise its use."""
    @functools.wraps(fn)
    def wrapper(self: Manifest, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return fn(self, *args, **kwargs)
    return wrapper


class Manifest:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    @_locked
    def close(self) -> None:
        self._db.close()

    # meta
    @_locked
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    @_locked
    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @property
    @_locked
    def version(self) -> int:
        return int(self.get_meta("version") or 0)

    # documents
    @_locked
    def document(self, source: str) -> DocRecord | None:
        row = self._db.execute("SELECT * FROM documents WHERE source=?", (source,)).fetchone()
        return DocRecord(*row) if row else None

    @_locked
    def documents(self) -> list[DocRecord]:
        return [DocRecord(*r) for r in self._db.execute("SELECT * FROM documents ORDER BY source")]

    @_locked
    def committed_keys(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT doc_key FROM documents")}

    @_locked
    def commit_document(self, rec: DocRecord) -> None:
        """Make ``rec`` the source's current version and bump the version, in one transaction."""
        with self._tx():
            self._db.execute("INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?)",
                             (rec.source, rec.doc_key, rec.content_hash, rec.kind, rec.n_chunks, rec.added_at))
            self._bump()

    @_locked
    def forget_document(self, source: str) -> str | None:
        """Drop the manifest record (its chunks become orphans); returns its doc_key."""
        rec = self.document(source)
        if rec is None:
            return None
        with self._tx():
            self._db.execute("DELETE FROM documents WHERE source=?", (source,))
            self._bump()
        return rec.doc_key

    # chunks
    @_locked
    def write_chunks(self, rows: Iterable[ChunkRow]) -> None:
        with self._tx():
            self._db.executemany(
                "INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?, ?)",
                [(r.id, r.doc_key, r.role, r.text, json.dumps(r.tokens, ensure_ascii=False),
                  json.dumps(r.metadata, ensure_ascii=False)) for r in rows])

    @_locked
    def delete_chunks(self, doc_keys: Iterable[str]) -> None:
        with self._tx():
            self._db.executemany("DELETE FROM chunks WHERE doc_key=?", [(k,) for k in doc_keys])

    @_locked
    def orphan_keys(self) -> list[str]:
        return [r[0] for r in self._db.execute(
            "SELECT DISTINCT doc_key FROM chunks WHERE doc_key NOT IN (SELECT doc_key FROM documents)")]

    @_locked
    def committed_chunks(self, role: str = "chunk") -> list[ChunkRow]:
        return [ChunkRow(r[0], r[1], r[2], r[3], json.loads(r[4]), json.loads(r[5])) for r in self._db.execute(
                "SELECT c.* FROM chunks c JOIN documents d ON c.doc_key = d.doc_key WHERE c.role=? ORDER BY c.id",
                (role,))]

    @_locked
    def chunk_count(self, role: str = "chunk") -> int:
        return int(self._db.execute(
            "SELECT COUNT(*) FROM chunks c JOIN documents d ON c.doc_key = d.doc_key WHERE c.role=?",
            (role,)).fetchone()[0])

    def _bump(self) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (str(self.version + 1),))
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('updated_at', ?)", (str(time.time()),))

    def _tx(self) -> Any:
        db = self._db

        class _T:
            def __enter__(self) -> None:
                db.execute("BEGIN IMMEDIATE")

            def __exit__(self, exc_type: Any, *_: Any) -> None:
                db.execute("ROLLBACK" if exc_type else "COMMIT")

        return _T()
