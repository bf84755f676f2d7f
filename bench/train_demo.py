"""End-to-end training demonstration on the real SmolLM2-135M-Instruct (CPU), numbers -> JSON.

1. the bundled GGUF -> an HF directory (kefu train base-model);
2. SFT (LoRA) on the demo company's English FAQ: answer-contains-fact rate on the training
   questions and on paraphrases never trained on, before -> after (greedy decoding);
3. reward model on Anthropic hh-rlhf harmless-base pairs (../shared/data): held-out pairwise accuracy;
4. DPO from the SFT model on FAQ pairs (chosen = FAQ answer, rejected = the base model's own
   answer): preference accuracy and margins before -> after;
5. RL (GRPO) from the SFT model against the step-3 reward model: mean reward and KL before -> after.

A "fact" is the first number in the FAQ answer (a price, an hour, a number of days); an answer
contains it when that number appears in the generated text. FAQ rows without a number are skipped.

    .venv/bin/python bench/train_demo.py --work /tmp/kefu-demo      # about 10 minutes on 2 CPU cores
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FACT = re.compile(r"\d+(?:[:.]\d+)?")


def faq_rows() -> list[dict[str, str]]:
    rows = list(csv.DictReader((ROOT / "demo/faq/faq.csv").open(encoding="utf-8")))
    return [r for r in rows if r["lang"] == "en"]


MAX_NEW = 24


def generate(model_dir: str, prompts: list[str], max_new_tokens: int | None = None) -> list[str]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from kefu.llm.factory import load_llm

    llm = load_llm(model_dir)  # the same loader `kefu serve --model DIR` uses (full or adapter dirs)
    tok: AutoTokenizer = llm.tokenizer  # type: ignore[attr-defined]
    model: AutoModelForCausalLM = llm.model  # type: ignore[attr-defined]
    tok.padding_side = "left"
    out: list[str] = []
    for i in range(0, len(prompts), 16):
        texts = [tok.apply_chat_template([{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True)
                 for p in prompts[i: i + 16]]
        enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.no_grad():
            gen = model.generate(**enc, max_new_tokens=max_new_tokens or MAX_NEW, do_sample=False, pad_token_id=tok.pad_token_id)
        out += tok.batch_decode(gen[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)
    return out


def fact_rate(model_dir: str, items: list[tuple[str, str]]) -> tuple[float, list[str]]:
    answers = generate(model_dir, [q for q, _ in items])
    hits = [fact in a for (_, fact), a in zip(items, answers, strict=True)]
    return sum(hits) / len(hits), answers


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default="/tmp/kefu-demo")
    # defaults sized for ~10 minutes on 2 shared CPU cores; raise them on a GPU
    ap.add_argument("--n-faq", type=int, default=8, help="FAQ questions (with a number in the answer) to teach")
    ap.add_argument("--max-new", type=int, default=24, help="tokens generated per answer in the fact check")
    ap.add_argument("--sft-epochs", type=float, default=6)
    ap.add_argument("--rm-pairs", type=int, default=200, help="hh-rlhf training pairs (the shortest)")
    ap.add_argument("--rm-heldout", type=int, default=200, help="hh-rlhf pairs held out for pairwise accuracy")
    ap.add_argument("--rm-max-length", type=int, default=192)
    ap.add_argument("--rm-lr", type=float, default=2e-4)
    ap.add_argument("--rl-steps", type=int, default=10)
    ap.add_argument("--dpo-steps", type=int, default=3)
    ap.add_argument("--stages", default="sft,reward,dpo,rl", help="which steps to run (sft is reused if done)")
    a = ap.parse_args()
    from kefu.llm.factory import bundled_gguf
    from kefu.train.base_model import convert_gguf
    from kefu.train.config import load_run_config
    from kefu.train.runner import run_stage

    work = Path(a.work)
    data = work / "data"
    data.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    t = time.time()
    base = work / "smollm2"
    if not (base / "config.json").is_file():
        convert_gguf(bundled_gguf(), base)
    timings["convert_s"] = time.time() - t

    global MAX_NEW
    MAX_NEW = a.max_new
    rows = [r for r in faq_rows() if FACT.search(r["answer"])][: a.n_faq]
    with (data / "faq_sft.jsonl").open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"messages": [{"role": "user", "content": r["question"]},
                                             {"role": "assistant", "content": r["answer"]}]}, ensure_ascii=False) + "\n")
    train_items = [(r["question"], FACT.findall(r["answer"])[0]) for r in rows if FACT.search(r["answer"])]
    para_items = [(p, FACT.findall(r["answer"])[0]) for r in rows if FACT.search(r["answer"])
                  for p in r["paraphrases"].split("|")[:1]]
    t = time.time()
    cache = work / "eval_before.json"  # the base model's answers do not change between runs
    if cache.is_file() and json.loads(cache.read_text())["questions"] == [q for q, _ in train_items + para_items]:
        before_train, base_answers, before_para = json.loads(cache.read_text())["values"]
    else:
        before_train, base_answers = fact_rate(str(base), train_items)
        before_para, _ = fact_rate(str(base), para_items)
        cache.write_text(json.dumps({"questions": [q for q, _ in train_items + para_items],
                                     "values": [before_train, base_answers, before_para]}))
    timings["eval_before_s"] = time.time() - t
    stages = set(a.stages.split(","))

    common = {"report_to": ["tensorboard"], "logging_steps": 5, "batch_size": 8}
    t = time.time()
    done = work / "sft" / "kefu_train.json"
    sft = json.loads(done.read_text()) if done.is_file() else run_stage(load_run_config("sft-lora", ["train.early_stopping_patience=null"], **{
        "model.path": str(base), "data.train": [{"path": str(data / "faq_sft.jsonl")}], "data.val_fraction": 0.0,
        "data.max_length": 256, "train.output_dir": str(work / "sft"), "train.epochs": a.sft_epochs,
        "train.learning_rate": 3e-3, "train.save_merged": True,
        "peft.r": 32, "peft.alpha": 64, "train.warmup_ratio": 0.05,
        **{f"train.{k}": v for k, v in common.items()}}))
    timings["sft_s"] = time.time() - t
    merged = str(work / "sft" / "merged")
    t = time.time()
    cache = work / "eval_after.json"  # valid while the SFT run it measured is the current one
    if cache.is_file() and json.loads(cache.read_text())["sft_seconds"] == sft["seconds"]:
        after_train, sft_answers, after_para = json.loads(cache.read_text())["values"]
    else:
        after_train, sft_answers = fact_rate(str(work / "sft"), train_items)  # served as an adapter dir
        after_para, _ = fact_rate(merged, para_items)  # and as the merged full model
        cache.write_text(json.dumps({"sft_seconds": sft["seconds"], "values": [after_train, sft_answers, after_para]}))
    timings["eval_after_s"] = time.time() - t

    result: dict = {
        "model": "SmolLM2-135M-Instruct (bundled Q4_1 GGUF dequantised to fp32), CPU",
        "sft_lora": {"fact_rate_train_questions": [before_train, after_train],
                     "fact_rate_paraphrases": [before_para, after_para], "n_questions": len(train_items),
                     "steps": sft["steps"], "train_loss": sft["metrics"]["train_loss"], "sft_seconds": sft["seconds"],
                     "example": {"q": train_items[0][0], "before": base_answers[0], "after": sft_answers[0]}},
    }
    save(result, timings)
    if "reward" in stages:
        result["reward_model"] = reward_stage(a, work, data, base, common, timings)
        save(result, timings)
    if "dpo" in stages:
        result["dpo"] = dpo_stage(a, work, data, merged, rows, train_items, base_answers, common, timings)
        save(result, timings)
    if "rl" in stages:
        result["rl_grpo"] = rl_stage(a, work, data, merged, timings)
        save(result, timings)
    print(json.dumps(result, indent=2, ensure_ascii=False))


def save(result: dict, timings: dict) -> None:
    """Write the stages run now over those of an earlier run (``--stages`` reruns only some)."""
    out = ROOT / "bench/results/train_demo.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    merged = json.loads(out.read_text()) if out.is_file() else {}
    merged.update(result)
    merged["seconds"] = {**merged.get("seconds", {}), **{k: round(v, 1) for k, v in timings.items()}}
    out.write_text(json.dumps(merged, indent=2, ensure_ascii=False))


HH = ROOT.parent / "shared/data/preference/hh-rlhf-harmless-base-test.jsonl.gz"


def reward_stage(a, work, data, base, common, timings):  # type: ignore[no-untyped-def]
    """Reward model on Anthropic hh-rlhf harmless-base (test file): a seeded split into
    ``--rm-heldout`` held-out pairs and training pairs (the shortest ``--rm-pairs`` of the rest,
    to fit CPU time). Pairwise accuracy is measured on *every* held-out pair with
    ``kefu.evaluate.reward`` (left-truncated to 256 tokens); "before" is the trainer's evaluation
    of the untrained (random) head on its 5% validation split, i.e. chance."""
    import gzip

    from kefu.evaluate.datafiles import read_preferences
    from kefu.evaluate.reward import evaluate_reward_model
    from kefu.train.config import load_run_config
    from kefu.train.data.formats import split_hh
    from kefu.train.runner import run_stage

    def well_formed(r: dict) -> bool:  # a few hh-rlhf pairs differ before the last answer: not a pair
        c, rj = split_hh(r["chosen"]), split_hh(r["rejected"])
        return bool(c and rj and c[0] == rj[0] and c[1] != rj[1])

    rows = [r for r in (json.loads(line) for line in gzip.open(HH, "rt", encoding="utf-8")) if well_formed(r)]
    random.Random(0).shuffle(rows)
    heldout, rest = rows[: a.rm_heldout], rows[a.rm_heldout:]
    rest.sort(key=lambda r: max(len(r["chosen"]), len(r["rejected"])))
    for name, part in (("rm_train.jsonl", rest[: a.rm_pairs]), ("rm_heldout.jsonl", heldout)):
        (data / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part), encoding="utf-8")
    pairs = read_preferences(data / "rm_heldout.jsonl")
    t = time.time()
    rm = run_stage(load_run_config("reward-lora", [], **{
        "model.path": str(base), "data.train": [{"path": str(data / "rm_train.jsonl")}], "data.val_fraction": 0.05,
        "data.max_length": a.rm_max_length, "train.output_dir": str(work / "reward"), "train.epochs": 1,
        "train.learning_rate": a.rm_lr, **{f"train.{k}": v for k, v in common.items()}}))
    timings["reward_s"] = time.time() - t
    t = time.time()
    res = evaluate_reward_model(str(work / "reward"), pairs, max_length=256)
    res.report.write(work / "reward_eval")
    timings["reward_eval_after_s"] = time.time() - t
    return {"data": "hh-rlhf harmless-base test (Anthropic), seeded split",
            "train_pairs": rm["metrics"]["train_pairs"], "steps": rm["steps"], "max_length": a.rm_max_length,
            "heldout_pairs": len(pairs),
            "heldout_accuracy": res.scores["accuracy"],
            "trainer_eval_accuracy_before": rm["metrics"]["pairwise_accuracy_before"],
            "trainer_eval_accuracy": rm["metrics"]["pairwise_accuracy"],
            "margin_before": rm["metrics"]["margin_before"], "margin": rm["metrics"]["margin"]}


def dpo_stage(a, work, data, merged, rows, train_items, base_answers, common, timings):  # type: ignore[no-untyped-def]
    from kefu.train.config import load_run_config
    from kefu.train.runner import run_stage

    # DPO: FAQ answer preferred over what the base model said
    with (data / "faq_pairs.jsonl").open("w", encoding="utf-8") as f:
        for (q, _), bad in zip(train_items, base_answers, strict=True):
            ans = next(r["answer"] for r in rows if r["question"] == q)
            f.write(json.dumps({"prompt": q, "chosen": ans, "rejected": bad.strip() or "I don't know."}) + "\n")
    t = time.time()
    dpo = run_stage(load_run_config("dpo-lora", [], **{
        "model.path": merged, "data.train": [{"path": str(data / "faq_pairs.jsonl")}], "data.val_fraction": 0.25,
        "data.max_length": 128, "train.output_dir": str(work / "dpo"), "train.max_steps": a.dpo_steps,
        "train.learning_rate": 5e-4, **{f"train.{k}": v for k, v in common.items()}}))
    timings["dpo_s"] = time.time() - t
    return {k: dpo["metrics"].get(k) for k in ("accuracies_before", "accuracies", "margins_before", "margins",
                                               "heldout_pairs")}


def rl_stage(a, work, data, merged, timings):  # type: ignore[no-untyped-def]
    from kefu.train.config import load_run_config
    from kefu.train.runner import run_stage

    t = time.time()
    rl = run_stage(load_run_config("rl-grpo", [], **{
        "model.path": merged, "data.train": [{"path": str(data / "faq_sft.jsonl")}], "data.val_fraction": 0.25,
        "data.max_length": 256, "train.output_dir": str(work / "rl"), "train.max_steps": a.rl_steps,
        "train.learning_rate": 2e-4, "rl.reward_model": str(work / "reward"), "rl.max_completion_length": 16,
        "rl.num_generations": 4, "rl.eval_prompts": 8, "train.batch_size": 8, "train.logging_steps": 1,
        "train.report_to": ["tensorboard"]}))
    timings["rl_s"] = time.time() - t
    return {k: rl["metrics"].get(k) for k in ("reward_before", "reward_after", "kl_before", "kl_after",
                                              "train_reward_first", "train_reward_last")}


if __name__ == "__main__":
    main()
