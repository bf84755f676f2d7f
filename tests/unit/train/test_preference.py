"""Reward model, DPO, KTO and RL (GRPO/RLOO) for a few steps on the tiny Llama."""

import math

from kefu.train.runner import run_stage
from kefu.train.scoring import RewardModelScorer, load_reward


def short_answers(prompts, completions, **_):
    """A Python reward for the RL test: shorter is better (module:function reference target)."""
    return [-float(len(c[0]["content"] if isinstance(c, list) else c)) for c in completions]


def test_reward_model_reports_heldout_pairwise_accuracy(tiny_lm_dir, tmp_path, make_cfg):
    out = tmp_path / "rm"
    s = run_stage(make_cfg("reward", tiny_lm_dir, ["prefs.jsonl", "ranked.jsonl"], out))
    m = s["metrics"]
    assert m["heldout_pairs"] >= 1 and math.isfinite(m["train_loss"])
    for k in ("pairwise_accuracy_before", "pairwise_accuracy"):
        assert 0.0 <= m[k] <= 1.0
    assert (out / "config.json").is_file() and not (out / "adapter_config.json").exists()  # merged on save
    score = load_reward(model_dir=str(out))
    assert isinstance(score, RewardModelScorer)
    r = score(["Where is my order?"], [[{"role": "assistant", "content": "It has shipped."}]])
    assert len(r) == 1 and math.isfinite(r[0])


def test_dpo_reports_preference_accuracy_and_margins(tiny_lm_dir, tmp_path, make_cfg):
    s = run_stage(make_cfg("dpo", tiny_lm_dir, ["prefs.jsonl", "dpo_sharegpt.json"], tmp_path / "dpo"))
    m = s["metrics"]
    assert 0.0 <= m["accuracies"] <= 1.0 and math.isfinite(m["margins"]) and math.isfinite(m["train_loss"])
    assert m["margins_before"] == 0.0  # policy == reference before training
    assert m["margins"] != 0.0


def test_kto_runs(tiny_lm_dir, tmp_path, make_cfg):
    s = run_stage(make_cfg("kto", tiny_lm_dir, "prefs.jsonl", tmp_path / "kto"))
    assert math.isfinite(s["metrics"]["train_loss"]) and s["steps"] == 3


def test_grpo_with_python_reward_reports_reward_and_kl(tiny_lm_dir, tmp_path, make_cfg):
    rl = {"reward_function": "test_preference:short_answers", "num_generations": 2, "max_completion_length": 8,
          "eval_prompts": 4, "beta": 0.1}
    s = run_stage(make_cfg("rl", tiny_lm_dir, "sft.jsonl", tmp_path / "rl", rl=rl, train={"learning_rate": 5e-2}))
    m = s["metrics"]
    assert abs(m["kl_before"]) < 1e-3  # policy == reference before training
    assert m["kl_after"] != m["kl_before"] and math.isfinite(m["kl_after"])
    assert math.isfinite(m["reward_before"]) and math.isfinite(m["reward_after"])
    assert m["train_reward_first"] is not None


def test_rloo_against_a_trained_reward_model(tiny_lm_dir, tmp_path, make_cfg):
    rm = tmp_path / "rm"
    run_stage(make_cfg("reward", tiny_lm_dir, "prefs.jsonl", rm, train={"max_steps": 1}))
    rl = {"algorithm": "rloo", "reward_model": str(rm), "num_generations": 2, "max_completion_length": 6,
          "eval_prompts": 2}
    s = run_stage(make_cfg("rl", tiny_lm_dir, "prefs.jsonl", tmp_path / "rloo", rl=rl, train={"max_steps": 2}))
    assert s["steps"] == 2 and math.isfinite(s["metrics"]["reward_after"])
