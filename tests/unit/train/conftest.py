"""Helpers for the training tests: fixture paths and tiny run configs (2-4 steps, max_length 64)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "train"


def tiny_cfg(stage: str, model: Path, files: str | list[str], out: Path, **sections: Any) -> Any:
    from kefu.train.config import load_run_config

    files = [files] if isinstance(files, str) else files
    tree: dict[str, Any] = {
        "stage": stage, "model": {"path": str(model)},
        "data": {"train": [{"path": str(FIX / f)} for f in files], "val_fraction": 0.25, "max_length": 64},
        "train": {"output_dir": str(out), "max_steps": 3, "batch_size": 4, "logging_steps": 1,
                  "learning_rate": 1e-2, "report_to": ["none"]},
        "peft": {"method": "lora", "r": 4, "alpha": 8},
    }
    for k, v in sections.items():
        tree.setdefault(k, {}).update(v)
    return load_run_config(tree)


@pytest.fixture
def fix() -> Path:
    return FIX


@pytest.fixture
def make_cfg():
    """``make_cfg(stage, model_dir, data_file(s), out_dir, **sections)`` -> a tiny RunConfig."""
    return tiny_cfg
