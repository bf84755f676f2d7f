"""Knowledge-base speed: ingest throughput vs the bare embedder, and query latency at scale.

1. Ingest: the same chunk texts (StackFAQ answers from ../shared/data) encoded by the bare
   embedder (``embed_documents``, batches of ``knowledge.batch_size``) vs ingested by
   ``KnowledgeBase.add_documents`` (chunking, jieba tokens, SQLite, Chroma, BM25 rebuild).
   Ratio = kb chunks/s / bare chunks/s (target >= 0.8). Both sides are warmed up first (one e5
   batch; jieba's dictionary), so the figure is steady-state throughput.
2. Query latency p50/p95 of hybrid search (dense Chroma query + BM25 + fusion), excluding the
   query embedding (vectors are computed up front), at 10k and 100k chunks. The corpus is
   synthetic mixed zh/en sentences embedded with the 384-dim hashing embedder (same dimension as
   e5-small) so that 100k chunks ingest in about a minute on 2 cores; latency does not depend on
   what the vectors mean.

Usage: python bench/kb_speed.py [--sizes 10000 100000] [--ingest-texts 300]
Writes bench/results/kb_speed.json.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

import numpy as np

from kefu.config import load_settings
from kefu.knowledge.chunker import chunk_document
from kefu.knowledge.loaders import Document, Section
from kefu.knowledge.registry import KnowledgeBaseRegistry

ZH = list("退货退款发票物流快递会员积分优惠券订单支付密码账号地址售后保修门店营业时间客服电话")
EN = ("refund return invoice shipping delivery member points coupon order payment password account address "
      "warranty store hours support phone express international customs battery screen router").split()


def synthetic(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        zh = "".join(rng.choice(ZH) for _ in range(rng.randint(10, 40)))
        en = " ".join(rng.choice(EN) for _ in range(rng.randint(5, 20)))
        out.append(f"{zh}。{en}.")
    return out


def pct(xs: list[float], p: float) -> float:
    return round(float(np.percentile(np.array(xs) * 1000, p)), 2)


def ingest_ratio(data: Path, n_texts: int, embedder: str) -> dict:
    raw = json.loads((data / "stackfaq" / "stackExchange-FAQ.json").read_text(encoding="utf-8"))
    answers = [a for t in raw["root"]["qapair"] for a in (t["answer"] if isinstance(t["answer"], list) else [t["answer"]])]
    docs = [Document(f"a{i}", "text", f"a{i}", [Section(a)]) for i, a in enumerate(answers[:n_texts]) if a.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        reg = KnowledgeBaseRegistry(load_settings(None, data_dir=tmp, knowledge={"embedder": embedder}))
        s = reg.settings
        texts = [c.index_text for d in docs for c in chunk_document(d, s.chunk_tokens, s.chunk_overlap)]
        emb = reg.embedder
        emb.embed_documents(texts[:8])  # warm-up, and the same for the kb's one-off costs (jieba dictionary)
        from kefu.knowledge.bm25 import warm_up

        warm_up()
        t0 = time.perf_counter()
        for i in range(0, len(texts), s.batch_size):
            emb.embed_documents(texts[i:i + s.batch_size])
        bare = time.perf_counter() - t0
        kb = reg.create("speed")
        summ = kb.add_documents(docs)
        assert summ.chunks == len(texts), (summ.chunks, len(texts))
    return {"chunks": len(texts), "bare_chunks_per_s": round(len(texts) / bare, 1),
            "kb_chunks_per_s": round(summ.chunks / summ.seconds, 1),
            "ratio": round((summ.chunks / summ.seconds) / (len(texts) / bare), 3)}


def latency(size: int, n_queries: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        reg = KnowledgeBaseRegistry(load_settings(None, data_dir=tmp, knowledge={"embedder": "hash-384",
                                                                                   "batch_size": 1000}))
        kb = reg.create("lat")
        texts = synthetic(size)
        t0 = time.perf_counter()
        kb.add_documents([Document(f"s{i}", "text", f"s{i}", [Section(t)]) for i, t in enumerate(texts)])
        ingest_s = time.perf_counter() - t0
        queries = [" ".join(random.Random(i).sample(EN, 3)) + "".join(random.Random(i).sample(ZH, 4))
                   for i in range(n_queries)]
        vecs = kb.embedder.embed_queries(queries)
        kb.search_with_vector(queries[0], vecs[0])  # warm-up: loads the BM25 index
        out: dict = {"chunks": kb.stats()["chunks"], "ingest_s": round(ingest_s, 1)}
        for mode in ("hybrid", "dense", "bm25"):
            times = []
            for q, v in zip(queries, vecs, strict=True):
                t = time.perf_counter()
                kb.search_with_vector(q, v, 5, mode=mode, rerank=False)
                times.append(time.perf_counter() - t)
            out[mode] = {"p50_ms": pct(times, 50), "p95_ms": pct(times, 95)}
        return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    ap.add_argument("--embedder", default="default")
    ap.add_argument("--ingest-texts", type=int, default=300)
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000],
                    help="Corpus sizes for the latency test; sizes already in --out and not given keep their figures.")
    ap.add_argument("--skip-ingest", action="store_true", help="Keep the ingest figures already in --out.")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "kb_speed.json")
    a = ap.parse_args()
    res: dict = {"embedder": a.embedder, "latency": {}}
    if a.out.is_file():
        res = {**res, **json.loads(a.out.read_text(encoding="utf-8"))}
    if not a.skip_ingest:
        res["ingest"] = {**ingest_ratio(a.data, a.ingest_texts, a.embedder), "date": time.strftime("%Y-%m-%d %H:%M")}
        print("ingest", res["ingest"])
    for n in a.sizes:
        res["latency"][str(n)] = {**latency(n, a.queries), "date": time.strftime("%Y-%m-%d %H:%M")}
        print(n, res["latency"][str(n)])
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(res, indent=2), encoding="utf-8")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
