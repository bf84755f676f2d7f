"""Presets parse; overrides work; bad configs are named; the CLI runs a stage end to end."""

import json

import pytest
import yaml
from typer.testing import CliRunner

from kefu.errors import ConfigError
from kefu.train.config import PRESETS, load_run_config, parse_override


def test_every_preset_parses():
    yamls = sorted(PRESETS.glob("*.yaml"))
    assert len(yamls) >= 10
    for p in yamls:
        cfg = load_run_config(p)
        assert cfg.stage in p.stem or cfg.stage in ("sft", "pretrain")
    for p in PRESETS.glob("accelerate/*.yaml"):
        assert yaml.safe_load(p.read_text())["distributed_type"] in ("DEEPSPEED", "MULTI_GPU")
    for p in PRESETS.glob("deepspeed/*.json"):
        assert json.loads(p.read_text())["zero_optimization"]["stage"] in (2, 3)
    from accelerate.utils import DeepSpeedPlugin  # noqa: F401  (accelerate reads these configs)


def test_overrides_and_errors():
    cfg = load_run_config("sft-lora", ["train.learning_rate=1e-4", "peft.target_modules=[q_proj,v_proj]",
                                       "train.resume=true"])
    assert cfg.train.learning_rate == 1e-4 and cfg.peft.target_modules == ["q_proj", "v_proj"] and cfg.train.resume
    assert parse_override("data.max_length=64") == ("data.max_length", 64)
    with pytest.raises(ConfigError, match=r"peft.r: Input should be greater than 0"):
        load_run_config("sft-lora", ["peft.r=0"])
    with pytest.raises(ConfigError, match=r"train.epoch: Extra inputs are not permitted"):
        load_run_config("sft-lora", ["train.epoch=1"])
    with pytest.raises(ConfigError, match="not found"):
        load_run_config("no-such-preset")


def test_cli_sft_then_merge_then_presets(tiny_lm_dir, tmp_path, fix):
    from kefu.cli.main import app

    out = tmp_path / "cli-sft"
    runner = CliRunner()
    r = runner.invoke(app, ["train", "sft", "sft-lora", "--model", str(tiny_lm_dir), "--data", f"{fix / 'sft.jsonl'}:1",
                            "-o", str(out), "--max-steps", "2", "--set", "train.report_to=[none]",
                            "--set", "data.max_length=64", "--set", "train.early_stopping_patience=null",
                            "--set", "train.save_merged=false"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout[r.stdout.rfind("{\n"):])["train_loss"] > 0
    r = runner.invoke(app, ["train", "merge", str(out), "-o", str(tmp_path / "merged")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "merged" / "config.json").is_file()
    r = runner.invoke(app, ["train", "sft", "--model", str(tiny_lm_dir), "--data", str(fix / "bad.jsonl")])
    assert r.exit_code == 2 and "bad.jsonl line 3" in r.output
    assert "sft-lora.yaml" in runner.invoke(app, ["train", "presets"]).output


def test_cli_export_and_data_ratios(tmp_path):
    from kefu.cli.main import app
    from kefu.cli.train import _data

    assert _data(["faq.jsonl:0.8", "alpaca.json"]) == [{"path": "faq.jsonl", "ratio": 0.8}, {"path": "alpaca.json"}]
    dump = tmp_path / "messages.jsonl"
    dump.write_text("\n".join(json.dumps(r) for r in [
        {"id": 1, "conversation_id": "c", "role": "user", "text": "Refund?"},
        {"id": 2, "conversation_id": "c", "role": "assistant", "text": "No.", "corrections": ["Yes, within 7 days."]},
    ]))
    r = CliRunner().invoke(app, ["train", "export", "--records", str(dump), "-o", str(tmp_path / "ds")])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["preferences"] == 1
    row = json.loads((tmp_path / "ds" / "preferences.jsonl").read_text())
    assert row == {"prompt": [{"role": "user", "content": "Refund?"}], "chosen": "Yes, within 7 days.", "rejected": "No."}
