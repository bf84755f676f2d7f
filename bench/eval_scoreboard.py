"""Intent-classification scoreboard: BANKING77 and HWU64 with kefu's IntentClassifier on the
bundled multilingual-e5-small embeddings (the exact code path of `kefu eval intent`).

Rows: full training set, and 10 examples per intent (mean +- std over 5 random draws), for
the default method (auto: logistic regression at >= 5 examples per intent) and for
nearest-centroid. Published baselines (Casanueva et al. 2020) are stored beside each row.

Data (../shared/data, see its README for sources and licences):
- BANKING77 (Casanueva et al. 2020): train.csv 10,003 / test.csv 3,080, 77 intents;
- HWU64 (Liu et al. 2019; split of Zhang et al. 2020, jianguoz/Few-Shot-Intent-Detection):
  train 8,954 / test 1,076, 64 intents.

Embedding 23k utterances takes 5-15 minutes on 2 busy cores, so vectors are cached as .npy
under --cache (default /tmp/kefu-emb-cache); reruns take seconds.

Usage: python bench/eval_scoreboard.py [--data ../shared/data] [--cache /tmp/kefu-emb-cache]
       [--reports DIR]  (also write a full report per row)
Writes bench/results/scoreboard.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _machine import describe_machine  # noqa: E402

from kefu.evaluate.datafiles import read_intents  # noqa: E402
from kefu.evaluate.intent import evaluate_intents  # noqa: E402
from kefu.knowledge.embeddings import load_embedder  # noqa: E402

# Published accuracy (%) on the same test sets; Casanueva et al. 2020, "Efficient Intent Detection
# with Dual Sentence Encoders", NLP4ConvAI (https://aclanthology.org/2020.nlp4convai-1.5/).
# 10-shot HWU64 figures as collected in jianguoz/Few-Shot-Intent-Detection (README, "10-shot").
BASELINES = {
    ("banking77", "full"): {"BERT-tuned (Casanueva 2020)": 93.66, "USE+ConveRT (Casanueva 2020)": 93.36},
    ("banking77", "10-shot"): {"USE+ConveRT (Casanueva 2020)": 85.19, "USE (Casanueva 2020)": 84.23},
    ("hwu64", "10-shot"): {"USE+ConveRT (Casanueva 2020)": 85.83, "USE (Casanueva 2020)": 83.75},
}
SEEDS = (0, 1, 2, 3, 4)


def datasets(root: Path) -> dict[str, tuple[Path, Path]]:
    return {"banking77": (root / "banking77" / "train.csv", root / "banking77" / "test.csv"),
            "hwu64": (root / "hwu64" / "train", root / "hwu64" / "test")}


def command(train: Path, test: Path, shots: int | None, method: str, seed: int = 0) -> str:
    cmd = f"kefu eval intent --train {train} --data {test} --cache /tmp/kefu-emb-cache --out reports/x"
    if shots:
        cmd += f" --shots {shots} --seed {seed}"
    return cmd + (f" --method {method}" if method != "auto" else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/kefu-emb-cache"))
    ap.add_argument("--reports", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "scoreboard.json")
    args = ap.parse_args()

    embedder = load_embedder("default")
    rows = []
    for name, (train_p, test_p) in datasets(args.data).items():
        train, (texts, labels) = read_intents(train_p), read_intents(test_p)
        for setting, shots in (("full", None), ("10-shot", 10)):
            for method in ("auto", "centroid"):
                accs, f1s, secs, info = [], [], [], {}
                for seed in (SEEDS if shots else (0,)):
                    t0 = time.time()
                    res = evaluate_intents(texts, labels, embedder=embedder, train=train, shots=shots,
                                           method=method, cache_dir=args.cache, seed=seed)
                    secs.append(time.time() - t0)
                    accs.append(res.scores["accuracy"])
                    f1s.append(res.scores["macro"]["f1"])
                    info = res.report.meta
                    if args.reports and seed == 0:
                        res.report.write(args.reports / f"{name}-{setting}-{method}")
                row = {"dataset": name, "setting": setting, "method": info["method"],
                       "accuracy": round(100 * statistics.mean(accs), 2),
                       "accuracy_std": round(100 * statistics.stdev(accs), 2) if len(accs) > 1 else 0.0,
                       "macro_f1": round(100 * statistics.mean(f1s), 2), "runs": len(accs),
                       "train_examples": info["training examples"], "test_examples": info["test examples"],
                       "intents": info["intents"], "seconds_per_run": round(statistics.mean(secs), 1),
                       "command": command(train_p, test_p, shots, method),
                       "baselines": BASELINES.get((name, setting), {})}
                rows.append(row)
                print(f"{name:10} {setting:8} {row['method']:8} acc {row['accuracy']:6.2f} "
                      f"(+-{row['accuracy_std']:.2f}, {row['runs']} runs)  macro-F1 {row['macro_f1']:6.2f}", flush=True)
    result = {"benchmark": "intent scoreboard", "embedder": embedder.model_id, "machine": describe_machine(),
              "rows": rows, "notes": "accuracy in %; 10-shot rows: mean and std over seeds "
                                     f"{list(SEEDS)} of the per-intent sample"}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
