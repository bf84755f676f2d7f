import json
from pathlib import Path

import pytest

from kefu.errors import DataError
from kefu.train.data import (
    DatasetSpec,
    Record,
    load_mixture,
    normalize_conversation,
    normalize_preferences,
    read_records,
    split_records,
)

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "train"


def conv(path):
    return [normalize_conversation(r) for r in read_records(FIX / path)]


def test_messages_alpaca_sharegpt_all_become_openai_messages():
    m = conv("sft.jsonl")
    assert m[0][0]["role"] == "system" and m[0][-1] == {"role": "assistant",
                                                          "content": "You can return items within 30 days."}
    a = conv("alpaca.json")
    assert a[0] == [{"role": "user", "content": "What is the return window?"},
                    {"role": "assistant", "content": "You can return items within 30 days."}]
    # history and input: [[q, a]] turns come first, input is appended to the instruction
    assert a[-1] == [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
                     {"role": "user", "content": "Summarise\nOrder 7 shipped."},
                     {"role": "assistant", "content": "Shipped."}]
    s = conv("sharegpt.jsonl")
    assert [t["role"] for t in s[0]] == ["user", "assistant"]


def test_errors_name_file_line_and_problem():
    with pytest.raises(DataError, match=r"bad.jsonl line 3: not valid JSON"):
        read_records(FIX / "bad.jsonl")
    lines = (FIX / "bad.jsonl").read_text().splitlines()[:2]
    rec = Record(json.loads(lines[1]), "bad.jsonl line 2")
    with pytest.raises(DataError, match=r"bad.jsonl line 2: the conversation has no assistant turn"):
        normalize_conversation(rec)
    with pytest.raises(DataError, match=r"x.json record 4: messages\[0\] has unknown role 'robot'"):
        normalize_conversation(Record({"messages": [{"role": "robot", "content": "x"}]}, "x.json record 4"))
    with pytest.raises(DataError, match="field 'output' must be a string"):
        normalize_conversation(Record({"instruction": "q", "output": 3}, "a.json record 1"))


def test_preferences_pairs_ranked_sharegpt_dpo_and_hh():
    p = [x for r in read_records(FIX / "prefs.jsonl") for x in normalize_preferences(r)]
    assert len(p) == 8 and p[0].prompt == [{"role": "user", "content": "What is the return window?"}]
    ranked = [x for r in read_records(FIX / "ranked.jsonl") for x in normalize_preferences(r)]
    assert len(ranked) == 3 * 3  # K=3 answers -> 3 pairs each, best-first order kept
    assert ranked[0].chosen.startswith("You can") and ranked[0].rejected.startswith("Maybe")
    assert ranked[2].rejected == "I don't know."
    sg = [x for r in read_records(FIX / "dpo_sharegpt.json") for x in normalize_preferences(r)]
    assert sg[0].chosen == "You can return items within 30 days." and sg[0].to_trl()["chosen"][0]["role"] == "assistant"
    hh = normalize_preferences(Record({"chosen": "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: refund?\n\nAssistant: yes",
                                       "rejected": "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: refund?\n\nAssistant: no"},
                                      "hh.jsonl line 1"))
    assert hh[0].prompt[-1] == {"role": "user", "content": "refund?"} and (hh[0].chosen, hh[0].rejected) == ("yes", "no")
    with pytest.raises(DataError, match="needs both 'chosen' and 'rejected'"):
        normalize_preferences(Record({"prompt": "q", "chosen": "a"}, "p.jsonl line 1"))


def test_split_is_seeded_and_disjoint():
    items = list(range(20))
    tr, va = split_records(items, 0.25, seed=3)
    assert len(va) == 5 and sorted(tr + va) == items
    assert split_records(items, 0.25, seed=3) == (tr, va)
    assert split_records(items, 0.25, seed=4) != (tr, va)


def test_mixture_respects_ratios():
    specs = [DatasetSpec(path=str(FIX / "sft.jsonl"), ratio=0.75), DatasetSpec(path=str(FIX / "sharegpt.jsonl"), ratio=0.25)]
    mixed = load_mixture(specs, lambda r: [(r.where.split()[0], normalize_conversation(r))], seed=0, size=12)
    names = [n for n, _ in mixed]
    assert names.count("sft.jsonl") == 9 and names.count("sharegpt.jsonl") == 3
    # default size: as large as possible without repeating the smaller set (3 records / 0.25 = 12)
    assert len(load_mixture(specs, lambda r: [r], seed=0)) == 12
