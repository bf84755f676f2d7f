"""Offline preference tuning from pairs: DPO (TRL DPOTrainer) and KTO (TRL KTOTrainer).

The reference model is the starting policy (with LoRA: the base with the adapter disabled;
full fine-tuning: a frozen copy made by TRL). ``beta`` is the strength of the leash to it.
Reported for DPO, before and after training on held-out pairs: preference accuracy
(``rewards/accuracies``: share of pairs whose implicit reward ranks chosen above rejected) and
the mean margin ``rewards/margins``.
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
from kefu.train.prefs import load_pairs, pairs_dataset, unpaired_dataset
from kefu.train.tokenize import ensure_chat_template

_KEYS = ("eval_loss", "eval_rewards/accuracies", "eval_rewards/margins", "eval_rewards/chosen", "eval_rewards/rejected")


def _run(cfg: RunConfig, kto: bool) -> dict[str, Any]:
    from transformers import AutoModelForCausalLM
    from trl import DPOConfig, DPOTrainer, KTOConfig, KTOTrainer

    started = time.time()
    tokenizer = ensure_chat_template(load_tokenizer(cfg))
    train, val = load_pairs(cfg)
    model = AutoModelForCausalLM.from_pretrained(cfg.model.path, dtype=model_dtype(cfg))
    common = training_kwargs(cfg, has_eval=bool(val))
    if kto:
        args: Any = KTOConfig(beta=cfg.kto.beta, max_length=cfg.data.max_length, **common)
        trainer: Any = KTOTrainer(model=model, args=args, train_dataset=unpaired_dataset(train),
                                  eval_dataset=unpaired_dataset(val), processing_class=tokenizer,
                                  peft_config=peft_config(cfg.peft, "CAUSAL_LM"), callbacks=callbacks(cfg))
    else:
        args = DPOConfig(beta=cfg.dpo.beta, loss_type=cfg.dpo.loss_type, max_length=cfg.data.max_length, **common)
        trainer = DPOTrainer(model=model, args=args, train_dataset=pairs_dataset(train),
                             eval_dataset=pairs_dataset(val), processing_class=tokenizer,
                             peft_config=peft_config(cfg.peft, "CAUSAL_LM"), callbacks=callbacks(cfg))
    prepare(trainer, cfg)
    before = trainer.evaluate() if val else {}
    result = trainer.train(resume_from_checkpoint=resume_arg(cfg))
    after = trainer.evaluate() if val else {}
    metrics: dict[str, Any] = {"train_loss": result.training_loss, **last_eval(trainer), "train_pairs": len(train),
                               "heldout_pairs": len(val)}
    for k in _KEYS:
        if k in after:
            name = k.removeprefix("eval_").replace("rewards/", "")
            metrics[f"{name}_before"], metrics[name] = before.get(k), after[k]
    return finish(trainer, cfg, tokenizer, metrics, started)


def run_dpo(cfg: RunConfig) -> dict[str, Any]:
    """DPO; summary metrics ``accuracies`` / ``margins`` (and ``*_before``) on held-out pairs."""
    return _run(cfg, kto=False)


def run_kto(cfg: RunConfig) -> dict[str, Any]:
    """KTO on the pairs split into desirable / undesirable completions."""
    return _run(cfg, kto=True)
