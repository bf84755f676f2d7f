"""One YAML file per training run, validated by pydantic; ``--set key=value`` overrides.

A run config has the same sections for every stage (``model``, ``peft``, ``data``, ``train``)
plus the options of its own stage (``sft``, ``pretrain``, ``reward``, ``dpo``, ``kto``, ``rl``,
``head``). Example (presets in ``kefu/train/presets/``)::

    stage: sft
    model: {path: ./models/smollm2-135m}
    peft: {method: lora, r: 16, alpha: 32}
    data: {train: [{path: faq.jsonl, ratio: 0.8}, {path: alpaca.json, ratio: 0.2}], val_fraction: 0.1}
    train: {output_dir: out/sft, epochs: 3, learning_rate: 2e-4}

    >>> cfg = load_run_config("sft.yaml", ["train.max_steps=10", "peft.r=8"])   # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kefu.errors import ConfigError
from kefu.train.data.mix import DatasetSpec

PRESETS = Path(__file__).parent / "presets"
Stage = Literal["pretrain", "sft", "reward", "dpo", "kto", "rl", "classifier", "ner"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelCfg(_Section):
    path: str = Field(description="Base model: an HF directory (or hub id when online). The RL policy = the SFT output.")
    tokenizer: str | None = Field(None, description="Tokenizer directory if not the model's.")


class PeftCfg(_Section):
    method: Literal["full", "lora", "prefix", "ptuning"] = Field(
        "lora", description="full fine-tuning, LoRA, prefix tuning, or P-Tuning v2 (prefix tuning with an "
        "MLP reparameterisation of the prefix; sft/pretrain only).")
    r: int = Field(16, gt=0, description="LoRA rank.")
    alpha: int = Field(32, gt=0, description="LoRA alpha (scale = alpha / r).")
    dropout: float = Field(0.05, ge=0, lt=1, description="LoRA dropout.")
    target_modules: list[str] | str = Field("all-linear", description="LoRA target modules, e.g. [q_proj, v_proj].")
    num_virtual_tokens: int = Field(16, gt=0, description="Prefix / P-Tuning v2 prefix length.")


class DataCfg(_Section):
    train: list[DatasetSpec] = Field(default_factory=list, description="Training datasets (mixed by ratio).")
    eval: list[DatasetSpec] = Field(default_factory=list, description="Validation datasets (else split from train).")
    val_fraction: float = Field(0.1, ge=0, lt=1, description="Held-out share of train when no eval set is given.")
    size: int | None = Field(None, gt=0, description="Mixture size (default: largest without repeats).")
    max_length: int = Field(512, gt=8, description="Longest sequence in tokens (longer ones are truncated).")


class TrainCfg(_Section):
    output_dir: str = Field("out/run", description="Where checkpoints, TensorBoard logs (runs/) and the result go.")
    seed: int = Field(0, description="Seed for data order, splits and initialisation.")
    epochs: float = Field(3.0, gt=0, description="Passes over the training data.")
    max_steps: int = Field(-1, description="Stop after this many optimizer steps (-1 = use epochs).")
    learning_rate: float = Field(2e-4, gt=0, description="Peak learning rate.")
    batch_size: int = Field(4, gt=0, description="Per-device batch size.")
    grad_accum: int = Field(1, gt=0, description="Gradient accumulation steps.")
    warmup_ratio: float = Field(0.0, ge=0, lt=1, description="Share of steps for linear warm-up.")
    lr_scheduler: str = Field("cosine", description="transformers scheduler name (linear, cosine, constant, ...).")
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay.")
    logging_steps: int = Field(10, gt=0, description="Log (TensorBoard + console) every N steps.")
    eval_steps: int | None = Field(None, gt=0, description="Evaluate every N steps (default: each epoch).")
    save_steps: int | None = Field(None, gt=0, description="Checkpoint every N steps (default: with eval).")
    save_total_limit: int = Field(2, gt=0, description="Checkpoints kept.")
    early_stopping_patience: int | None = Field(
        None, gt=0, description="Stop after N evaluations without a lower validation loss (needs validation data).")
    resume: bool | str = Field(False, description="true = latest checkpoint in output_dir, or a checkpoint path.")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="auto = CUDA when available.")
    precision: Literal["auto", "fp32", "bf16", "fp16"] = Field("auto", description="auto = bf16 on CUDA if supported.")
    gradient_checkpointing: bool = Field(False, description="Trade compute for memory.")
    deepspeed: str | None = Field(None, description="DeepSpeed JSON (presets/deepspeed/zero2.json, zero3.json); "
                                  "launch with `accelerate launch --config_file presets/accelerate/...`.")
    report_to: list[str] = Field(default_factory=lambda: ["tensorboard"], description="Loggers (tensorboard, none).")
    save_merged: bool = Field(False, description="LoRA: also write a merged full model to OUTPUT_DIR/merged.")


class SftCfg(_Section):
    packing: bool = Field(False, description="Pack several examples into one max_length sequence (BFD).")


class RewardCfg(_Section):
    center_rewards_coefficient: float | None = Field(None, description="Push mean reward towards 0 (TRL option).")


class DpoCfg(_Section):
    beta: float = Field(0.1, gt=0, description="Strength of the KL leash to the reference model.")
    loss_type: str = Field("sigmoid", description="TRL DPO loss: sigmoid (DPO), ipo, hinge, ...")


class RlCfg(_Section):
    algorithm: Literal["grpo", "rloo"] = Field("grpo", description="TRL has no PPO; GRPO or RLOO.")
    reward_model: str | None = Field(None, description="Directory of a `kefu train reward` output.")
    reward_function: str | None = Field(None, description="Or a Python reward: 'module:function' "
                                        "(called as TRL reward functions: f(prompts, completions, **kw) -> floats).")
    beta: float = Field(0.05, gt=0, description="KL coefficient to the reference (starting) policy.")
    num_generations: int = Field(4, ge=2, description="Completions sampled per prompt.")
    max_completion_length: int = Field(64, gt=0, description="Longest sampled completion, tokens.")
    temperature: float = Field(1.0, gt=0, description="Sampling temperature during RL.")
    eval_prompts: int = Field(16, gt=0, description="Prompts used for the before/after reward and KL report.")


class HeadCfg(_Section):
    text_field: str = Field("text", description="Column holding the text (classifier) or tokens (ner).")
    label_field: str = Field("label", description="Column holding the label (classifier) or tags (ner).")


class RunConfig(_Section):
    stage: Stage
    model: ModelCfg
    peft: PeftCfg = Field(default_factory=PeftCfg)
    data: DataCfg = Field(default_factory=DataCfg)
    train: TrainCfg = Field(default_factory=TrainCfg)
    sft: SftCfg = Field(default_factory=SftCfg)
    reward: RewardCfg = Field(default_factory=RewardCfg)
    dpo: DpoCfg = Field(default_factory=DpoCfg)
    kto: DpoCfg = Field(default_factory=DpoCfg)
    rl: RlCfg = Field(default_factory=RlCfg)
    head: HeadCfg = Field(default_factory=HeadCfg)


def _set(tree: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    node = tree
    for k in keys[:-1]:
        node = node.setdefault(k, {})
        if not isinstance(node, dict):
            raise ConfigError(f"--set {dotted}: {k} is not a section")
    node[keys[-1]] = value


def parse_override(item: str) -> tuple[str, Any]:
    """``"train.max_steps=10"`` -> ``("train.max_steps", 10)``; values are YAML (lists, numbers, true)."""
    if "=" not in item:
        raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. train.learning_rate=1e-4")
    key, raw = item.split("=", 1)
    value = yaml.safe_load(raw) if raw else None
    if isinstance(value, str) and raw and raw.replace(".", "").replace("e-", "").replace("e+", "").isdigit():
        value = float(raw)  # YAML 1.1 reads 1e-4 as a string
    return key.strip(), value


def load_run_config(source: str | Path | dict[str, Any] | None, overrides: list[str] | None = None,
                    **values: Any) -> RunConfig:
    """A file path, a preset name (``sft-lora``) or a dict, then ``--set`` overrides, then
    ``values`` (dotted keys from typed CLI options; None values are ignored)."""
    tree: dict[str, Any] = {}
    if isinstance(source, dict):
        tree = dict(source)
    elif source is not None:
        path = Path(source)
        if not path.is_file() and (PRESETS / f"{source}.yaml").is_file():
            path = PRESETS / f"{source}.yaml"
        if not path.is_file():
            names = ", ".join(sorted(p.stem for p in PRESETS.glob("*.yaml")))
            raise ConfigError(f"training config {source} not found", hint=f"give a YAML file or a preset: {names}")
        try:
            tree = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            raise ConfigError(f"{path}: invalid YAML: {e}") from None
    for item in overrides or []:
        _set(tree, *parse_override(item))
    for key, value in values.items():
        if value is not None:
            _set(tree, key, value)
    try:
        return RunConfig.model_validate(tree)
    except ValidationError as e:
        lines = [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()]
        raise ConfigError(f"invalid training config {source or ''}: " + "; ".join(lines),
                          hint="kefu train show-config PRESET prints a valid example") from None
