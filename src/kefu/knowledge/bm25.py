"""BM25 keyword search (bm25s) with jieba segmentation for Chinese.

:func:`tokenize` lower-cases, segments Chinese with jieba's search mode (so 退货政策 yields
退货, 政策 and 退货政策), keeps Latin words and numbers, and drops punctuation and a short list
of zh/en function words. The index is rebuilt from stored token lists (cheap: no
re-segmentation) and saved beside the vectors with the knowledge base's version number, so a
stale index is detected and rebuilt on load. Example::

    index = BM25Index.build(["k1", "k2"], [tokenize("退货政策：七天无理由"), tokenize("shipping times")])
    index.search(tokenize("怎么退货"), k=5)      # [("k1", 0.69)]
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

STOPWORDS = frozenset(
    "a an the is are was were be been to of in on at for and or but with by from as it its this that these those "
    "i you he she we they me my your our do does did how what when where which who why can could would should will "
    "please hi hello there any have has had not no yes if so than then into about".split()
    + list("的了吗呢吧啊是在和与或也都就还要我你他她它们这那有么个之")
    + ["什么", "怎么", "怎样", "如何", "为什么", "多少", "哪里", "哪个", "可以", "能否", "能不能", "请问", "一下",
       "我们", "你们", "他们", "是否", "一个", "没有", "这个", "那个"]
)
_jieba_ready = False


def _jieba():  # imported lazily: jieba builds its prefix dictionary on first use (~1 s)
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        jieba.setLogLevel(logging.WARNING)
        _jieba_ready = True
    return jieba


_RUNS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[^\W_]+", re.UNICODE)
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def tokenize(text: str) -> list[str]:
    """Keyword tokens of ``text`` (zh via jieba search mode, en words lower-cased, stopwords dropped).

    Only Chinese runs go through jieba (6x faster on English-heavy text than segmenting everything)."""
    out: list[str] = []
    jieba = None
    for run in _RUNS.findall(text.lower()):
        if _CJK_RUN.match(run):
            jieba = jieba or _jieba()
            out += [t for t in jieba.lcut_for_search(run) if t not in STOPWORDS]
        elif run not in STOPWORDS:
            out.append(run)
    return out


def warm_up() -> None:
    """Load jieba's dictionary now (~1-3 s once per process) instead of on the first query."""
    _jieba().initialize()


def overlap(query_tokens: Sequence[str], doc_tokens: Sequence[str]) -> float:
    """Fraction of the query's distinct keywords found in the document (0..1)."""
    q = set(query_tokens)
    return len(q & set(doc_tokens)) / len(q) if q else 0.0


class BM25Index:
    """An immutable BM25 index over ``ids``; rebuild it to change it."""

    def __init__(self, ids: list[str], model: object | None) -> None:
        self.ids = ids
        self._m = model
        self._pos = {i: n for n, i in enumerate(ids)}

    @classmethod
    def build(cls, ids: Sequence[str], token_lists: Sequence[Sequence[str]]) -> BM25Index:
        import bm25s

        if not ids:
            return cls([], None)
        m = bm25s.BM25()
        m.index([list(t) for t in token_lists], show_progress=False)
        return cls(list(ids), m)

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, query_tokens: Sequence[str], k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """Best ``k`` (id, score) with score > 0; ``allowed`` restricts hits to those ids."""
        if self._m is None or k <= 0:
            return []
        vocab = self._m.vocab_dict  # type: ignore[attr-defined]
        q = [t for t in query_tokens if t in vocab]
        if not q:
            return []
        mask = None
        if allowed is not None:
            mask = np.zeros(len(self.ids), dtype=np.float32)
            idx = [self._pos[i] for i in allowed if i in self._pos]
            if not idx:
                return []
            mask[idx] = 1.0
        docs, scores = self._m.retrieve([q], k=min(k, len(self.ids)), show_progress=False,  # type: ignore[attr-defined]
                                        weight_mask=mask, n_threads=1)
        return [(self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    def save(self, path: Path, version: int) -> None:
        path.mkdir(parents=True, exist_ok=True)
        if self._m is not None:
            self._m.save(str(path), show_progress=False)  # type: ignore[attr-defined]
        tmp = path / "kefu.json.tmp"
        tmp.write_text(json.dumps({"version": version, "ids": self.ids}), encoding="utf-8")
        tmp.replace(path / "kefu.json")  # written last: its version vouches for the files above

    @classmethod
    def load(cls, path: Path, version: int) -> BM25Index | None:
        """The saved index if it matches ``version``; None if missing or stale."""
        meta_file = path / "kefu.json"
        if not meta_file.is_file():
            return None
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        if meta.get("version") != version:
            return None
        if not meta["ids"]:
            return cls([], None)
        import bm25s

        return cls(meta["ids"], bm25s.BM25.load(str(path), show_progress=False))
