from pathlib import Path

import pytest

FIX = Path(__file__).parents[2] / "fixtures" / "evaluate"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIX


@pytest.fixture(scope="session")
def tiny_reward_dir(tiny_lm_dir, tmp_path_factory) -> Path:
    """The tiny random Llama with a fresh one-logit score head (an untrained reward model)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    out = tmp_path_factory.mktemp("tiny-reward")
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(str(tiny_lm_dir), num_labels=1)
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(str(tiny_lm_dir)).save_pretrained(out)
    return out
