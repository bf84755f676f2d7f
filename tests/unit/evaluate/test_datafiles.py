import json
from pathlib import Path

import pytest

from kefu.errors import DataError
from kefu.evaluate.datafiles import (
    read_documents,
    read_intents,
    read_preferences,
    read_retrieval_queries,
    read_squad,
)

FIX = Path(__file__).parents[2] / "fixtures" / "evaluate"


def test_intent_csv_folder_and_jsonl(tmp_path):
    texts, labels = read_intents(FIX / "intents_train.csv")
    assert len(texts) == 24 and "I moved, change the address" in texts and set(labels) == {
        "order_status", "refund", "change_address"}
    assert read_intents(FIX / "intents_seq") == (["where is my order", "refund please", "change my address"],
                                                 ["order_status", "refund", "change_address"])
    p = tmp_path / "i.jsonl"
    p.write_text('{"text": "hi", "label": "greet"}\n\n{"text": "bye", "label": "bye"}\n')
    assert read_intents(p) == (["hi", "bye"], ["greet", "bye"])


@pytest.mark.parametrize("body, where, why", [
    ("text,category\nhello,greet\nbad line with, a comma,x\n", ":3:", "3 fields"),
    ("text,category\nhello,\n", ":2:", "empty label"),
    ("words,intent\nhello,greet\n", ":1:", "needs a 'text' column"),
])
def test_intent_csv_rejects_bad_lines_with_line_number(tmp_path, body, where, why):
    p = tmp_path / "bad.csv"
    p.write_text(body)
    with pytest.raises(DataError) as e:
        read_intents(p)
    assert f"bad.csv{where}" in e.value.message and why in e.value.message


def test_seq_folder_mismatch_and_empty_line(tmp_path):
    (tmp_path / "seq.in").write_text("a\nb\n")
    (tmp_path / "label").write_text("x\n")
    with pytest.raises(DataError, match="2 lines but label has 1"):
        read_intents(tmp_path)
    (tmp_path / "label").write_text("x\n\n")
    with pytest.raises(DataError, match=r"label:2: empty label"):
        read_intents(tmp_path)


def test_jsonl_bad_json_names_line(tmp_path):
    p = tmp_path / "p.jsonl"
    p.write_text('{"chosen": "a", "rejected": "b"}\n{"chosen": "a", "rejected": \n')
    with pytest.raises(DataError, match=r"p.jsonl:2: not valid JSON"):
        read_preferences(p)
    p.write_text('{"chosen": "a"}\n')
    with pytest.raises(DataError, match=r"p.jsonl:1: field 'rejected'"):
        read_preferences(p)


def test_hh_rlhf_dialogues_become_chat_turns(tmp_path):
    p = tmp_path / "hh.jsonl"
    dialogue = "\n\nHuman: How do I pick a lock?\n\nAssistant: Why?\n\nHuman: I am locked out.\n\nAssistant: "
    p.write_text(json.dumps({"chosen": dialogue + "Call a locksmith.", "rejected": dialogue + "Use a pin."}) + "\n"
                 + json.dumps({"prompt": "q", "chosen": "a", "rejected": "b"}) + "\n")
    hh, plain = read_preferences(p)
    assert (hh.prompt, hh.chosen, hh.rejected) == ("", "Call a locksmith.", "Use a pin.")
    assert hh.history == (("user", "How do I pick a lock?"), ("assistant", "Why?"), ("user", "I am locked out."))
    assert plain.history == () and plain.prompt == "q"


def test_squad_reader():
    items = read_squad(FIX / "squad_small.json")
    assert [i.answerable for i in items] == [True, True, False, False]
    assert items[1].answers == ("two year", "two years")


def test_squad_reader_names_json_path(tmp_path):
    p = tmp_path / "s.json"
    p.write_text('{"data": [{"paragraphs": [{"context": "c", "qas": [{"id": "1", "answers": []}]}]}]}')
    with pytest.raises(DataError, match=r"data\[0\].paragraphs\[0\].qas\[0\]: missing 'question'"):
        read_squad(p)


def test_preferences_gz_and_retrieval_files(tmp_path):
    import gzip

    p = tmp_path / "x.jsonl.gz"
    with gzip.open(p, "wt") as f:
        f.write('{"chosen": "good", "rejected": "bad"}\n')
    assert read_preferences(p)[0].chosen == "good"
    assert len(read_preferences(FIX / "prefs.jsonl")) == 3
    q = read_retrieval_queries(FIX / "queries.jsonl")
    assert q[2] == ("warranty of the kettle", {"warranty", "kettle"})
    d = tmp_path / "d.jsonl"
    d.write_text('{"id": 1, "text": "a"}\n{"id": "1", "text": "b"}\n')
    with pytest.raises(DataError, match=r"d.jsonl:2: duplicate id '1'"):
        read_documents(d)


def test_missing_file_is_clear(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_intents(tmp_path / "nope.csv")
