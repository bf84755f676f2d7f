"""RL stage: GRPO (or RLOO) from TRL against a reward model or a Python reward function, with a
KL leash (``beta``) to the starting policy — the SFT model, i.e. ``model.path``.

TRL 1.16 has no PPO; GRPO replaces PPO's value network by comparing ``num_generations``
completions of the same prompt. Prompts come from any conversation or preference file (the
assistant answers are dropped). Report: mean reward and KL(policy || reference) on held-out
prompts before and after training (:func:`kefu.train.policy_eval.policy_report`).
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
from kefu.train.data import load_mixture, normalize_conversation, normalize_preferences, split_records
from kefu.train.data.io import Record
from kefu.train.scoring import load_reward
from kefu.train.tokenize import ensure_chat_template


def prompts_of(rec: Record) -> list[list[dict[str, str]]]:
    """The prompt of a preference record, or a conversation up to its first assistant turn."""
    d = rec.data
    if "chosen" in d or any(k in d for k in ("answers", "responses", "ranked")):
        pairs = normalize_preferences(rec)
        return [pairs[0].prompt] if pairs else []
    conv = normalize_conversation(rec)
    first = next(i for i, m in enumerate(conv) if m["role"] == "assistant")
    return [conv[:first]]


def run_rl(cfg: RunConfig) -> dict[str, Any]:
    from datasets import Dataset
    from transformers import AutoModelForCausalLM
    from trl import GRPOConfig, GRPOTrainer, RLOOConfig, RLOOTrainer

    from kefu.train.policy_eval import policy_report

    started = time.time()
    r = cfg.rl
    reward = load_reward(r.reward_model, r.reward_function)
    tokenizer = ensure_chat_template(load_tokenizer(cfg))
    tokenizer.padding_side = "left"  # generation pads on the left
    prompts = load_mixture(cfg.data.train, prompts_of, seed=cfg.train.seed, size=cfg.data.size)
    train, held = split_records(prompts, cfg.data.val_fraction, seed=cfg.train.seed)
    held = held or train
    if not train:
        raise DataError("no prompts for RL", hint="data.train must hold conversations or preference records")
    held = held[: r.eval_prompts]
    model = AutoModelForCausalLM.from_pretrained(cfg.model.path, dtype=model_dtype(cfg))
    ref = AutoModelForCausalLM.from_pretrained(cfg.model.path, dtype=model_dtype(cfg))  # report only
    common = training_kwargs(cfg, has_eval=False)
    common["per_device_train_batch_size"] = max(common["per_device_train_batch_size"], r.num_generations)
    common["per_device_train_batch_size"] -= common["per_device_train_batch_size"] % r.num_generations
    rl_kw = dict(beta=r.beta, num_generations=r.num_generations, max_completion_length=r.max_completion_length,
                 temperature=r.temperature, **common)
    cls, conf = (GRPOTrainer, GRPOConfig) if r.algorithm == "grpo" else (RLOOTrainer, RLOOConfig)
    trainer = cls(model=model, reward_funcs=[reward], args=conf(**rl_kw),
                  train_dataset=Dataset.from_list([{"prompt": p} for p in train]), processing_class=tokenizer,
                  peft_config=peft_config(cfg.peft, "CAUSAL_LM"), callbacks=callbacks(cfg))
    prepare(trainer, cfg)
    gen = {"max_new_tokens": r.max_completion_length, "seed": cfg.train.seed}
    before = policy_report(trainer.model, ref, tokenizer, held, reward, **gen)
    result = trainer.train(resume_from_checkpoint=resume_arg(cfg))
    after = policy_report(trainer.model, ref, tokenizer, held, reward, **gen)
    logged = [h for h in trainer.state.log_history if "reward" in h]
    metrics = {"train_loss": result.training_loss, **last_eval(trainer), "prompts": len(train),
               "heldout_prompts": len(held), "reward_before": before["reward"], "reward_after": after["reward"],
               "kl_before": before["kl"], "kl_after": after["kl"],
               "train_reward_first": logged[0]["reward"] if logged else None,
               "train_reward_last": logged[-1]["reward"] if logged else None}
    return finish(trainer, cfg, tokenizer, metrics, started)
