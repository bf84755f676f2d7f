"""Load several datasets, mix them with ratios, and split train/validation (seeded).

Mixing limits catastrophic forgetting: e.g. 80 % company FAQ + 20 % general instructions::

    specs = [DatasetSpec(path="faq.jsonl", ratio=0.8), DatasetSpec(path="alpaca.json", ratio=0.2)]
    items = load_mixture(specs, lambda r: [normalize_conversation(r)], seed=0)

``ratio`` is each dataset's share of the mixture. The mixture is as large as possible without
repeating a record (size = min_i len_i / ratio_i), unless ``size`` says otherwise, in which case
records of a too-small dataset are repeated. Without ratios, datasets are concatenated.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from kefu.errors import ConfigError, DataError
from kefu.train.data.io import Record, read_records

T = TypeVar("T")


class DatasetSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(description="A .jsonl/.json/.csv/.txt file (formats: docs/training.md#data-formats).")
    ratio: float | None = Field(None, gt=0, le=1, description="Share of the mixture (all or none of the datasets).")
    max_records: int | None = Field(None, gt=0, description="Use at most this many records (after shuffling).")


def _items(spec: DatasetSpec, convert: Callable[[Record], Any], rng: random.Random) -> list[Any]:
    records = read_records(spec.path)
    rng.shuffle(records)
    if spec.max_records:
        records = records[: spec.max_records]
    out: list[Any] = [x for r in records for x in convert(r)]
    if not out:
        raise DataError(f"{Path(spec.path).name}: no usable records", hint="the file is empty or all records were skipped")
    return out


def load_mixture(specs: list[DatasetSpec], convert: Callable[[Record], Any], *, seed: int = 0,
                 size: int | None = None) -> list[Any]:
    """``convert(record) -> list of items`` over every dataset, mixed by ratio and shuffled (same seed, same list)."""
    if not specs:
        raise ConfigError("no training data given", hint="set data.train: [{path: FILE}] or pass --data FILE")
    rng = random.Random(seed)
    parts = [_items(s, convert, rng) for s in specs]
    ratios = [s.ratio for s in specs]
    if all(r is None for r in ratios):
        mixed = [x for p in parts for x in p]
    elif any(r is None for r in ratios):
        raise ConfigError("give a ratio for every dataset or for none", param="data.train")
    else:
        total = sum(ratios)  # type: ignore[arg-type]
        shares = [r / total for r in ratios]  # type: ignore[operator]
        n = size or int(min(len(p) / s for p, s in zip(parts, shares, strict=True)))
        mixed = []
        for p, s in zip(parts, shares, strict=True):
            k = max(1, round(n * s))
            mixed.extend((p * (k // len(p) + 1))[:k])
    rng.shuffle(mixed)
    return mixed


def split_records(items: list[T], val_fraction: float, *, seed: int = 0) -> tuple[list[T], list[T]]:
    """Seeded split; the validation part gets at least one item when val_fraction > 0 and there
    are two or more items."""
    if not 0 <= val_fraction < 1:
        raise ConfigError(f"validation fraction {val_fraction} must be in [0, 1)", param="data.val_fraction")
    order = list(range(len(items)))
    random.Random(seed + 1).shuffle(order)
    k = int(round(len(items) * val_fraction))
    if val_fraction > 0 and len(items) >= 2:
        k = max(1, min(k, len(items) - 1))
    val = [items[i] for i in order[:k]]
    train = [items[i] for i in order[k:]]
    return train, val
