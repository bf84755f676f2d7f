"""Supervised fine-tuning (SFT) and continued pre-training on TRL's SFTTrainer.

SFT: conversations (any format of :mod:`kefu.train.data.formats`) are tokenised by
:func:`kefu.train.tokenize.sft_dataset` (loss on assistant tokens and the end-of-turn token
only) and trained full, with LoRA, prefix tuning or P-Tuning v2.

Pre-training: plain text (``{"text"}`` records or .txt files, split into paragraphs) is
tokenised with EOS between documents and cut into ``max_length`` blocks (TRL "wrapped"
packing): the classic causal-LM recipe.

    >>> run_sft(load_run_config("sft-lora", ["model.path=DIR", "data.train=[{path: faq.jsonl}]"]))  # doctest: +SKIP
"""

from __future__ import annotations

import time
from typing import Any

from kefu.train.common import (
    callbacks,
    finish,
    last_eval,
    load_tokenizer,
    model_dtype,
    peft_config,
    prepare,
    resume_arg,
    training_kwargs,
)
from kefu.train.config import RunConfig
from kefu.train.data import load_mixture, normalize_conversation, normalize_text, split_records
from kefu.train.tokenize import ensure_chat_template, sft_dataset


def _split(cfg: RunConfig, convert: Any) -> tuple[list[Any], list[Any]]:
    d, seed = cfg.data, cfg.train.seed
    items = load_mixture(d.train, convert, seed=seed, size=d.size)
    if d.eval:
        return items, load_mixture(d.eval, convert, seed=seed)
    return split_records(items, d.val_fraction, seed=seed)


def _paragraphs(rec: Any) -> list[str]:
    return [p.strip() for p in normalize_text(rec).split("\n\n") if p.strip()]


def _trainer(cfg: RunConfig, train: Any, val: Any, tokenizer: Any, **sft_kw: Any) -> Any:
    from transformers import AutoModelForCausalLM
    from trl import SFTConfig, SFTTrainer

    model = AutoModelForCausalLM.from_pretrained(cfg.model.path, dtype=model_dtype(cfg))
    args = SFTConfig(max_length=cfg.data.max_length, **sft_kw, **training_kwargs(cfg, has_eval=val is not None))
    return prepare(SFTTrainer(model=model, args=args, train_dataset=train, eval_dataset=val, processing_class=tokenizer,
                              peft_config=peft_config(cfg.peft, "CAUSAL_LM"), callbacks=callbacks(cfg)), cfg)


def _train(cfg: RunConfig, trainer: Any, tokenizer: Any, started: float) -> dict[str, Any]:
    before = trainer.evaluate() if trainer.eval_dataset is not None else {}
    result = trainer.train(resume_from_checkpoint=resume_arg(cfg))
    metrics = {"train_loss": result.training_loss, **last_eval(trainer)}
    if before:
        metrics["eval_loss_before"] = before["eval_loss"]
    return finish(trainer, cfg, tokenizer, metrics, started)


def run_sft(cfg: RunConfig) -> dict[str, Any]:
    """Train; returns the summary also written to OUTPUT_DIR/kefu_train.json."""
    from datasets import Dataset

    started = time.time()
    tokenizer = ensure_chat_template(load_tokenizer(cfg))
    train, val = _split(cfg, lambda r: [normalize_conversation(r)])
    n = cfg.data.max_length
    train_ds = sft_dataset(tokenizer, train, n)
    val_ds = sft_dataset(tokenizer, val, n) if val else None
    assert isinstance(train_ds, Dataset)
    trainer = _trainer(cfg, train_ds, val_ds, tokenizer, packing=cfg.sft.packing)
    return _train(cfg, trainer, tokenizer, started)


def run_pretrain(cfg: RunConfig) -> dict[str, Any]:
    """Continued pre-training: causal LM on every token of plain text, chunked to max_length."""
    from datasets import Dataset

    started = time.time()
    tokenizer = load_tokenizer(cfg)
    train, val = _split(cfg, _paragraphs)
    train_ds = Dataset.from_list([{"text": t} for t in train])
    val_ds = Dataset.from_list([{"text": t} for t in val]) if val else None
    trainer = _trainer(cfg, train_ds, val_ds, tokenizer, packing=True, packing_strategy="wrapped",
                       eos_token=tokenizer.eos_token)
    return _train(cfg, trainer, tokenizer, started)
