"""Prompting techniques measured with the bundled SmolLM2-135M-Instruct (greedy decoding).

1. Intent classification on BANKING77 (Casanueva et al. 2020, CC-BY-4.0): 10 intents x the first
   2 test utterances each by default (--per-intent; on 2 cores shared with other jobs 4 already took
   over 15 minutes); zero-shot (label list in the instruction) vs 10-shot in-context learning
   with demonstrations retrieved by embedding similarity (multilingual-e5-small) from the first
   20 train utterances of each intent vs verbaliser cloze ("This sentence's intent is ___").
2. Arithmetic word problems written for this bench (first 6 of 15 by default, --cot-items): 3 demonstrations with worked steps
   (chain of thought) vs the same demonstrations with the answer only.

    .venv/bin/python bench/prompting.py [--data ../shared/data/banking77] [--per-intent 10] [--cot-items 15]

Prints the figures and writes bench/results/prompting.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import time
from pathlib import Path

from kefu.dialog.prompts import CoTExample, Example, ExampleBank, Verbaliser, classify, label_word, solve
from kefu.knowledge.embeddings import load_embedder
from kefu.llm.factory import load_llm

# names as BANKING77 spells them ("Refund_not_showing_up" is capitalised in the data set)
INTENTS = ["card_arrival", "exchange_rate", "lost_or_stolen_card", "top_up_failed", "pin_blocked",
           "Refund_not_showing_up", "terminate_account", "change_pin", "declined_card_payment", "cash_withdrawal_charge"]

COT_DEMOS = [
    CoTExample("Li bought 3 notebooks at 4 yuan each and a pen for 2 yuan. How much did he pay?",
               ("3 notebooks cost 3 * 4 = 12 yuan.", "With the pen: 12 + 2 = 14 yuan."), "14"),
    CoTExample("A box holds 12 cups. A shop has 5 boxes and sells 20 cups. How many cups are left?",
               ("5 boxes hold 5 * 12 = 60 cups.", "After selling: 60 - 20 = 40 cups."), "40"),
    CoTExample("An order of 45 yuan gets a 10 yuan coupon, then shipping of 8 yuan is added. What is the total?",
               ("After the coupon: 45 - 10 = 35 yuan.", "With shipping: 35 + 8 = 43 yuan."), "43"),
]
COT_SET = [  # (question, answer)
    ("Mia has 7 apples and buys 5 more. How many apples does she have?", 12),
    ("A kettle costs 30 yuan. How much do 3 kettles cost?", 90),
    ("There are 20 orders. 8 are shipped. How many are not shipped?", 12),
    ("Tom buys 2 shirts at 15 yuan each. How much does he pay?", 30),
    ("A pack has 6 mugs. How many mugs are in 4 packs?", 24),
    ("Anna had 50 yuan and spent 18 yuan. How much is left?", 32),
    ("A store sells 9 lamps a day. How many lamps does it sell in 3 days?", 27),
    ("Sam bought 4 pens at 3 yuan each and a bag for 10 yuan. How much did he pay?", 22),
    ("A shelf has 3 rows of 8 books. 5 books are taken. How many books are left?", 19),
    ("An order costs 60 yuan; a 15 yuan coupon is used and shipping is 5 yuan. What is the total?", 50),
    ("A customer returns 2 of 7 cups. How many cups does she keep?", 5),
    ("Each box weighs 4 kg. What do 5 boxes weigh in kg?", 20),
    ("Lin has 12 stickers and gives 3 to each of 2 friends. How many stickers are left?", 6),
    ("A shirt is 40 yuan and pants are 25 yuan more than the shirt. How much are the pants?", 65),
    ("A courier delivers 11 parcels in the morning and 14 in the afternoon. How many in total?", 25),
]


def read_banking(path: Path, split: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {i: [] for i in INTENTS}
    with open(path / f"{split}.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["category"] in out:  # exact names; an intent with no rows is an error below
                out[row["category"]].append(row["text"])
    missing = [i for i, texts in out.items() if not texts]
    if missing:
        raise SystemExit(f"{path / (split + '.csv')}: no rows for intent(s) {missing}")
    return out


def run_intents(llm, data: Path, per_intent: int, shots: int, results: dict, save) -> dict:
    test = [(t, lab) for lab, texts in read_banking(data, "test").items() for t in texts[:per_intent]]
    train = [Example(t, lab) for lab, texts in read_banking(data, "train").items() for t in texts[:20]]
    bank = ExampleBank(train, load_embedder("default"))
    verbaliser = Verbaliser({lab: label_word(lab) for lab in INTENTS})
    methods = {
        "zero_shot": lambda t: classify(t, INTENTS, llm),
        f"icl_{shots}_shot_retrieved": lambda t: classify(t, INTENTS, llm, bank=bank, k=shots),
        "verbaliser": lambda t: verbaliser.classify(t, llm),
    }
    for name, fn in methods.items():
        start, correct, unmapped = time.perf_counter(), 0, 0
        for text, gold in test:
            pred, _raw = fn(text)
            correct += pred == gold
            unmapped += pred is None
        results[name] = {"accuracy": round(correct / len(test), 3), "unmapped": unmapped, "n": len(test),
                         "seconds": round(time.perf_counter() - start, 1)}
        print(f"{name:28s} accuracy {results[name]['accuracy']:.3f}  (unmapped {unmapped}, "
              f"{results[name]['seconds']}s)", flush=True)
        save()
    return results


def run_cot(llm, items) -> dict:
    results = {}
    for cot in (False, True):
        start, correct = time.perf_counter(), 0
        for question, gold in items:
            res = solve(question, llm, COT_DEMOS, cot=cot)
            nums = re.findall(r"-?\d+(?:\.\d+)?", res.answer or "")
            correct += bool(nums) and float(nums[0]) == gold
        name = "chain_of_thought" if cot else "answer_only"
        results[name] = {"accuracy": round(correct / len(items), 3), "n": len(items),
                         "seconds": round(time.perf_counter() - start, 1)}
        print(f"{name:28s} accuracy {results[name]['accuracy']:.3f}  ({results[name]['seconds']}s)", flush=True)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "banking77")
    ap.add_argument("--per-intent", type=int, default=2)
    ap.add_argument("--shots", type=int, default=10)
    ap.add_argument("--cot-items", type=int, default=6)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "prompting.json")
    args = ap.parse_args()
    llm = load_llm("default")
    start = time.perf_counter()
    report: dict = {"model": llm.model_id, "decoding": "greedy (temperature 0)", "per_intent": args.per_intent,
                    "intent_classification": {"dataset": "BANKING77 test (CC-BY-4.0)", "intents": INTENTS}}
    args.out.parent.mkdir(parents=True, exist_ok=True)

    def save() -> None:  # after every section, so a slow machine still leaves the figures measured so far
        report["total_seconds"] = round(time.perf_counter() - start, 1)
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    report["arithmetic_cot"] = run_cot(llm, COT_SET[: args.cot_items])
    save()
    run_intents(llm, args.data.resolve(), args.per_intent, args.shots, report["intent_classification"], save)
    print(f"wrote {args.out} ({report['total_seconds']}s)")


if __name__ == "__main__":
    main()
