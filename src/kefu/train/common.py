"""What every stage shares: TrainingArguments from a RunConfig, PEFT configs, device and
precision, early stopping, resume, and saving the result with a summary (``kefu_train.json``).

Kept in one place so that the stage modules (sft.py, reward.py, ...) read as recipes.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from kefu.errors import ConfigError
from kefu.train.config import PeftCfg, RunConfig

log = logging.getLogger("kefu.train")


def resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("train.device is cuda but no CUDA GPU is visible", hint="use train.device=auto or cpu")
    return device


def precision_flags(cfg: RunConfig) -> dict[str, bool]:
    """bf16 on a CUDA GPU that supports it (auto), never on CPU: fp32 is fastest there for small models."""
    import torch

    device = resolve_device(cfg.train.device)
    p = cfg.train.precision
    if p == "auto":
        p = "bf16" if device == "cuda" and torch.cuda.is_bf16_supported() else "fp32"
    return {"use_cpu": device == "cpu", "bf16": p == "bf16", "fp16": p == "fp16"}


def model_dtype(cfg: RunConfig) -> Any:
    import torch

    flags = precision_flags(cfg)
    return torch.bfloat16 if flags["bf16"] else torch.float16 if flags["fp16"] else torch.float32


def training_kwargs(cfg: RunConfig, *, has_eval: bool) -> dict[str, Any]:
    """Keyword arguments common to every TRL ``*Config`` (all subclass TrainingArguments)."""
    t = cfg.train
    if t.early_stopping_patience and not has_eval:
        raise ConfigError("early stopping needs validation data",
                          hint="set data.val_fraction > 0 or data.eval, or drop train.early_stopping_patience")
    eval_strategy = ("steps" if t.eval_steps else "epoch") if has_eval else "no"
    save_strategy = "steps" if (t.save_steps or t.eval_steps) else "epoch"
    kw: dict[str, Any] = dict(
        output_dir=t.output_dir, seed=t.seed, data_seed=t.seed, num_train_epochs=t.epochs, max_steps=t.max_steps,
        learning_rate=t.learning_rate, per_device_train_batch_size=t.batch_size,
        per_device_eval_batch_size=t.batch_size, gradient_accumulation_steps=t.grad_accum,
        warmup_steps=t.warmup_ratio, lr_scheduler_type=t.lr_scheduler, weight_decay=t.weight_decay,
        logging_steps=t.logging_steps,  # TensorBoard: OUTPUT_DIR/runs/
        eval_strategy=eval_strategy, save_strategy=save_strategy, save_total_limit=t.save_total_limit,
        report_to=[r for r in t.report_to if r != "none"] or "none", activation_checkpointing=t.gradient_checkpointing,
        deepspeed=t.deepspeed, disable_tqdm=False, dataloader_num_workers=0, **precision_flags(cfg),
    )
    if has_eval and t.eval_steps:
        kw["eval_steps"] = t.eval_steps
    if t.save_steps or t.eval_steps:
        kw["save_steps"] = t.save_steps or t.eval_steps
    if t.early_stopping_patience:
        kw.update(load_best_model_at_end=True, metric_for_best_model="eval_loss", greater_is_better=False)
        if t.save_steps and t.eval_steps and t.save_steps != t.eval_steps:
            raise ConfigError("early stopping needs train.save_steps == train.eval_steps")
    return kw


def callbacks(cfg: RunConfig) -> list[Any]:
    from transformers import EarlyStoppingCallback

    p = cfg.train.early_stopping_patience
    return [EarlyStoppingCallback(early_stopping_patience=p)] if p else []


def peft_config(p: PeftCfg, task_type: str) -> Any:
    """LoRA / prefix tuning / P-Tuning v2 as a peft config; None for full fine-tuning.

    P-Tuning v2 (Liu et al. 2021) is deep prompt tuning: trainable prefixes at every layer, which
    is peft's PrefixTuningConfig; ``ptuning`` adds the MLP reparameterisation (prefix_projection)."""
    from peft import LoraConfig, PrefixTuningConfig

    if p.method == "full":
        return None
    if p.method == "lora":
        return LoraConfig(r=p.r, lora_alpha=p.alpha, lora_dropout=p.dropout, target_modules=p.target_modules,
                          task_type=task_type)
    if task_type != "CAUSAL_LM":
        raise ConfigError(f"peft.method={p.method} is supported for sft/pretrain only", hint="use lora or full")
    return PrefixTuningConfig(task_type=task_type, num_virtual_tokens=p.num_virtual_tokens,
                              prefix_projection=p.method == "ptuning", encoder_hidden_size=128)


def resume_arg(cfg: RunConfig) -> bool | str | None:
    r = cfg.train.resume
    if r is True:
        ckpts = list(Path(cfg.train.output_dir).glob("checkpoint-*"))
        if not ckpts:
            raise ConfigError(f"train.resume=true but {cfg.train.output_dir} holds no checkpoint-*",
                              hint="train once with train.save_steps set, or give resume=PATH")
        return True
    return r or None


def load_tokenizer(cfg: RunConfig) -> Any:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(cfg.model.tokenizer or cfg.model.path)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def finish(trainer: Any, cfg: RunConfig, tokenizer: Any, metrics: dict[str, Any], started: float,
           *, merge_now: bool = False) -> dict[str, Any]:
    """Save the model (adapter or full) + tokenizer + ``kefu_train.json``; merge LoRA if asked.
    ``merge_now`` writes the merged model itself to OUTPUT_DIR (reward models: RL loads them plainly)."""
    out = Path(cfg.train.output_dir)
    if merge_now and cfg.peft.method == "lora":
        trainer.model.merge_and_unload().save_pretrained(str(out))
    else:
        trainer.save_model(str(out))
    tokenizer.save_pretrained(str(out))
    summary = {"stage": cfg.stage, "base_model": cfg.model.path, "peft": cfg.peft.method,
               "steps": int(trainer.state.global_step), "seconds": round(time.time() - started, 1),
               "metrics": {k: (round(v, 6) if isinstance(v, float) else v) for k, v in metrics.items()},
               "config": cfg.model_dump(mode="json")}
    if cfg.peft.method == "lora" and cfg.train.save_merged and not merge_now:
        from kefu.train.merge import merge_lora

        summary["merged_dir"] = str(merge_lora(out, out / "merged"))
    (out / "kefu_train.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    return summary


_NOISE = ("runtime", "per_second", "preparation_time", "num_tokens")


def last_eval(trainer: Any) -> dict[str, float]:
    """The metrics of the last evaluation and the first/last logged training loss."""
    evals = [h for h in trainer.state.log_history if "eval_loss" in h]
    out: dict[str, float] = {}
    if evals:
        out.update({k: v for k, v in evals[-1].items() if k.startswith("eval_") and not any(n in k for n in _NOISE)})
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    if losses:
        out.update(train_loss_first=losses[0], train_loss_last=losses[-1])
    return out


def prepare(trainer: Any, cfg: RunConfig) -> Any:
    """Point TensorBoard at OUTPUT_DIR/runs: transformers only sets that at train start, and the
    stages evaluate once before training (the "before" numbers), which would log to ./runs."""
    from transformers.integrations import TensorBoardCallback

    for cb in trainer.callback_handler.callbacks:
        if isinstance(cb, TensorBoardCallback) and cb.logging_dir is None:
            cb.logging_dir = str(Path(cfg.train.output_dir) / "runs")
    return trainer
