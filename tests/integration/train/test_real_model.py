"""The real bundled SmolLM2-135M-Instruct: GGUF -> HF dir, 2 LoRA SFT steps, merge, serve."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kefu.llm.base import GenerationRequest, Message, SamplingParams
from kefu.llm.factory import bundled_gguf, load_llm
from kefu.train.base_model import convert_gguf
from kefu.train.config import load_run_config
from kefu.train.runner import run_stage
from kefu.train.tokenize import IGNORE, sft_features

pytestmark = pytest.mark.integration
FIX = Path(__file__).resolve().parents[2] / "fixtures" / "train"


@pytest.fixture(scope="module")
def smollm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return convert_gguf(bundled_gguf(), tmp_path_factory.mktemp("smollm2"))


def test_smollm_template_masks_its_default_system_prompt(smollm_dir):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(smollm_dir)
    f = sft_features(tok, [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}])
    assert "SmolLM" in tok.decode(f["input_ids"])  # the template inserts its own system prompt ...
    assert tok.decode([t for t in f["labels"] if t != IGNORE]) == "Hello!<|im_end|>\n"  # ... which is not learned


def test_sft_lora_on_real_model_then_merge_and_serve(smollm_dir, tmp_path):
    out = tmp_path / "sft"
    cfg = load_run_config("sft-lora", ["train.early_stopping_patience=null"], **{
        "model.path": str(smollm_dir), "data.train": [{"path": str(FIX / "sft.jsonl")}], "data.max_length": 96,
        "data.val_fraction": 0.2, "train.output_dir": str(out), "train.max_steps": 2, "train.batch_size": 4,
        "train.report_to": ["none"], "train.save_merged": True})
    s = run_stage(cfg)
    assert s["steps"] == 2 and s["metrics"]["train_loss"] > 0
    assert json.loads((out / "adapter_config.json").read_text())["peft_type"] == "LORA"
    for ref in (out, out / "merged"):
        llm = load_llm(str(ref))
        text = "".join(c.text for c in llm.stream(GenerationRequest(
            messages=[Message("user", "How long is the warranty?")],
            params=SamplingParams(max_tokens=12, temperature=0))))
        assert text.strip()
