"""SFT training throughput: kefu's `run_sft` vs a plain TRL SFTTrainer script, same settings.

Same model (SmolLM2-135M-Instruct HF dir), same data (the demo FAQ, English), LoRA r=16 on all
linear layers, batch 8, max_length 256, fp32 on CPU, N optimizer steps; runs interleaved
(kefu, plain, kefu, plain, ...) so background load hits both alike. tokens/s = TRL's own
``num_tokens`` count (non-padding tokens seen) / ``train_runtime``, i.e. both sides counted the
same way. Target: kefu >= 0.9x plain TRL.

    .venv/bin/python bench/train_throughput.py --model /tmp/kefu-demo/smollm2 [--steps 8 --reps 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import describe_machine  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def faq(path: Path) -> None:
    rows = [r for r in csv.DictReader((ROOT / "demo/faq/faq.csv").open(encoding="utf-8")) if r["lang"] == "en"]
    with path.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"messages": [{"role": "user", "content": r["question"]},
                                             {"role": "assistant", "content": r["answer"]}]}) + "\n")


def tokens_per_s(log_history: list[dict]) -> float:
    end = next(h for h in reversed(log_history) if "train_runtime" in h)
    toks = max(h["num_tokens"] for h in log_history if "num_tokens" in h)
    return toks / end["train_runtime"]


def run_kefu(model: str, data: Path, out: Path, steps: int) -> float:
    import transformers

    from kefu.train import sft
    from kefu.train.config import load_run_config

    cfg = load_run_config("sft-lora", ["train.early_stopping_patience=null"], **{
        "model.path": model, "data.train": [{"path": str(data)}], "data.val_fraction": 0.0, "data.max_length": 256,
        "train.output_dir": str(out), "train.max_steps": steps, "train.batch_size": 8, "train.logging_steps": 1,
        "train.report_to": ["none"], "train.save_merged": False,
        "peft.r": 16, "peft.alpha": 32})
    captured: dict = {}
    orig = sft._train

    def spy(cfg, trainer, tok, started):  # keep the trainer's log history
        res = orig(cfg, trainer, tok, started)
        captured["h"] = trainer.state.log_history
        return res

    sft._train = spy
    try:
        transformers.set_seed(0)
        sft.run_sft(cfg)
    finally:
        sft._train = orig
    return tokens_per_s(captured["h"])


def run_plain(model: str, data: Path, out: Path, steps: int) -> float:
    """What a user would write with TRL alone (prompt/completion -> completion-only loss)."""
    import torch
    from datasets import load_dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    ds = load_dataset("json", data_files=str(data), split="train")
    ds = ds.map(lambda r: {"prompt": r["messages"][:1], "completion": r["messages"][1:]}, remove_columns=["messages"])
    args = SFTConfig(output_dir=str(out), max_steps=steps, per_device_train_batch_size=8, max_length=256,
                     learning_rate=2e-4, lr_scheduler_type="cosine", logging_steps=1, report_to="none", use_cpu=True,
                     seed=0, save_strategy="no")
    trainer = SFTTrainer(model=AutoModelForCausalLM.from_pretrained(model, dtype=torch.float32), args=args,
                         train_dataset=ds, processing_class=AutoTokenizer.from_pretrained(model),
                         peft_config=LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear",
                                                task_type="CAUSAL_LM"))
    trainer.train()
    return tokens_per_s(trainer.state.log_history)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="/tmp/kefu-demo/smollm2")
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--reps", type=int, default=2)
    a = ap.parse_args()
    kefu, plain = [], []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "faq.jsonl"
        faq(data)
        for i in range(a.reps):
            kefu.append(run_kefu(a.model, data, Path(tmp) / f"k{i}", a.steps))
            plain.append(run_plain(a.model, data, Path(tmp) / f"p{i}", a.steps))
    res = {"machine": describe_machine(), "steps": a.steps, "batch": 8, "max_length": 256, "lora_r": 16,
           "kefu_tokens_per_s": kefu, "plain_trl_tokens_per_s": plain,
           "ratio_median": statistics.median(kefu) / statistics.median(plain)}
    (ROOT / "bench/results").mkdir(exist_ok=True)
    (ROOT / "bench/results/train_throughput.json").write_text(json.dumps(res, indent=2))
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
