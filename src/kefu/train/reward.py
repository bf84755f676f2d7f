"""Reward model: a one-logit sequence-classification head on the base model, trained with the
pairwise (Bradley-Terry) loss ``-log sigmoid(r(chosen) - r(rejected))`` by TRL's RewardTrainer.

Ranked lists (K answers best-first) become K(K-1)/2 pairs in :mod:`kefu.train.data.formats`.
Reported: pairwise accuracy (share of held-out pairs where r(chosen) > r(rejected)) and the
mean margin, before and after training. A LoRA reward model is merged on save, so that
:class:`kefu.train.scoring.RewardModelScorer` and the RL stage load it as a plain directory.
"""

from __future__ import annotations

import time
from typing import Any

from kefu.errors import DataError
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
from kefu.train.prefs import load_pairs, pairs_dataset
from kefu.train.tokenize import ensure_chat_template


def run_reward(cfg: RunConfig) -> dict[str, Any]:
    from transformers import AutoModelForSequenceClassification
    from trl import RewardConfig, RewardTrainer

    started = time.time()
    tokenizer = ensure_chat_template(load_tokenizer(cfg))
    train, val = load_pairs(cfg)
    if not val:
        raise DataError("the reward model needs held-out pairs to report pairwise accuracy",
                        hint="set data.val_fraction > 0 or data.eval")
    model = AutoModelForSequenceClassification.from_pretrained(cfg.model.path, num_labels=1, dtype=model_dtype(cfg))
    model.config.pad_token_id = tokenizer.pad_token_id
    args = RewardConfig(max_length=cfg.data.max_length,
                        center_rewards_coefficient=cfg.reward.center_rewards_coefficient,
                        **training_kwargs(cfg, has_eval=True))
    trainer = RewardTrainer(model=model, args=args, train_dataset=pairs_dataset(train),
                            eval_dataset=pairs_dataset(val), processing_class=tokenizer,
                            peft_config=peft_config(cfg.peft, "SEQ_CLS"), callbacks=callbacks(cfg))
    prepare(trainer, cfg)
    if len(trainer.train_dataset) == 0 or len(trainer.eval_dataset) == 0:  # TRL drops pairs over max_length
        raise DataError(f"every training or held-out pair is longer than data.max_length={cfg.data.max_length} tokens",
                        hint="raise data.max_length or use shorter pairs")
    before = trainer.evaluate()
    result = trainer.train(resume_from_checkpoint=resume_arg(cfg))
    after = trainer.evaluate()
    metrics = {"train_loss": result.training_loss, **last_eval(trainer), "train_pairs": len(train),
               "heldout_pairs": len(val),
               "pairwise_accuracy_before": before.get("eval_accuracy"), "pairwise_accuracy": after.get("eval_accuracy"),
               "margin_before": before.get("eval_margin"), "margin": after.get("eval_margin")}
    return finish(trainer, cfg, tokenizer, metrics, started, merge_now=True)
