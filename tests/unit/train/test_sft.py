"""SFT / pre-training on the tiny Llama: weights change, loss finite, output servable."""

import json
import math

import pytest
from safetensors.torch import load_file

from kefu.train.runner import run_stage


def _weights(d):
    name = "adapter_model.safetensors" if (d / "adapter_model.safetensors").is_file() else "model.safetensors"
    return load_file(str(d / name))


def _finite(summary):
    m = summary["metrics"]
    assert math.isfinite(m["train_loss"]) and math.isfinite(m["eval_loss"])
    assert summary["steps"] == 3


def test_sft_lora_changes_adapter_and_serves_through_load_llm(tiny_lm_dir, tmp_path, make_cfg):
    from kefu.llm.base import GenerationRequest, Message, SamplingParams
    from kefu.llm.factory import load_llm

    out = tmp_path / "sft"
    s = run_stage(make_cfg("sft", tiny_lm_dir, ["sft.jsonl", "alpaca.json"], out, train={"save_merged": True}))
    _finite(s)
    assert "eval_loss_before" in s["metrics"]
    w = _weights(out)
    lora_b = [v for k, v in w.items() if "lora_B" in k]
    assert lora_b and any(v.abs().sum() > 0 for v in lora_b)  # B starts at zero: training moved it
    assert json.loads((out / "kefu_train.json").read_text())["peft"] == "lora"
    assert (out / "runs").is_dir() is False  # report_to none in unit tests
    for ref in (out, out / "merged"):  # adapter dir and merged full dir both serve
        llm = load_llm(str(ref))
        text = "".join(c.text for c in llm.stream(GenerationRequest(
            messages=[Message("user", "Where is my order?")], params=SamplingParams(max_tokens=5, temperature=0))))
        assert isinstance(text, str) and llm.count_tokens("hello") > 0


def test_sft_full_changes_weights_and_logs_tensorboard(tiny_lm_dir, tmp_path, make_cfg):
    out = tmp_path / "full"
    s = run_stage(make_cfg("sft", tiny_lm_dir, "sft.jsonl", out, peft={"method": "full"},
                           train={"report_to": ["tensorboard"]}))
    _finite(s)
    before, after = _weights(tiny_lm_dir), _weights(out)
    changed = [k for k in before if k in after and not before[k].equal(after[k])]
    assert len(changed) > 5
    assert list((out / "runs").rglob("events.out.tfevents*"))


@pytest.mark.parametrize("method", ["prefix", "ptuning"])
def test_prefix_and_ptuning_v2_train(tiny_lm_dir, tmp_path, make_cfg, method):
    out = tmp_path / method
    s = run_stage(make_cfg("sft", tiny_lm_dir, "sft.jsonl", out, peft={"method": method, "num_virtual_tokens": 4}))
    _finite(s)
    cfg = json.loads((out / "adapter_config.json").read_text())
    assert cfg["peft_type"] == "PREFIX_TUNING" and cfg["prefix_projection"] is (method == "ptuning")


def test_pretrain_packs_plain_text(tiny_base_lm_dir, tmp_path, make_cfg):
    out = tmp_path / "cpt"
    s = run_stage(make_cfg("pretrain", tiny_base_lm_dir, "corpus.txt", out, data={"max_length": 16, "val_fraction": 0.2},
                           peft={"method": "full"}))
    _finite(s)


def test_resume_and_early_stopping(tiny_lm_dir, tmp_path, make_cfg):
    out = tmp_path / "resume"
    first = make_cfg("sft", tiny_lm_dir, "sft.jsonl", out, train={"max_steps": 2, "save_steps": 2, "eval_steps": 2})
    run_stage(first)
    assert (out / "checkpoint-2").is_dir()
    again = make_cfg("sft", tiny_lm_dir, "sft.jsonl", out, train={"max_steps": 4, "save_steps": 2, "eval_steps": 2,
                                                                  "resume": True})
    assert run_stage(again)["steps"] == 4
    # a learning rate that cannot improve the validation loss: patience 1 stops after 2 evaluations
    stop = make_cfg("sft", tiny_lm_dir, "sft.jsonl", tmp_path / "es", train={
        "max_steps": 20, "eval_steps": 1, "save_steps": 1, "early_stopping_patience": 1, "learning_rate": 1e-12})
    assert run_stage(stop)["steps"] < 20
