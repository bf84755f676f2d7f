"""kefu's training pipeline on transformers + peft + trl.

Stages (each a function taking a pydantic config, each a ``kefu train`` command):
``pretrain`` (causal LM on plain text), ``sft`` (loss on assistant tokens only), ``reward``
(pairwise reward model), ``dpo`` / ``kto`` (offline preference tuning), ``rl`` (GRPO against
the reward model with a KL leash), task heads ``classifier`` / ``ner``, and ``merge`` (LoRA ->
full model). Data formats live in :mod:`kefu.train.data`; feedback -> datasets in
:mod:`kefu.train.feedback`.
"""
