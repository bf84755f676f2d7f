"""Classic fine-tuning of a small encoder: intent/sentiment classification and NER (slots).

Classifier data: CSV or JSONL rows with ``text`` and ``label`` (names set by ``head.text_field`` /
``head.label_field``). NER data: JSONL ``{"tokens": ["Order", "12345", ...], "tags": ["O",
"B-ORDER", ...]}`` (BIO tags, one per word). Sub-word alignment: the tag goes on each word's
first sub-token; the other sub-tokens and special tokens get -100 (see :func:`align_labels`).
Reported: accuracy + macro-F1 (classifier), entity-level F1 with seqeval (NER), on the
validation split. The output directory loads with :mod:`kefu.train.heads`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from kefu.errors import DataError
from kefu.train.common import (
    callbacks,
    finish,
    last_eval,
    load_tokenizer,
    prepare,
    resume_arg,
    training_kwargs,
)
from kefu.train.config import RunConfig
from kefu.train.data import load_mixture, split_records
from kefu.train.data.io import Record

IGNORE = -100


def _load(cfg: RunConfig, convert: Any) -> tuple[list[Any], list[Any]]:
    items = load_mixture(cfg.data.train, convert, seed=cfg.train.seed, size=cfg.data.size)
    if cfg.data.eval:
        return items, load_mixture(cfg.data.eval, convert, seed=cfg.train.seed)
    return split_records(items, cfg.data.val_fraction, seed=cfg.train.seed)


def _field(rec: Record, name: str) -> Any:
    if name not in rec.data or rec.data[name] in (None, ""):
        raise DataError(f"{rec.where}: missing field {name!r} (keys present: {', '.join(rec.data)})",
                        hint="set head.text_field / head.label_field to your column names")
    return rec.data[name]


def align_labels(word_ids: list[int | None], word_tags: list[int]) -> list[int]:
    """Token labels from word labels: the first sub-token of each word carries its tag.

    >>> align_labels([None, 0, 0, 1, None], [3, 5])
    [-100, 3, -100, 5, -100]
    """
    out, prev = [], None
    for w in word_ids:
        out.append(IGNORE if w is None or w == prev else word_tags[w])
        prev = w
    return out


def _trainer(cfg: RunConfig, model: Any, tokenizer: Any, train: Any, val: Any, metrics_fn: Any, collator: Any) -> Any:
    from transformers import Trainer, TrainingArguments

    args = TrainingArguments(**training_kwargs(cfg, has_eval=val is not None))
    return prepare(Trainer(model=model, args=args, train_dataset=train, eval_dataset=val, processing_class=tokenizer,
                           data_collator=collator, compute_metrics=metrics_fn, callbacks=callbacks(cfg)), cfg)


def _run(cfg: RunConfig, trainer: Any, tokenizer: Any, extra: dict[str, Any], started: float, kind: str) -> dict[str, Any]:
    result = trainer.train(resume_from_checkpoint=resume_arg(cfg))
    metrics = {"train_loss": result.training_loss, **last_eval(trainer), **extra}
    if trainer.eval_dataset is not None:
        metrics.update({k: v for k, v in trainer.evaluate().items() if k in ("eval_accuracy", "eval_macro_f1", "eval_f1")})
    summary = finish(trainer, cfg, tokenizer, metrics, started)
    (Path(cfg.train.output_dir) / "kefu_head.json").write_text(json.dumps({"kind": kind}), encoding="utf-8")
    return summary


def run_classifier(cfg: RunConfig) -> dict[str, Any]:
    import numpy as np
    from datasets import Dataset
    from sklearn.metrics import accuracy_score, f1_score
    from transformers import AutoModelForSequenceClassification, DataCollatorWithPadding

    started = time.time()
    h = cfg.head
    train, val = _load(cfg, lambda r: [(str(_field(r, h.text_field)), str(_field(r, h.label_field)))])
    labels = sorted({y for _, y in train + val})
    if len(labels) < 2:
        raise DataError(f"the classifier needs at least two labels, found {labels}")
    lid = {y: i for i, y in enumerate(labels)}
    tokenizer = load_tokenizer(cfg)

    def ds(rows: list[tuple[str, str]]) -> Any:
        enc = tokenizer([t for t, _ in rows], truncation=True, max_length=cfg.data.max_length)
        return Dataset.from_dict({**enc, "labels": [lid[y] for _, y in rows]}) if rows else None

    def metrics_fn(p: Any) -> dict[str, float]:
        pred = np.argmax(p.predictions, -1)
        return {"accuracy": accuracy_score(p.label_ids, pred),
                "macro_f1": f1_score(p.label_ids, pred, average="macro")}

    model = AutoModelForSequenceClassification.from_pretrained(
        cfg.model.path, num_labels=len(labels), id2label=dict(enumerate(labels)), label2id=lid)
    trainer = _trainer(cfg, model, tokenizer, ds(train), ds(val), metrics_fn, DataCollatorWithPadding(tokenizer))
    return _run(cfg, trainer, tokenizer, {"labels": labels, "train_examples": len(train)}, started, "classifier")


def run_ner(cfg: RunConfig) -> dict[str, Any]:
    import numpy as np
    from datasets import Dataset
    from seqeval.metrics import f1_score
    from transformers import AutoModelForTokenClassification, DataCollatorForTokenClassification

    started = time.time()
    tf, lf = cfg.head.text_field if cfg.head.text_field != "text" else "tokens", cfg.head.label_field
    lf = lf if lf != "label" else "tags"

    def convert(r: Record) -> list[tuple[list[str], list[str]]]:
        toks, tags = _field(r, tf), _field(r, lf)
        if not isinstance(toks, list) or not isinstance(tags, list) or len(toks) != len(tags):
            raise DataError(f"{r.where}: {tf!r} and {lf!r} must be lists of the same length")
        return [([str(t) for t in toks], [str(t) for t in tags])]

    train, val = _load(cfg, convert)
    labels = sorted({t for _, tags in train + val for t in tags})
    lid = {y: i for i, y in enumerate(labels)}
    tokenizer = load_tokenizer(cfg)

    def ds(rows: list[tuple[list[str], list[str]]]) -> Any:
        if not rows:
            return None
        enc = tokenizer([w for w, _ in rows], is_split_into_words=True, truncation=True, max_length=cfg.data.max_length)
        enc["labels"] = [align_labels(enc.word_ids(i), [lid[t] for t in tags]) for i, (_, tags) in enumerate(rows)]
        return Dataset.from_dict(dict(enc))

    def metrics_fn(p: Any) -> dict[str, float]:
        pred = np.argmax(p.predictions, -1)
        gold_seqs, pred_seqs = [], []
        for g, q in zip(p.label_ids, pred, strict=True):
            keep = g != IGNORE
            gold_seqs.append([labels[i] for i in g[keep]])
            pred_seqs.append([labels[i] for i in q[keep]])
        acc = float(np.mean([a == b for gs, ps in zip(gold_seqs, pred_seqs, strict=True) for a, b in zip(gs, ps, strict=True)]))
        return {"f1": f1_score(gold_seqs, pred_seqs), "accuracy": acc}

    model = AutoModelForTokenClassification.from_pretrained(
        cfg.model.path, num_labels=len(labels), id2label=dict(enumerate(labels)), label2id=lid)
    trainer = _trainer(cfg, model, tokenizer, ds(train), ds(val), metrics_fn, DataCollatorForTokenClassification(tokenizer))
    return _run(cfg, trainer, tokenizer, {"labels": labels, "train_examples": len(train)}, started, "ner")
