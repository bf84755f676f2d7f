"""Readers for evaluation data files. Every bad line is rejected with ``file:line`` and the
reason (a :class:`kefu.errors.DataError`); nothing is skipped silently.

============================  =====================================================================
kind                          formats
============================  =====================================================================
intent examples               CSV with a header holding ``text`` and ``category`` (or ``label``)
                              — BANKING77's layout; JSONL ``{"text", "label"}``; or an HWU64-style
                              folder with ``seq.in`` (one utterance a line) and ``label``
SQuAD                         SQuAD 1.1/2.0 JSON (``data[].paragraphs[].qas[]``)
preference pairs              JSONL or ``.jsonl.gz``: ``{"chosen", "rejected"}`` (+ ``"prompt"``)
retrieval queries / docs      JSONL ``{"query", "relevant": [ids]}`` and ``{"id", "text"}``
knowledge-base questions      JSONL ``{"question", "answers": [gold facts], "lang"?, "id"?}``;
                              ``"answers": []`` = the knowledge base cannot answer it
============================  =====================================================================

Example::

    texts, labels = read_intents("banking77/test.csv")
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kefu.errors import DataError
from kefu.evaluate.metrics.text import match_tokens
from kefu.train.data.formats import split_hh

_HINT = "fix or delete that line and run again"


def _bad(path: Path | str, line: int | None, why: str) -> DataError:
    where = f"{path}:{line}" if line is not None else str(path)
    return DataError(f"{where}: {why}", hint=_HINT)


def _open_text(path: Path) -> Any:
    if not path.exists():
        raise DataError(f"{path}: no such file", hint="check the --data / --train path")
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8", newline="")


def read_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)``; blank lines are allowed, anything else must be a JSON object."""
    path = Path(path)
    with _open_text(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise _bad(path, n, f"not valid JSON ({e.msg} at column {e.colno})") from None
            if not isinstance(obj, dict):
                raise _bad(path, n, f"expected a JSON object, got {type(obj).__name__}")
            yield n, obj


def _need_str(path: Path, n: int, obj: dict[str, Any], key: str) -> str:
    v = obj.get(key)
    if not isinstance(v, str) or not v.strip():
        raise _bad(path, n, f"field {key!r} is missing or not a non-empty string")
    return v


def read_intents(path: str | Path) -> tuple[list[str], list[str]]:
    """Utterances and their intent labels from a CSV, a JSONL file or an HWU64-style folder."""
    path = Path(path)
    if path.is_dir():
        return _read_seq_folder(path)
    if path.suffix in (".jsonl", ".json") or path.name.endswith(".jsonl.gz"):
        texts, labels = [], []
        for n, obj in read_jsonl(path):
            texts.append(_need_str(path, n, obj, "text"))
            labels.append(_need_str(path, n, obj, "label" if "label" in obj else "category"))
        return _nonempty(path, texts, labels)
    with _open_text(path) as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise _bad(path, None, "the file is empty")
        cols = [h.strip().lower() for h in header]
        lab = "category" if "category" in cols else "label"
        if "text" not in cols or lab not in cols:
            raise _bad(path, 1, f"header {header} needs a 'text' column and a 'category' (or 'label') column")
        ti, li = cols.index("text"), cols.index(lab)
        texts, labels = [], []
        for row in reader:
            n = reader.line_num
            if not row:
                continue
            if len(row) != len(cols):
                raise _bad(path, n, f"{len(row)} fields where the header has {len(cols)} (quote texts with commas)")
            if not row[ti].strip():
                raise _bad(path, n, "empty text")
            if not row[li].strip():
                raise _bad(path, n, "empty label")
            texts.append(row[ti])
            labels.append(row[li].strip())
    return _nonempty(path, texts, labels)


def _read_seq_folder(folder: Path) -> tuple[list[str], list[str]]:
    seq, lab = folder / "seq.in", folder / "label"
    for p in (seq, lab):
        if not p.is_file():
            raise DataError(f"{folder}: missing {p.name}", hint="an intent folder holds seq.in and label")
    texts = seq.read_text(encoding="utf-8").splitlines()
    labels = lab.read_text(encoding="utf-8").splitlines()
    if len(texts) != len(labels):
        raise DataError(f"{folder}: seq.in has {len(texts)} lines but label has {len(labels)}",
                        hint="the two files must be line-aligned")
    for i, (t, lb) in enumerate(zip(texts, labels, strict=True), 1):
        if not t.strip():
            raise _bad(seq, i, "empty utterance")
        if not lb.strip():
            raise _bad(lab, i, "empty label")
    return _nonempty(folder, texts, [lb.strip() for lb in labels])


def _nonempty(path: Path, texts: list[str], labels: list[str]) -> tuple[list[str], list[str]]:
    if not texts:
        raise _bad(path, None, "no examples found")
    return texts, labels


@dataclass(frozen=True)
class SquadItem:
    id: str
    question: str
    context: str
    answers: tuple[str, ...]  # empty = unanswerable

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def read_squad(path: str | Path) -> list[SquadItem]:
    """Questions from a SQuAD 1.1/2.0 file; errors name the JSON path (``data[0].paragraphs[3].qas[1]``)."""
    path = Path(path)
    with _open_text(path) as f:
        try:
            doc = json.load(f)
        except json.JSONDecodeError as e:
            raise _bad(path, e.lineno, f"not valid JSON ({e.msg})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise _bad(path, None, "expected a SQuAD object with a 'data' list")
    items: list[SquadItem] = []
    for i, art in enumerate(doc["data"]):
        for j, par in enumerate(art.get("paragraphs", []) if isinstance(art, dict) else []):
            where = f"data[{i}].paragraphs[{j}]"
            if not isinstance(par, dict) or not isinstance(par.get("context"), str):
                raise _bad(path, None, f"{where}: missing 'context'")
            for k, qa in enumerate(par.get("qas", [])):
                w = f"{where}.qas[{k}]"
                if not isinstance(qa, dict) or not isinstance(qa.get("question"), str):
                    raise _bad(path, None, f"{w}: missing 'question'")
                answers = qa.get("answers", [])
                if not isinstance(answers, list) or any(not isinstance(a, dict) or "text" not in a for a in answers):
                    raise _bad(path, None, f"{w}: 'answers' must be a list of {{'text': ...}}")
                if not answers and not qa.get("is_impossible", False):
                    raise _bad(path, None, f"{w}: no answers and not marked is_impossible")
                texts = tuple(dict.fromkeys(a["text"] for a in answers)) if not qa.get("is_impossible") else ()
                items.append(SquadItem(str(qa.get("id", w)), qa["question"], par["context"], texts))
    return _nonempty_list(path, items)


def _nonempty_list(path: Path, items: list[Any]) -> list[Any]:
    if not items:
        raise _bad(path, None, "no examples found")
    return items


@dataclass(frozen=True)
class PreferencePair:
    prompt: str
    chosen: str
    rejected: str
    history: tuple[tuple[str, str], ...] = ()  # (role, content) turns before the answer (hh-rlhf dialogues)


def read_preferences(path: str | Path) -> list[PreferencePair]:
    """Preference pairs from JSONL (optionally gzipped): ``chosen``/``rejected`` strings and an
    optional ``prompt``. hh-rlhf stores the whole dialogue in chosen/rejected with no prompt: such
    pairs are split into the shared turns (``history``) and the two final answers, as
    ``kefu train reward`` splits them, so a reward model is scored on the text it was trained on."""
    path = Path(path)
    pairs = []
    for n, obj in read_jsonl(path):
        prompt = obj.get("prompt", "")
        if not isinstance(prompt, str):
            raise _bad(path, n, "field 'prompt' must be a string")
        chosen, rejected = _need_str(path, n, obj, "chosen"), _need_str(path, n, obj, "rejected")
        split_c, split_r = (split_hh(chosen), split_hh(rejected)) if not prompt else (None, None)
        if split_c and split_r and split_c[0] == split_r[0]:  # hh-rlhf: the dialogue becomes chat turns
            history = tuple((m["role"], m["content"]) for m in split_c[0])
            pairs.append(PreferencePair("", split_c[1], split_r[1], history))
        else:
            pairs.append(PreferencePair(prompt, chosen, rejected))
    return _nonempty_list(path, pairs)


def read_retrieval_queries(path: str | Path) -> list[tuple[str, set[str]]]:
    """``(query, relevant ids)`` from JSONL ``{"query": str, "relevant": [id, ...]}``."""
    path = Path(path)
    out = []
    for n, obj in read_jsonl(path):
        q = _need_str(path, n, obj, "query")
        rel = obj.get("relevant")
        if isinstance(rel, str):
            rel = [rel]
        if not isinstance(rel, list) or not rel or not all(isinstance(r, (str, int)) for r in rel):
            raise _bad(path, n, "field 'relevant' must be a non-empty list of document ids")
        out.append((q, {str(r) for r in rel}))
    return _nonempty_list(path, out)


def read_documents(path: str | Path) -> list[tuple[str, str]]:
    """``(id, text)`` from JSONL ``{"id", "text"}``; ids must be unique."""
    path = Path(path)
    out, seen = [], set()
    for n, obj in read_jsonl(path):
        if not isinstance(obj.get("id"), (str, int)):
            raise _bad(path, n, "field 'id' is missing")
        did = str(obj["id"])
        if did in seen:
            raise _bad(path, n, f"duplicate id {did!r}")
        seen.add(did)
        out.append((did, _need_str(path, n, obj, "text")))
    return _nonempty_list(path, out)


@dataclass(frozen=True)
class KBQuestion:
    id: str
    question: str
    answers: tuple[str, ...]  # acceptable gold facts; empty = the knowledge base cannot answer it
    lang: str | None = None  # "zh" | "en"; None = detected from the question

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def read_kb_questions(path: str | Path) -> list[KBQuestion]:
    """Questions for :mod:`kefu.evaluate.kb_answer` from JSONL, one a line::

        {"question": "How long is the warranty?", "answers": ["1 year", "one year"], "lang": "en"}
        {"question": "你们卖汽车吗？", "answers": []}

    ``answers`` is required (a typo such as ``"answer"`` must not turn a question into an
    unanswerable one); each gold answer is a short fact that a right reply contains, and must
    hold a letter or digit. ``id`` defaults to ``line N`` and must be unique.
    """
    path = Path(path)
    out: list[KBQuestion] = []
    seen: set[str] = set()
    for n, obj in read_jsonl(path):
        q = _need_str(path, n, obj, "question")
        golds = obj.get("answers")
        if not isinstance(golds, list) or not all(isinstance(g, str) for g in golds):
            raise _bad(path, n, "field 'answers' is missing or not a list of strings "
                                "(the gold facts; [] when the knowledge base cannot answer the question)")
        for g in golds:
            if not match_tokens(g):
                raise _bad(path, n, f"gold answer {g!r} has no letters or digits to look for")
        lang = obj.get("lang")
        if lang is not None and lang not in ("zh", "en"):
            raise _bad(path, n, f"field 'lang' must be \"zh\" or \"en\", not {lang!r}")
        raw_id = obj.get("id", f"line {n}")
        if not isinstance(raw_id, (str, int)):
            raise _bad(path, n, "field 'id' must be a string or a number")
        qid = str(raw_id)
        if qid in seen:
            raise _bad(path, n, f"duplicate id {qid!r}")
        seen.add(qid)
        out.append(KBQuestion(qid, q, tuple(dict.fromkeys(g.strip() for g in golds)), lang))
    return _nonempty_list(path, out)
