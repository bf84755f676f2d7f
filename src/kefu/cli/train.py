"""`kefu train ...`: the training pipeline (pretrain, sft, reward, rl, dpo, kto, task heads, merge, gguf, export)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(help="Train models on your own data: pre-training, SFT, reward model, RL, DPO/KTO, "
                  "intent/NER heads; merge LoRA; write GGUF; export feedback as datasets. See docs/training.md.",
                  no_args_is_help=True)

ConfigArg = Annotated[str | None, typer.Argument(
    help="YAML run config or a preset name (kefu train presets). Options below override it.")]
ModelOpt = Annotated[str | None, typer.Option("--model", "-m", help="Base model directory (model.path).")]
DataOpt = Annotated[list[str] | None, typer.Option(
    "--data", "-d", help="Training file (repeat to mix; FILE:RATIO sets its share, e.g. faq.jsonl:0.8).")]
OutOpt = Annotated[str | None, typer.Option("--output", "-o", help="Output directory (train.output_dir).")]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", "-s", help="Override any field: --set train.learning_rate=1e-4 --set peft.r=8 (repeatable).")]
MethodOpt = Annotated[str | None, typer.Option("--method", help="full | lora | prefix | ptuning (peft.method).")]
StepsOpt = Annotated[int | None, typer.Option("--max-steps", help="Stop after N optimizer steps.")]
EpochsOpt = Annotated[float | None, typer.Option("--epochs", help="Passes over the data.")]
LrOpt = Annotated[float | None, typer.Option("--lr", help="Learning rate.")]
ResumeOpt = Annotated[bool, typer.Option("--resume", help="Continue from the latest checkpoint in the output dir.")]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Random seed.")]


def _run(fn: Any) -> Any:
    from kefu.cli.main import _run as run

    return run(fn)


def _data(items: list[str] | None) -> list[dict[str, Any]] | None:
    if not items:
        return None
    out = []
    for it in items:
        path, _, ratio = it.rpartition(":") if it.rsplit(":", 1)[-1].replace(".", "").isdigit() else (it, "", "")
        out.append({"path": path, **({"ratio": float(ratio)} if ratio else {})})
    return out


def _stage(stage: str, config: str | None, model: str | None, data: list[str] | None, output: str | None,
           overrides: list[str] | None, method: str | None, max_steps: int | None, epochs: float | None,
           lr: float | None, resume: bool, seed: int | None, **extra: Any) -> None:
    from rich.console import Console

    from kefu.train.config import load_run_config
    from kefu.train.runner import run_stage

    def body() -> None:
        cfg = load_run_config(config, overrides, **{
            "stage": stage, "model.path": model, "data.train": _data(data), "train.output_dir": output,
            "peft.method": method, "train.max_steps": max_steps, "train.epochs": epochs, "train.learning_rate": lr,
            "train.resume": resume or None, "train.seed": seed, **extra})
        summary = run_stage(cfg)
        Console(stderr=True).print(f"[green]done[/]: {stage} -> {cfg.train.output_dir} "
                                   f"({summary['steps']} steps, {summary['seconds']} s)")
        print(json.dumps(summary["metrics"], indent=2, ensure_ascii=False))

    _run(body)


def _make(stage: str, doc: str, **extra_opts: Any) -> None:
    def command(config: ConfigArg = None, model: ModelOpt = None, data: DataOpt = None, output: OutOpt = None,
                set_: SetOpt = None, method: MethodOpt = None, max_steps: StepsOpt = None, epochs: EpochsOpt = None,
                lr: LrOpt = None, resume: ResumeOpt = False, seed: SeedOpt = None) -> None:
        _stage(stage, config, model, data, output, set_, method, max_steps, epochs, lr, resume, seed)

    command.__doc__ = doc
    command.__name__ = stage
    app.command(stage)(command)


_make("pretrain", """Continued pre-training (causal LM) on plain text: .txt files or {"text"} JSONL.

Example:

  kefu train pretrain pretrain-lora --model ./smollm2 --data manuals.txt -o out/cpt
""")
_make("sft", """Supervised fine-tuning on conversations (messages / alpaca / ShareGPT); loss on assistant tokens only.

Examples:

  kefu train sft sft-lora --model ./smollm2 --data faq.jsonl:0.8 --data alpaca_en_demo.json:0.2 -o out/sft

  kefu train sft sft-full --model ./smollm2 --data faq.jsonl --set train.early_stopping_patience=2
""")
_make("reward", """Reward model (one-logit head, pairwise loss) on preference pairs or ranked lists; reports held-out pairwise accuracy.

Example:

  kefu train reward reward-lora --model ./smollm2 --data dpo_en_demo.json -o out/reward
""")
_make("dpo", """DPO on preference pairs; reports preference accuracy and margins before/after.

Example:

  kefu train dpo dpo-lora --model out/sft-merged --data pairs.jsonl -o out/dpo
""")
_make("kto", """KTO on preference pairs (split into desirable / undesirable answers).

Example:

  kefu train kto kto-lora --model out/sft-merged --data pairs.jsonl -o out/kto
""")
_make("rl", """RL (GRPO; --set rl.algorithm=rloo for RLOO) against a reward model or a Python function, KL-leashed to the start policy.

Examples:

  kefu train rl rl-grpo --model out/sft-merged --data prompts.jsonl --set rl.reward_model=out/reward -o out/rl

  kefu train rl rl-grpo --model out/sft-merged --data prompts.jsonl --set rl.reward_function=mypkg.rewards:polite
""")
_make("classifier", """Intent / sentiment classifier on a small encoder (CSV or JSONL with text,label).

Example:

  kefu train classifier classifier --model ./encoder --data intents.csv -o out/intent
""")
_make("ner", """Token classification (slots such as order numbers): JSONL {"tokens": [...], "tags": [BIO...]}.

Example:

  kefu train ner ner --model ./encoder --data slots.jsonl -o out/slots
""")


@app.command()
def merge(adapter: Annotated[Path, typer.Argument(help="LoRA adapter directory (a kefu train output).")],
          output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the merged model.")],
          base: Annotated[Path | None, typer.Option("--base", help="Base model (default: from adapter_config.json).")] = None,
          ) -> None:
    """Merge a LoRA adapter into its base model (a plain directory for `kefu serve --model`).

    Example:

      kefu train merge out/sft -o out/sft-merged && kefu serve --model out/sft-merged
    """
    from kefu.train.merge import merge_lora

    _run(lambda: print(merge_lora(adapter, output, base)))


@app.command()
def gguf(model: Annotated[Path, typer.Argument(
             help="HF model directory (LlamaForCausalLM / MistralForCausalLM), or a LoRA adapter on one.")],
         output: Annotated[Path, typer.Argument(help="The .gguf file to write.")],
         dtype: Annotated[str, typer.Option(
             "--dtype", help="Matrix type: f16 (half size, near-exact), f32 (exact) or q8_0 (quarter size).")] = "f16",
         base: Annotated[Path | None, typer.Option(
             "--base", help="Base model of an adapter (default: from adapter_config.json).")] = None,
         ) -> None:
    """Write a LLaMA-family model as GGUF for the llama.cpp backend (other architectures: llama.cpp's converter).

    Examples:

      kefu train gguf out/sft-merged out/sft.gguf && kefu serve --model out/sft.gguf

      kefu train gguf out/sft out/sft-q8.gguf --dtype q8_0     # a LoRA adapter is merged first
    """
    from kefu.train.gguf_export import export_gguf

    _run(lambda: print(export_gguf(model, output, dtype=dtype, base=base)))  # type: ignore[arg-type]


@app.command()
def export(output: Annotated[Path, typer.Option("--output", "-o", help="Directory for sft.jsonl + preferences.jsonl.")],
           records: Annotated[Path | None, typer.Option(
               "--records", help="JSONL of stored messages: {id, conversation_id, role, text, thumbs?, "
               "corrections?} (a store dump). Default: read the conversation store itself.")] = None,
           store_url: Annotated[str | None, typer.Option(
               "--store", help="Store URL (default: the configured one, e.g. SQLite in ~/.kefu).")] = None,
           ) -> None:
    """Turn feedback into datasets: thumbs-up -> SFT; agent corrections / better answers -> preference pairs.

    Example:

      kefu train export -o data/feedback && kefu train dpo dpo --data data/feedback/preferences.jsonl

      kefu train export --store postgresql+psycopg://kefu@db/kefu -o data/feedback

      kefu train export --records messages.jsonl -o data/feedback
    """
    from kefu.train.data import read_records
    from kefu.train.feedback import StoredMessage, export_datasets, from_store

    def body() -> None:
        if records is not None:
            msgs = [StoredMessage(int(r.data.get("id", i)), str(r.data["conversation_id"]), r.data["role"],
                                  r.data["text"], r.data.get("thumbs"), tuple(r.data.get("corrections") or ()))
                    for i, r in enumerate(read_records(records))]
        else:
            from kefu.config import load_settings
            from kefu.store import open_store

            store = open_store(store_url or load_settings(None))
            try:
                msgs = from_store(store)
            finally:
                store.close()
        print(json.dumps(export_datasets(msgs, output)))

    _run(body)


@app.command()
def presets() -> None:
    """List the shipped presets (YAML run configs) and accelerate / DeepSpeed configs.

    Example:

      kefu train presets && kefu train show-config sft-lora > my-sft.yaml
    """
    from kefu.train.config import PRESETS

    for p in sorted(PRESETS.rglob("*")):
        if p.is_file():
            print(p.relative_to(PRESETS))


@app.command("show-config")
def show_config(config: ConfigArg = None, set_: SetOpt = None) -> None:
    """Print a run config (preset or file) with every default filled in, after overrides.

    Example:

      kefu train show-config sft-lora --set peft.r=8
    """
    import yaml

    from kefu.train.config import load_run_config

    _run(lambda: print(yaml.safe_dump(load_run_config(config, set_).model_dump(mode="json"), sort_keys=False)))


@app.command("base-model")
def base_model(output: Annotated[Path, typer.Option("--output", "-o", help="Directory to write.")] = Path(
        "models/smollm2-135m-instruct"),
               gguf: Annotated[Path | None, typer.Option("--gguf", help="GGUF file (default: the bundled one).")] = None,
               ) -> None:
    """Write the bundled SmolLM2-135M-Instruct (or any GGUF) as an HF model directory to train on.

    Example:

      kefu train base-model -o models/smollm2-135m-instruct
    """
    from kefu.llm.factory import bundled_gguf
    from kefu.train.base_model import convert_gguf

    _run(lambda: print(convert_gguf(gguf or bundled_gguf(), output)))
