"""Preference data for the reward model, DPO and KTO: load, split, convert to TRL's shapes."""

from __future__ import annotations

from typing import Any

from kefu.train.config import RunConfig
from kefu.train.data import Preference, load_mixture, normalize_preferences, split_records


def load_pairs(cfg: RunConfig) -> tuple[list[Preference], list[Preference]]:
    d, seed = cfg.data, cfg.train.seed
    pairs = load_mixture(d.train, normalize_preferences, seed=seed, size=d.size)
    if d.eval:
        return pairs, load_mixture(d.eval, normalize_preferences, seed=seed)
    return split_records(pairs, d.val_fraction, seed=seed)


def pairs_dataset(pairs: list[Preference]) -> Any:
    from datasets import Dataset

    return Dataset.from_list([p.to_trl() for p in pairs]) if pairs else None


def unpaired_dataset(pairs: list[Preference]) -> Any:
    """KTO's unpaired shape: each pair gives a desirable and an undesirable completion."""
    from datasets import Dataset

    rows = []
    for p in pairs:
        rows.append({"prompt": p.prompt, "completion": [{"role": "assistant", "content": p.chosen}], "label": True})
        rows.append({"prompt": p.prompt, "completion": [{"role": "assistant", "content": p.rejected}], "label": False})
    return Dataset.from_list(rows) if rows else None
