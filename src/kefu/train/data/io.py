"""Read .json / .jsonl (optionally .gz) / .csv / .txt training files, keeping where each record came from.

Every record carries ``where`` ("faq.jsonl line 7", "data.json record 3") so that a
converter can say exactly which record is wrong. Example::

    >>> recs = read_records("sft.jsonl")      # doctest: +SKIP
    >>> recs[0].where, recs[0].data
    ('sft.jsonl line 1', {'messages': [...]})
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kefu.errors import DataError


@dataclass(frozen=True)
class Record:
    data: dict[str, Any]
    where: str  # "file line N" / "file record N": used in every error message


def read_records(path: str | Path) -> list[Record]:
    """Records of a .jsonl (one object a line), .json (a list of objects), .csv (header row) or
    .txt file (one record ``{"text": whole file}``; paragraphs are not split: the pre-training
    chunker does that). Raises :class:`DataError` naming the file and line."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"training data file {p} not found", hint="check the path in the config's data section")
    if p.suffix == ".gz":  # e.g. hh-rlhf's test.jsonl.gz
        import gzip

        text = gzip.decompress(p.read_bytes()).decode("utf-8-sig")
        suffix = Path(p.stem).suffix.lower()
    else:
        text = p.read_text(encoding="utf-8-sig")
        suffix = p.suffix.lower()
    if suffix == ".jsonl":
        out = []
        for i, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise DataError(f"{p.name} line {i}: not valid JSON ({e.msg} at column {e.colno})",
                                hint="each line of a .jsonl file must be one JSON object") from None
            if not isinstance(obj, dict):
                raise DataError(f"{p.name} line {i}: expected a JSON object, got {type(obj).__name__}")
            out.append(Record(obj, f"{p.name} line {i}"))
        return out
    if suffix == ".json":
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            raise DataError(f"{p.name} line {e.lineno}: not valid JSON ({e.msg})") from None
        if isinstance(obj, dict):  # {"data": [...]} or a single record
            obj = obj.get("data", [obj])
        if not isinstance(obj, list):
            raise DataError(f"{p.name}: expected a list of objects", hint="or use .jsonl, one object a line")
        out = []
        for i, item in enumerate(obj, 1):
            if not isinstance(item, dict):
                raise DataError(f"{p.name} record {i}: expected a JSON object, got {type(item).__name__}")
            out.append(Record(item, f"{p.name} record {i}"))
        return out
    if suffix == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
        return [Record(dict(r), f"{p.name} line {i}") for i, r in enumerate(rows, 2)]
    if suffix in (".txt", ".md"):
        return [Record({"text": text}, p.name)]
    raise DataError(f"{p}: unsupported file type {suffix!r}", hint="use .jsonl, .json, .csv or .txt")
