"""Retrieval quality of kefu's knowledge base: hit@1, hit@5 and MRR for dense, BM25 and hybrid.

Data (../shared/data, see its README for sources and licences):
- StackFAQ (en, Karan & Šnajder 2018): one document per FAQ thread (its title question + its
  answers), queried with the users' paraphrased questions (the "rephr" lists; "*" placeholders
  dropped). A hit is a chunk of the right thread.
- LCQMC test (zh, Liu et al. 2018): for a sample of positive pairs, side 2 is indexed among the
  sentences of other pairs as distractors; side 1 is the query.

Usage: python bench/kb_retrieval.py [--data ../shared/data] [--lcqmc-pairs 500] [--distractors 2000]
Writes bench/results/kb_retrieval.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from kefu.config import load_settings
from kefu.knowledge.kb import KnowledgeBase
from kefu.knowledge.loaders import Document, Section

MODES = ("dense", "bm25", "hybrid")


def evaluate(kb: KnowledgeBase, queries: list[tuple[str, str]]) -> dict[str, dict[str, float]]:
    """queries: (text, source of the right document) -> metrics per mode."""
    vecs = kb.embedder.embed_queries([q for q, _ in queries])
    out = {}
    for mode in MODES:
        h1 = h5 = rr = 0.0
        for (q, gold), v in zip(queries, vecs, strict=True):
            hits = kb.search_with_vector(q, v, 10, mode=mode, rerank=False)
            ranks = [i for i, h in enumerate(hits, 1) if h.source == gold]
            if ranks:
                h1 += ranks[0] == 1
                h5 += ranks[0] <= 5
                rr += 1 / ranks[0]
        n = len(queries)
        out[mode] = {"hit@1": round(h1 / n, 4), "hit@5": round(h5 / n, 4), "mrr@10": round(rr / n, 4)}
    return out


def stackfaq(data: Path) -> tuple[list[Document], list[tuple[str, str]]]:
    raw = json.loads((data / "stackfaq" / "stackExchange-FAQ.json").read_text(encoding="utf-8"))
    docs, queries = [], []
    for i, t in enumerate(raw["root"]["qapair"]):
        answers = t["answer"] if isinstance(t["answer"], list) else [t["answer"]]
        src = f"stackfaq/{i}"
        docs.append(Document(src, "text", src, [Section("\n\n".join([t["question"], *answers]))]))
        rephr = t["rephr"] if isinstance(t["rephr"], list) else [t["rephr"]]
        queries += [(r, src) for r in rephr if r and r.strip() != "*"]
    return docs, queries


def lcqmc(data: Path, n_pairs: int, n_distractors: int, seed: int = 0) -> tuple[list[Document], list[tuple[str, str]]]:
    rows = [line.rstrip("\n").split("\t") for line in (data / "lcqmc" / "test.txt").read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if len(r) == 3]
    rng = random.Random(seed)
    pos = [r for r in rows if r[2] == "1"]
    rng.shuffle(pos)
    chosen = pos[:n_pairs]
    used = {s for r in chosen for s in r[:2]}
    others = [s for r in rows for s in r[:2] if s not in used]
    distractors = sorted(set(others))
    rng.shuffle(distractors)
    docs = [Document(f"lcqmc/p{i}", "text", f"p{i}", [Section(r[1])]) for i, r in enumerate(chosen)]
    docs += [Document(f"lcqmc/d{i}", "text", f"d{i}", [Section(s)]) for i, s in enumerate(distractors[:n_distractors])]
    return docs, [(r[0], f"lcqmc/p{i}") for i, r in enumerate(chosen)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    ap.add_argument("--embedder", default="default")
    ap.add_argument("--lcqmc-pairs", type=int, default=500)
    ap.add_argument("--distractors", type=int, default=10000)
    ap.add_argument("--datasets", nargs="+", default=["stackfaq", "lcqmc"], choices=["stackfaq", "lcqmc"],
                    help="Which to run; results of the others already in --out are kept.")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "kb_retrieval.json")
    a = ap.parse_args()
    if not a.data.is_dir():
        sys.exit(f"data folder {a.data} not found (pass --data)")
    results: dict = {"embedder": a.embedder, "datasets": {}}
    if a.out.is_file():
        old = json.loads(a.out.read_text(encoding="utf-8"))
        if old.get("embedder") == a.embedder:
            results["datasets"] = old.get("datasets", {})
    with tempfile.TemporaryDirectory() as tmp:
        s = load_settings(None, data_dir=tmp, knowledge={"embedder": a.embedder})
        from kefu.knowledge.registry import KnowledgeBaseRegistry

        reg = KnowledgeBaseRegistry(s)
        loaders = {"stackfaq": lambda: stackfaq(a.data), "lcqmc": lambda: lcqmc(a.data, a.lcqmc_pairs, a.distractors)}
        for name in a.datasets:
            docs, queries = loaders[name]()
            t0 = time.perf_counter()
            kb = reg.create(name)
            summ = kb.add_documents(docs)
            t1 = time.perf_counter()
            metrics = evaluate(kb, queries)
            results["datasets"][name] = {"documents": len(docs), "date": time.strftime("%Y-%m-%d"), "chunks": summ.chunks, "queries": len(queries),
                                         "ingest_s": round(t1 - t0, 1), "eval_s": round(time.perf_counter() - t1, 1),
                                         **metrics}
            print(name, json.dumps(results["datasets"][name], ensure_ascii=False))
    if "lcqmc" in a.datasets:
        results["datasets"]["lcqmc"]["setup"] = (f"{a.lcqmc_pairs} random positive test pairs (seed 0); side 2 indexed "
                                                 f"among {a.distractors} distractor sentences; side 1 queries")
    results["notes"] = "StackFAQ: all 125 threads, all paraphrases except '*'. Top-10 searched; MRR@10."
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
